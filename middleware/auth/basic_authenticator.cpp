#include "middleware/auth/basic_authenticator.h"

#include <crypt.h>
#include <cstring>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "config/text.h"
#include "middleware/auth/verified_cache.h"

namespace gw::middleware::auth {
namespace {

AuthResult refused(std::string message) {
    return AuthResult::failed("invalid_credentials", std::move(message));
}

bool is_base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

// Standard base64 with padding, nothing else (EVP_DecodeBlock alone skips whitespace and
// reports padding as data).
std::optional<std::string> decode_base64(std::string_view in) {
    if (in.empty() || in.size() % 4 != 0) return std::nullopt;
    std::size_t pad = 0;
    while (pad < 2 && in[in.size() - 1 - pad] == '=') ++pad;
    for (std::size_t i = 0; i < in.size() - pad; ++i)
        if (!is_base64_char(in[i])) return std::nullopt;
    std::string out(in.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()),
                            static_cast<int>(in.size()));
    if (n < 0 || static_cast<std::size_t>(n) < pad) return std::nullopt;
    out.resize(static_cast<std::size_t>(n) - pad);
    return out;
}

// crypt_r's work area (~32 KiB): one per thread, reused, wiped after each use.
crypt_data& thread_crypt_data() {
    thread_local crypt_data data{};
    return data;
}

}  // namespace

std::optional<std::string> check_password_hash(const std::string& hash) {
    static const char* const kPrefixes[] = {"$2b$", "$2y$", "$2a$", "$y$", "$6$", "$5$"};
    bool known = false;
    for (const char* p : kPrefixes) known = known || hash.rfind(p, 0) == 0;
    if (!known)
        return "expected a password hash starting with $2b$, $2y$, $y$, $6$ or $5$ "
               "(bcrypt, yescrypt, SHA-crypt), never a plain password";
    // crypt_checksalt looks at the method and salt only; a bcrypt hash also has a fixed size.
    constexpr std::size_t kBcryptLength = 60;
    const bool bcrypt = hash[1] == '2';
    const auto last = hash.rfind('$');
    if (crypt_checksalt(hash.c_str()) != CRYPT_SALT_OK || last + 1 >= hash.size() ||
        (bcrypt && hash.size() != kBcryptLength))
        return "not a complete password hash for its method";
    return std::nullopt;
}

BasicCredentials::~BasicCredentials() { OPENSSL_cleanse(password.data(), password.size()); }

BasicCredentials parse_basic(std::string_view value) {
    BasicCredentials c;
    if (config::iequals(value, "basic")) {
        c.status = BasicCredentials::Status::bad;
        return c;
    }
    if (value.size() < 6 || !config::iequals(value.substr(0, 6), "basic ")) return c;
    c.status = BasicCredentials::Status::bad;
    if (value.size() > BasicAuthenticator::kMaxHeaderBytes) return c;
    value.remove_prefix(6);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    auto decoded = decode_base64(value);
    if (!decoded) return c;
    auto colon = decoded->find(':');
    if (colon != std::string::npos && colon > 0 &&
        decoded->find('\0') == std::string::npos) {
        c.user = decoded->substr(0, colon);
        c.password = decoded->substr(colon + 1);
        c.status = BasicCredentials::Status::ok;
    }
    OPENSSL_cleanse(decoded->data(), decoded->size());
    return c;
}

BasicAuthenticator::BasicAuthenticator(std::string name, std::string realm,
                                       std::map<std::string, std::string, std::less<>> users)
    : name_(std::move(name)),
      challenge_("Basic realm=\"" + realm + "\", charset=\"UTF-8\""),
      users_(std::move(users)) {}

bool BasicAuthenticator::verify(const std::string& hash, const BasicCredentials& c) const {
    auto& cache = VerifiedCache::this_thread();
    const auto now = VerifiedCache::Clock::now();
    const Digest key = VerifiedCache::key_for(hash, c.user, c.password);
    if (cache.contains(key, now)) return true;
    crypt_data& data = thread_crypt_data();
    const char* out = crypt_r(c.password.c_str(), hash.c_str(), &data);
    // crypt_r returns the full hash string on success, "*..." on failure.
    bool ok = out != nullptr && out[0] != '*' && std::strlen(out) == hash.size() &&
              CRYPTO_memcmp(out, hash.data(), hash.size()) == 0;
    OPENSSL_cleanse(&data, sizeof data);
    if (ok) cache.insert(key, now);
    return ok;
}

AuthResult BasicAuthenticator::check(const RequestHead& req) const {
    auto range = req.equal_range(boost::beast::http::field::authorization);
    if (range.first == range.second) return AuthResult::absent();
    if (std::next(range.first) != range.second) return refused("more than one Authorization");
    BasicCredentials c = parse_basic(range.first->value());
    if (c.status == BasicCredentials::Status::absent) return AuthResult::absent();
    if (c.status == BasicCredentials::Status::bad) return refused("malformed Basic credentials");
    auto user = users_.find(c.user);
    if (user == users_.end()) {
        // Same work as for a known user, so the answer time does not tell which names exist.
        if (!users_.empty()) verify(users_.begin()->second, c);
        return refused("invalid user name or password");
    }
    if (!verify(user->second, c)) return refused("invalid user name or password");
    AuthResult ok;
    ok.status = AuthResult::Status::ok;
    ok.consumer = user->first;
    return ok;
}

Task<AuthResult> BasicAuthenticator::authenticate(const RequestContext&,
                                                  const RequestHead& req) const {
    co_return check(req);
}

void BasicAuthenticator::strip_credential(RequestHead& req, std::string&) const {
    req.erase(boost::beast::http::field::authorization);
}

}  // namespace gw::middleware::auth
