// `type: basic`: RFC 7617 Basic authentication against users whose passwords are stored as
// crypt(3) hashes (bcrypt `$2b$`/`$2y$`, yescrypt `$y$`, SHA-crypt `$6$`/`$5$`), verified
// through libxcrypt's crypt_r. libxcrypt is the system's own password hashing library
// (what /etc/shadow uses): it reads the standard hash strings that htpasswd, mkpasswd and
// every bcrypt library write, so nothing is hand-rolled.
//
// Immutable after load; shared by every worker thread. Verifications that succeeded are
// remembered per worker thread for a short time (verified_cache.h).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "middleware/auth/authenticator.h"

namespace gw::middleware::auth {

// Why a stored hash cannot be used, or nullopt when it can (checked at load).
std::optional<std::string> check_password_hash(const std::string& hash);

// RFC 7617 credentials from an Authorization value "Basic <base64(user:password)>".
struct BasicCredentials {
    enum class Status { absent, bad, ok };
    Status status = Status::absent;
    std::string user;
    std::string password;  // wiped by the destructor
    ~BasicCredentials();
};
BasicCredentials parse_basic(std::string_view authorization);

class BasicAuthenticator : public Authenticator {
public:
    // A longer Authorization value is refused before decoding.
    static constexpr std::size_t kMaxHeaderBytes = 4096;

    // users: name -> crypt(3) hash, each passing check_password_hash.
    BasicAuthenticator(std::string name, std::string realm,
                       std::map<std::string, std::string, std::less<>> users);

    std::string_view name() const override { return name_; }
    std::string_view challenge() const override { return challenge_; }
    Task<AuthResult> authenticate(const RequestContext& ctx, const RequestHead& req) const override;
    void strip_credential(RequestHead& req, std::string& query) const override;
    AuthResult check(const RequestHead& req) const;

private:
    bool verify(const std::string& hash, const BasicCredentials& c) const;

    std::string name_;
    std::string challenge_;
    std::map<std::string, std::string, std::less<>> users_;
};

}  // namespace gw::middleware::auth
