// Files the loader reads (YAML, includes, *_file secrets, PEM files) must be regular files of a
// sane size: a device or a pipe named by mistake would hang the load or fill the memory.
// Found while writing the config fuzz target (tests/fuzz/config_fuzz.cpp).
#include <catch.hpp>

#include <sys/stat.h>

#include <fstream>

#include "config/config.h"
#include "test_files.h"

using namespace gw::config;
using gw::config::test::has_error;
using gw::config::test::joined;
using gw::config::test::TempDir;

namespace {

std::string upstream_with_token_file(const std::string& path) {
    return "upstreams:\n"
           "  crm:\n"
           "    targets: [{ url: \"http://127.0.0.1:1\" }]\n"
           "    credentials:\n"
           "      type: bearer\n"
           "      token_file: " + path + "\n";
}

}  // namespace

TEST_CASE("a *_file secret that is a device is refused, not read forever", "[config][files]") {
    TempDir dir;
    std::string f = dir.write("gateway.yaml", upstream_with_token_file("/dev/zero"));
    auto r = load_config(f);
    INFO(joined(r.errors));
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] == f + ":6:19: upstreams.crm.credentials.token_file: cannot read "
                             "'/dev/zero': not a regular file");
}

TEST_CASE("an include that is a FIFO is refused without blocking", "[config][files]") {
    TempDir dir;
    std::string fifo = dir.path() + "/routes.yaml";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    std::string f = dir.write("gateway.yaml", "include: [routes.yaml]\n");
    auto r = load_config(f);
    INFO(joined(r.errors));
    CHECK(r.config == nullptr);
    CHECK(has_error(r, fifo + ": cannot read file: not a regular file"));
}

TEST_CASE("a secret or a directory named as a file gets a clear error", "[config][files]") {
    TempDir dir;
    dir.write("secrets/placeholder", "x");
    std::string f = dir.write("gateway.yaml", upstream_with_token_file("secrets"));
    auto r = load_config(f);
    INFO(joined(r.errors));
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] == f + ":6:19: upstreams.crm.credentials.token_file: cannot read "
                             "'secrets': Is a directory");
}

TEST_CASE("a file over 16 MiB is refused", "[config][files]") {
    TempDir dir;
    std::string big = dir.path() + "/big.txt";
    {
        std::ofstream out(big, std::ios::binary);
        std::string line(1024 * 1024, 'a');
        for (int i = 0; i < 17; ++i) out << line;
    }
    std::string f = dir.write("gateway.yaml", upstream_with_token_file(big));
    auto r = load_config(f);
    INFO(joined(r.errors));
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].ends_with("cannot read '" + big + "': larger than 16 MiB"));
}

TEST_CASE("a certificate path that is a device is refused", "[config][files]") {
    TempDir dir;
    std::string f = dir.write("gateway.yaml",
                              "server:\n"
                              "  listen: \"127.0.0.1:0\"\n"
                              "  tls: { cert_file: /dev/zero, key_file: /dev/null }\n");
    auto r = load_config(f);
    INFO(joined(r.errors));
    CHECK(r.config == nullptr);
    CHECK(has_error(r, "server.tls.cert_file: cannot read certificate '/dev/zero': "
                       "not a regular file"));
    CHECK(has_error(r, "server.tls.key_file: cannot read private key '/dev/null': "
                       "not a regular file"));
}
