// Basic auth: hashes generated here through libxcrypt, malformed headers, the per-thread
// verification cache.
#include <catch.hpp>

#include <crypt.h>
#include <openssl/evp.h>

#include "middleware/auth/basic_authenticator.h"
#include "middleware/auth/verified_cache.h"

namespace gw::middleware::auth {
namespace {

// A fresh hash of `password` with the method of `prefix` (low cost: tests stay fast).
std::string make_hash(const char* prefix, const std::string& password) {
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    unsigned long cost = std::string(prefix) == "$2b$" ? 4 : 0;
    REQUIRE(crypt_gensalt_rn(prefix, cost, nullptr, 0, salt, sizeof salt) != nullptr);
    crypt_data data{};
    const char* out = crypt_r(password.c_str(), salt, &data);
    REQUIRE(out != nullptr);
    REQUIRE(out[0] == '$');
    return out;
}

std::string basic(const std::string& user_pass) {
    std::string out(4 * ((user_pass.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(user_pass.data()),
                            static_cast<int>(user_pass.size()));
    out.resize(static_cast<std::size_t>(n));
    return "Basic " + out;
}

AuthResult check(const BasicAuthenticator& a, const std::string& authorization) {
    RequestHead req;
    req.set(boost::beast::http::field::authorization, authorization);
    return a.check(req);
}

BasicAuthenticator make_ops(const std::string& bcrypt_hash) {
    std::map<std::string, std::string, std::less<>> users = {
        {"admin", bcrypt_hash}, {"robot", make_hash("$y$", "beep-boop")}};
    return BasicAuthenticator("ops", "ops area", std::move(users));
}

}  // namespace

TEST_CASE("password hashes are checked at load", "[auth][basic]") {
    CHECK_FALSE(check_password_hash(make_hash("$2b$", "x")));
    CHECK_FALSE(check_password_hash(make_hash("$6$", "x")));
    CHECK_FALSE(check_password_hash(make_hash("$y$", "x")));
    CHECK(check_password_hash("hunter2"));         // a plain password
    CHECK(check_password_hash("$1$abc$def"));      // MD5-crypt: too weak, not accepted
    CHECK(check_password_hash("$2b$04$tooshort"));  // not a complete bcrypt hash
}

TEST_CASE("basic: bcrypt and yescrypt users", "[auth][basic]") {
    VerifiedCache::this_thread().clear();
    auto ops = make_ops(make_hash("$2b$", "s3cret pass:with colon"));
    auto ok = check(ops, basic("admin:s3cret pass:with colon"));
    CHECK(ok.status == AuthResult::Status::ok);
    CHECK(ok.consumer == "admin");
    CHECK(check(ops, basic("robot:beep-boop")).consumer == "robot");
    auto wrong = check(ops, basic("admin:s3cret"));
    CHECK(wrong.status == AuthResult::Status::failed);
    CHECK(wrong.code == "invalid_credentials");
    CHECK(check(ops, basic("nobody:s3cret")).status == AuthResult::Status::failed);
    CHECK(ops.challenge() == "Basic realm=\"ops area\", charset=\"UTF-8\"");
}

TEST_CASE("basic: other schemes are absent, malformed ones refused", "[auth][basic]") {
    auto ops = make_ops(make_hash("$2b$", "pw"));
    RequestHead none;
    CHECK(ops.check(none).status == AuthResult::Status::absent);
    CHECK(check(ops, "Bearer abc.def.ghi").status == AuthResult::Status::absent);
    const std::vector<std::string> bad = {
        "Basic",                                 // no credentials
        "Basic !!!!",                            // not base64
        "Basic YWRtaW4",                         // truncated (no padding)
        "Basic YWRtaW4=",                        // "admin": no colon
        "Basic OnB3",                            // ":pw": empty user
        "Basic " + std::string(15000, 'A'),     // huge
        "Basic YW Rt",                           // space inside
        basic(std::string("admin\0x:pw", 10)),   // NUL inside
    };
    for (const auto& value : bad) {
        INFO(value.substr(0, 40));
        auto r = check(ops, value);
        CHECK(r.status == AuthResult::Status::failed);
        CHECK(r.code == "invalid_credentials");
    }
    CHECK(check(ops, "basic " + basic("admin:pw").substr(6)).status == AuthResult::Status::ok);
    RequestHead two;
    two.insert(boost::beast::http::field::authorization, basic("admin:pw"));
    two.insert(boost::beast::http::field::authorization, basic("admin:pw"));
    CHECK(ops.check(two).status == AuthResult::Status::failed);
}

TEST_CASE("basic: successful verifications are cached per thread, failures are not",
          "[auth][basic]") {
    auto& cache = VerifiedCache::this_thread();
    cache.clear();
    const std::string hash = make_hash("$2b$", "pw");
    auto ops = make_ops(hash);
    const auto key = VerifiedCache::key_for(hash, "admin", "pw");
    const auto now = VerifiedCache::Clock::now();
    CHECK_FALSE(cache.contains(key, now));
    CHECK(check(ops, basic("admin:wrong")).status == AuthResult::Status::failed);
    CHECK_FALSE(cache.contains(VerifiedCache::key_for(hash, "admin", "wrong"), now));
    CHECK(check(ops, basic("admin:pw")).status == AuthResult::Status::ok);
    CHECK(cache.contains(key, VerifiedCache::Clock::now()));
    // Expired entries are not trusted.
    CHECK_FALSE(cache.contains(key, VerifiedCache::Clock::now() + VerifiedCache::kTtl +
                                        std::chrono::seconds(1)));
    // Another stored hash (a changed password) gives another key.
    CHECK_FALSE(cache.contains(VerifiedCache::key_for(make_hash("$2b$", "pw"), "admin", "pw"),
                               now));
}

TEST_CASE("basic: strip removes Authorization", "[auth][basic]") {
    auto ops = make_ops(make_hash("$2b$", "pw"));
    RequestHead req;
    req.set(boost::beast::http::field::authorization, basic("admin:pw"));
    std::string query;
    ops.strip_credential(req, query);
    CHECK(req.count(boost::beast::http::field::authorization) == 0);
}

}  // namespace gw::middleware::auth
