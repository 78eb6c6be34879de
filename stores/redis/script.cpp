#include "stores/redis/script.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace gw::stores::redis {

RedisScript::RedisScript(std::string source, std::vector<const RedisScript*> companions)
    : source_(std::move(source)), companions_(std::move(companions)) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(source_.data(), source_.size(), digest, &len, EVP_sha1(), nullptr) != 1) {
        throw std::runtime_error("SHA-1 of a redis script failed");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < len; ++i) {
        sha1_ += kHex[digest[i] >> 4];
        sha1_ += kHex[digest[i] & 0xf];
    }
}

}  // namespace gw::stores::redis
