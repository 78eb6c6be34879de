// redis: section and redis:// URLs: what is accepted, and each rejection's exact line.
#include <catch.hpp>

#include <cstdlib>

#include "config/config.h"
#include "config/redis_url.h"
#include "test_files.h"

using namespace gw::config;
using gw::config::test::has_error;
using gw::config::test::joined;
using gw::config::test::TempDir;

namespace {

RedisConfig parse_ok(const std::string& url) {
    RedisConfig c;
    std::string error;
    INFO(url);
    CHECK(parse_redis_url(url, c, error));
    CHECK(error.empty());
    return c;
}

std::string parse_error(const std::string& url) {
    RedisConfig c;
    std::string error;
    CHECK_FALSE(parse_redis_url(url, c, error));
    return error;
}

LoadResult load_text(const TempDir& dir, const std::string& yaml, std::string& file) {
    file = dir.write("gateway.yaml", yaml);
    return load_config(file);
}

}  // namespace

TEST_CASE("redis URL: host, port, db and defaults", "[config][redis]") {
    auto c = parse_ok("redis://127.0.0.1:6380/3");
    CHECK(c.host == "127.0.0.1");
    CHECK(c.port == 6380);
    CHECK(c.db == 3);
    CHECK_FALSE(c.tls);
    CHECK(c.password.empty());
    auto d = parse_ok("redis://cache.internal");
    CHECK(d.host == "cache.internal");
    CHECK(d.port == 6379);
    CHECK(d.db == 0);
    CHECK(parse_ok("rediss://[::1]:6390/").host == "::1");
    CHECK(parse_ok("rediss://[::1]:6390/").tls);
}

TEST_CASE("redis URL: user, password, percent-decoding", "[config][redis]") {
    auto c = parse_ok("redis://app:s%40cret@h:1/0");
    CHECK(c.username == "app");
    CHECK(c.password == "s@cret");
    auto p = parse_ok("redis://:only-pass@h:1");
    CHECK(p.username.empty());
    CHECK(p.password == "only-pass");
    auto q = parse_ok("redis://bare-secret@h:1");  // no colon: a password-only AUTH
    CHECK(q.username.empty());
    CHECK(q.password == "bare-secret");
}

TEST_CASE("redis URL: rejections never echo the URL", "[config][redis]") {
    CHECK(parse_error("http://h:1").find("scheme must be redis or rediss") != std::string::npos);
    CHECK(parse_error("redis://:pw@h:1/x").find("database number") != std::string::npos);
    CHECK(parse_error("redis://h:1/1/2").find("database number") != std::string::npos);
    CHECK(parse_error("redis://h:0").find("port") != std::string::npos);
    CHECK(parse_error("redis:///0").find("no host") != std::string::npos);
    CHECK(parse_error("redis://h:1/0?x=1").find("query") != std::string::npos);
    CHECK(parse_error("not a url").find("not a valid URL") != std::string::npos);
    CHECK(parse_error("redis://:topsecret@h:1/zz").find("topsecret") == std::string::npos);
}

TEST_CASE("redis: section loads with defaults and overrides", "[config][redis]") {
    TempDir dir;
    std::string f;
    auto r = load_text(dir, "redis:\n  url: \"redis://127.0.0.1:6379/2\"\n", f);
    INFO(joined(r.errors));
    REQUIRE(r.config);
    REQUIRE(r.config->redis);
    CHECK(r.config->redis->timeout == std::chrono::milliseconds(50));
    CHECK(r.config->redis->on_error == RedisConfig::OnError::allow);
    CHECK(r.config->redis->connections == 2);
    CHECK(r.config->redis->db == 2);

    dir.write("pw", "from-file\n");
    auto s = load_text(dir,
                       "redis:\n  url: \"redis://h:1\"\n  password_file: pw\n  timeout: 250ms\n"
                       "  on_error: deny\n  connections: 4\n",
                       f);
    INFO(joined(s.errors));
    REQUIRE(s.config);
    CHECK(s.config->redis->password.find("from-file") == 0);
    CHECK(s.config->redis->timeout == std::chrono::milliseconds(250));
    CHECK(s.config->redis->on_error == RedisConfig::OnError::deny);
    CHECK(s.config->redis->connections == 4);
    CHECK(s.config->redis->key != r.config->redis->key);
}

TEST_CASE("redis: password from ${ENV} in the URL", "[config][redis]") {
    ::setenv("GW_TEST_REDIS_PW", "env-secret", 1);
    TempDir dir;
    std::string f;
    auto r = load_text(dir, "redis:\n  url: \"redis://:${GW_TEST_REDIS_PW}@h:1/0\"\n", f);
    INFO(joined(r.errors));
    REQUIRE(r.config);
    CHECK(r.config->redis->password == "env-secret");
    ::unsetenv("GW_TEST_REDIS_PW");
}

TEST_CASE("redis: errors name file:line:col and the key path", "[config][redis]") {
    TempDir dir;
    std::string f;
    auto r = load_text(dir,
                       "redis:\n"
                       "  url: \"ftp://:hunter2@h:1\"\n"
                       "  timeout: 50\n"
                       "  on_error: maybe\n"
                       "  connections: 0\n"
                       "  tls: { verify: false }\n",
                       f);
    INFO(joined(r.errors));
    CHECK(r.config == nullptr);
    CHECK(r.errors.size() == 5);
    CHECK(has_error(r, f + ":2:8: redis.url: expected redis://[user:password@]host:port/db or "
                           "rediss://...: the scheme must be redis or rediss"));
    CHECK(has_error(r, f + ":3:12: redis.timeout: expected a duration"));
    CHECK(has_error(r, f + ":4:13: redis.on_error: expected"));
    CHECK(has_error(r, f + ":5:16: redis.connections: expected an integer 1..64"));
    CHECK(has_error(r, f + ":6:8: redis.tls: only for a rediss:// url"));
    CHECK(joined(r.errors).find("hunter2") == std::string::npos);
}

TEST_CASE("redis: url is required; password given twice is refused", "[config][redis]") {
    TempDir dir;
    std::string f;
    auto r = load_text(dir, "redis:\n  timeout: 1s\n", f);
    CHECK(has_error(r, f + ":2:3: redis.url: is required"));
    auto s = load_text(dir, "redis:\n  url: \"redis://:a@h:1\"\n  password: b\n", f);
    CHECK(has_error(s, f + ":3:13: redis.password: already given in the url"));
}

TEST_CASE("redis: only in the main file", "[config][redis]") {
    TempDir dir;
    dir.write("more.yaml", "redis:\n  url: \"redis://h:1\"\n");
    std::string f;
    auto r = load_text(dir, "include: [more.yaml]\n", f);
    CHECK(has_error(r, dir.path() + "/more.yaml:2:3: redis: only allowed in the main file"));
}

#include "config/sections.h"

TEST_CASE("require_redis: store: redis without a redis: section", "[config][redis]") {
    Errors errors;
    Context ctx{"g.yaml", ".", errors};
    Scalar store{"redis", "routes[0].rate_limit[0].store", SourceMark{"g.yaml", 7, 9}};
    CHECK(require_redis(ctx, store) == nullptr);
    REQUIRE(errors.size() == 1);
    CHECK(errors.lines()[0] == "g.yaml:7:9: routes[0].rate_limit[0].store: store: redis needs a "
                               "top-level redis: section with its url");
    RedisConfig redis;
    Context with{"g.yaml", ".", errors, nullptr, &redis};
    CHECK(require_redis(with, store) == &redis);
    CHECK(errors.size() == 1);
}
