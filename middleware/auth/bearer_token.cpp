#include "middleware/auth/bearer_token.h"

#include "config/text.h"

namespace gw::middleware::auth {

std::optional<std::string_view> bearer_token(const RequestHead& req) {
    auto it = req.find(boost::beast::http::field::authorization);
    if (it == req.end()) return std::nullopt;
    std::string_view value = it->value();
    constexpr std::string_view kScheme = "bearer ";
    // "Bearer" with nothing after it is a bearer credential, a broken one: the authenticator
    // refuses it rather than pass the request on as carrying none.
    if (config::iequals(value, kScheme.substr(0, 6))) return std::string_view();
    if (value.size() < kScheme.size() ||
        !config::iequals(value.substr(0, kScheme.size()), kScheme)) {
        return std::nullopt;
    }
    value.remove_prefix(kScheme.size());
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    return value;
}

void strip_bearer(RequestHead& req) {
    if (bearer_token(req)) req.erase(boost::beast::http::field::authorization);
}

}  // namespace gw::middleware::auth
