// `type: api_key`: a key in a request header or a query parameter, looked up in the consumers
// table (constant-time digest comparison, see consumers.h). Immutable after load; shared by
// every worker thread.
#pragma once

#include <memory>
#include <string>

#include "middleware/auth/authenticator.h"
#include "middleware/auth/consumers.h"

namespace gw::middleware::auth {

class ApiKeyAuthenticator : public Authenticator {
public:
    enum class Source { header, query };
    // Longer keys are refused without hashing: no real key is that long.
    static constexpr std::size_t kMaxKeyBytes = 1024;

    // `field`: the header name (lower-case) or the query parameter name.
    ApiKeyAuthenticator(std::string name, Source source, std::string field,
                        std::shared_ptr<const ConsumerTable> consumers);

    std::string_view name() const override { return name_; }
    std::string_view challenge() const override { return challenge_; }
    Task<AuthResult> authenticate(const RequestContext& ctx, const RequestHead& req) const override;
    void strip_credential(RequestHead& req, std::string& query) const override;
    // The synchronous core of authenticate(), for tests and callers outside a coroutine.
    AuthResult check(std::string_view query, const RequestHead& req) const;

private:
    std::string name_;
    Source source_;
    std::string field_;
    std::string challenge_;
    std::shared_ptr<const ConsumerTable> consumers_;
};

}  // namespace gw::middleware::auth
