// The route's `ip:` step: allow and deny lists of IPv4/IPv6 CIDRs applied to the client
// address (ctx.client_addr: the peer, or the X-Forwarded-For client when the peer is one of
// server.trusted_proxies). Deny wins over allow; with an allow list, addresses outside it are
// refused. Refusal: 403 ip_forbidden. Immutable after load; shared by every worker.
#pragma once

#include <memory>
#include <vector>

#include "config/types.h"
#include "middleware/auth/failure_counters.h"
#include "middleware/step.h"

namespace gw::middleware {

struct IpFilterConfig {
    std::vector<config::Cidr> allow;  // empty: every address not denied
    std::vector<config::Cidr> deny;
    std::shared_ptr<auth::RouteFailures> failures;
};

bool ip_permitted(const IpFilterConfig& filter, const boost::asio::ip::address& client);

class IpFilterStep : public SyncStep {
public:
    explicit IpFilterStep(IpFilterConfig config) : config_(std::move(config)) {}
    std::string_view name() const override { return "ip"; }
    std::optional<Reply> decide(RequestContext& ctx, RequestHead& req) const override;

private:
    IpFilterConfig config_;
};

}  // namespace gw::middleware
