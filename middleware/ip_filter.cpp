#include "middleware/ip_filter.h"

namespace gw::middleware {
namespace {

bool in_any(const std::vector<config::Cidr>& list, const boost::asio::ip::address& a) {
    for (const auto& cidr : list)
        if (cidr.contains(a)) return true;
    return false;
}

}  // namespace

bool ip_permitted(const IpFilterConfig& filter, const boost::asio::ip::address& client) {
    if (in_any(filter.deny, client)) return false;
    return filter.allow.empty() || in_any(filter.allow, client);
}

std::optional<Reply> IpFilterStep::decide(RequestContext& ctx, RequestHead&) const {
    if (ip_permitted(config_, ctx.client_addr)) return std::nullopt;
    if (config_.failures) config_.failures->add("ip_forbidden");
    return Reply::error(403, "ip_forbidden", "the client address is not allowed here");
}

}  // namespace gw::middleware
