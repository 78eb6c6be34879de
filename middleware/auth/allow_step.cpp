#include "middleware/auth/allow_step.h"

#include <algorithm>

namespace gw::middleware::auth {
namespace {

bool any_in(const std::vector<std::string>& have, const std::vector<std::string>& wanted) {
    for (const auto& h : have)
        if (std::find(wanted.begin(), wanted.end(), h) != wanted.end()) return true;
    return false;
}

}  // namespace

bool is_allowed(const AllowConfig& allow, const Identity& id) {
    if (!id.authenticated) return false;
    if (!id.consumer.empty() &&
        std::find(allow.consumers.begin(), allow.consumers.end(), id.consumer) !=
            allow.consumers.end())
        return true;
    return any_in(id.groups, allow.groups) || any_in(id.scopes, allow.scopes);
}

std::optional<Reply> AllowStep::decide(RequestContext& ctx, RequestHead&) const {
    if (is_allowed(config_, ctx.identity)) return std::nullopt;
    if (config_.failures) config_.failures->add("forbidden");
    return Reply::error(403, "forbidden", "the caller is not allowed on this route");
}

}  // namespace gw::middleware::auth
