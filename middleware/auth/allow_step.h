// The route's `allow:` step: after auth, only the listed consumers, members of the listed
// groups or holders of the listed scopes (JWT `scope`/`scp`) go on; anyone else gets 403
// forbidden. One match in any list is enough. Immutable after load; shared by every worker.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "middleware/auth/failure_counters.h"
#include "middleware/step.h"

namespace gw::middleware::auth {

struct AllowConfig {
    std::vector<std::string> consumers;
    std::vector<std::string> groups;
    std::vector<std::string> scopes;
    std::shared_ptr<RouteFailures> failures;
};

bool is_allowed(const AllowConfig& allow, const Identity& id);

class AllowStep : public SyncStep {
public:
    explicit AllowStep(AllowConfig config) : config_(std::move(config)) {}
    std::string_view name() const override { return "allow"; }
    std::optional<Reply> decide(RequestContext& ctx, RequestHead& req) const override;

private:
    AllowConfig config_;
};

}  // namespace gw::middleware::auth
