#include "config/pem.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "config/yaml_file.h"

namespace gw::config {
namespace {

struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

std::string_view noun(PemKind kind) {
    return kind == PemKind::certificate ? "certificate" : "private key";
}

X509Ptr load_cert(const std::string& path) {
    BioPtr bio(BIO_new_file(path.c_str(), "r"));
    if (!bio) return nullptr;
    return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

KeyPtr load_key(const std::string& path) {
    BioPtr bio(BIO_new_file(path.c_str(), "r"));
    if (!bio) return nullptr;
    // No passphrase callback: an encrypted key cannot be used unattended, so it fails here.
    return KeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

}  // namespace

bool check_pem(const Context& ctx, const Scalar& s, const std::string& resolved, PemKind kind) {
    // fopen first: it gives a precise errno ("No such file", "Permission denied") where
    // OpenSSL's error queue would not.
    errno = 0;
    std::FILE* f = std::fopen(resolved.c_str(), "r");
    if (f == nullptr) {
        ctx.errors.add(s.mark, s.path, "cannot read " + std::string(noun(kind)) + " '" + s.text +
                                           "': " + std::strerror(errno));
        return false;
    }
    std::fclose(f);
    std::string why;
    if (!readable_kind(resolved, why)) {
        ctx.errors.add(s.mark, s.path, "cannot read " + std::string(noun(kind)) + " '" + s.text +
                                           "': " + why);
        return false;
    }
    bool ok = kind == PemKind::certificate ? load_cert(resolved) != nullptr
                                           : load_key(resolved) != nullptr;
    // The error queue is per thread; leave it clean for whoever uses OpenSSL next.
    ERR_clear_error();
    if (!ok) {
        ctx.errors.add(s.mark, s.path,
                       "'" + s.text + "' is not a PEM " + std::string(noun(kind)));
    }
    return ok;
}

void check_key_matches(const Context& ctx, const std::string& cert, const Scalar& key_file,
                       const std::string& key) {
    X509Ptr x = load_cert(cert);
    KeyPtr k = load_key(key);
    bool ok = x && k && X509_check_private_key(x.get(), k.get()) == 1;
    ERR_clear_error();
    if (!ok) {
        ctx.errors.add(key_file.mark, key_file.path,
                       "private key '" + key_file.text + "' does not match the certificate");
    }
}

}  // namespace gw::config
