#include "test_files.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace gw::config::test {
namespace fs = std::filesystem;

TempDir::TempDir() {
    std::string pattern = (fs::temp_directory_path() / "gw-config-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
    fs::path full = fs::path(path_) / name;
    fs::create_directories(full.parent_path());
    std::ofstream(full, std::ios::binary) << content;
    return full.string();
}

std::pair<std::string, std::string> TempDir::write_cert(const std::string& name) const {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* subject = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), subject);
    X509_sign(cert.get(), key.get(), EVP_sha256());

    std::string crt = (fs::path(path_) / (name + ".crt")).string();
    std::string pem_key = (fs::path(path_) / (name + ".key")).string();
    fs::create_directories(fs::path(crt).parent_path());
    FILE* f = std::fopen(crt.c_str(), "w");
    if (f == nullptr) throw std::runtime_error("cannot write " + crt);
    PEM_write_X509(f, cert.get());
    std::fclose(f);
    f = std::fopen(pem_key.c_str(), "w");
    PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    return {crt, pem_key};
}

std::string joined(const std::vector<std::string>& errors) {
    std::string out;
    for (const auto& e : errors) out += e + "\n";
    return out;
}

bool has_error(const LoadResult& result, const std::string& text) {
    for (const auto& e : result.errors) {
        if (e.find(text) != std::string::npos) return true;
    }
    return false;
}

const RouteSpec* find_route(const Config& config, const std::string& name) {
    for (const auto& r : config.routes.routes()) {
        if (r.spec.name == name) return &r.spec;
    }
    return nullptr;
}

}  // namespace gw::config::test
