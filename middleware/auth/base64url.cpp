#include "middleware/auth/base64url.h"

#include <openssl/evp.h>

namespace gw::middleware::auth {
namespace {

// The value of a base64url digit, or -1.
int digit_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

}  // namespace

std::optional<std::string> base64url_decode(std::string_view in, std::size_t max_decoded) {
    const std::size_t rem = in.size() % 4;
    if (rem == 1) return std::nullopt;
    const std::size_t out_size = in.size() / 4 * 3 + (rem == 0 ? 0 : rem - 1);
    if (out_size > max_decoded) return std::nullopt;
    std::string padded;
    padded.reserve(in.size() + 3);
    for (char c : in) {
        // Checked here rather than left to EVP_DecodeBlock, which skips whitespace and would
        // accept '+', '/' and '=' from the other alphabet.
        if (digit_value(c) < 0) return std::nullopt;
        padded.push_back(c == '-' ? '+' : c == '_' ? '/' : c);
    }
    // The bits below the last full byte must be zero, or two encodings decode to one value
    // (a token could be altered without changing what it says).
    if (rem != 0) {
        const int last = digit_value(in.back());
        if ((rem == 2 && (last & 0x0f) != 0) || (rem == 3 && (last & 0x03) != 0)) {
            return std::nullopt;
        }
        padded.append(4 - rem, '=');
    }
    std::string out(padded.size() / 4 * 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(padded.data()),
                                  static_cast<int>(padded.size()));
    if (n < 0) return std::nullopt;
    out.resize(out_size);  // EVP_DecodeBlock counts the padding as zero bytes
    return out;
}

std::string base64_encode(std::string_view in) {
    std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(in.data()),
                                  static_cast<int>(in.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string base64url_encode(std::string_view in) {
    std::string out = base64_encode(in);
    while (!out.empty() && out.back() == '=') out.pop_back();
    for (char& c : out) {
        if (c == '+') c = '-';
        if (c == '/') c = '_';
    }
    return out;
}

}  // namespace gw::middleware::auth
