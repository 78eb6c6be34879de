"""Response caching with `store: redis` through the real binary and a real redis-server: two
gateway processes share entries (the second answers from Redis without calling the
upstream), Redis expires entries, Vary and per-consumer keys hold, purges by route, prefix and
all reach Redis, and a Redis outage turns into upstream calls (never an error) until Redis is
back. Stores happen after the answer is relayed: every check of Redis waits for it."""

from __future__ import annotations

import unittest

# The module, not its names: its test classes must not be collected here a second time.
from tests.integration import test_cache as cache
from tests.integration.harness import Gateway, GatewayTestCase, base_config, wait_for
from tests.integration.redis_server import RedisServer

INDEX = "gw:cache:index"
ALICE_KEY = "alice-key-0123456789abcdef"
BOB_KEY = "bob-key-0123456789abcdefgh"


def redis_cache_config(origin_url: str, redis_url: str) -> dict:
    def route(name: str, prefix: str, **cache_opts) -> dict:
        return {"name": name, "match": {"path": f"/{prefix}/*"}, "upstream": "origin",
                "cache": {"ttl": "30s", "store": "redis", **cache_opts}}

    cfg = base_config(
        upstreams={"origin": {"targets": [{"url": origin_url}]}},
        routes=[route("shared", "shared"), route("other", "other"),
                route("short", "short", ttl="1s"),
                route("negotiated", "negotiated", vary=["Accept"]),
                route("small", "small", max_body="1KiB"),
                {**route("mine", "mine"), "auth": ["keys"]},
                {"name": "local", "match": {"path": "/local/*"}, "upstream": "origin",
                 "cache": {"ttl": "30s"}}],
        server={"workers": 2})
    # Generous: a loaded CI machine must not turn a slow reply into a miss.
    cfg["redis"] = {"url": redis_url, "timeout": "2s"}
    cfg["consumers"] = [{"name": "alice", "api_keys": [ALICE_KEY]},
                        {"name": "bob", "api_keys": [BOB_KEY]}]
    cfg["authenticators"] = {"keys": {"type": "api_key", "header": "x-api-key"}}
    return cfg


def stored_keys(redis: RedisServer, route: str, path: str) -> list[str]:
    """Redis keys of the live entries the index lists for (route, path)."""
    keys = []
    for member in redis.command("ZRANGE", INDEX, 0, -1) or []:
        r, p, key = member.split("\0")
        if r == route and p == path and redis.command("EXISTS", f"gw:cache:e:{key}"):
            keys.append(f"gw:cache:e:{key}")
    return keys


def wait_stored(redis: RedisServer, route: str, path: str, n: int = 1) -> list[str]:
    return wait_for(lambda: len(k := stored_keys(redis, route, path)) >= n and k,
                    timeout=10.0, what=f"{n} entries of {route} {path} in Redis")


class RedisCacheTest(GatewayTestCase):
    """Two gateway processes on one Redis."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.redis = RedisServer()
        cls.addClassCleanup(cls.redis.stop)
        cls.origin = cache.Origin()
        cls.addClassCleanup(cls.origin.up.stop)
        cfg = redis_cache_config(cls.origin.up.url, cls.redis.url(db=2))
        cls.gw1 = Gateway(cfg)
        cls.addClassCleanup(cls.gw1.stop)
        cls.gw2 = Gateway(cfg)
        cls.addClassCleanup(cls.gw2.stop)

    def xc(self, resp) -> str:
        return resp.header("x-cache")

    def stored(self, route: str, path: str, n: int = 1) -> list[str]:
        return wait_stored(self.redis_db, route, path, n)

    @property
    def redis_db(self) -> "_Db":
        return _Db(self.redis, 2)

    def test_second_gateway_answers_from_redis(self) -> None:
        first = self.gw1.get("/shared/a?x=1")
        self.assertEqual((first.status, self.xc(first)), (200, "MISS"), first)
        self.stored("shared", "/shared/a")
        second = self.gw2.get("/shared/a?x=1")
        self.assertEqual((second.status, self.xc(second)), (200, "HIT"), second)
        self.assertEqual(second.body, first.body)
        self.assertEqual(second.header("content-type"), "text/plain")
        self.assertGreaterEqual(int(second.header("age")), 0)
        self.assertEqual(self.origin.count("/shared/a?x=1"), 1)
        wait_for(lambda: self.gw2.metrics().value("gateway_cache_hits_total", route="shared")
                 >= 1, what="hit counted on the second gateway")
        m = self.gw2.metrics()
        self.assertEqual(m.value("gateway_cache_redis_errors_total", op="get"), 0)
        self.assertEqual(m.value("gateway_cache_redis_errors_total", op="decode"), 0)

    def test_entry_expires_in_redis(self) -> None:
        self.assertEqual(self.xc(self.gw1.get("/short/t")), "MISS")
        [key] = self.stored("short", "/short/t")
        pttl = self.redis.command("PTTL", key, db=2)
        self.assertGreater(pttl, 0)
        self.assertLessEqual(pttl, 1000)  # ttl 1s, no stale_if_error, no validators
        wait_for(lambda: self.redis.command("EXISTS", key, db=2) == 0, timeout=10.0,
                 what="Redis to expire the entry")
        again = self.gw2.get("/short/t")
        self.assertEqual(self.xc(again), "MISS")
        self.assertEqual(self.origin.count("/short/t"), 2)

    def test_route_vary_and_upstream_vary_hold_across_gateways(self) -> None:
        a = self.gw1.get("/negotiated/n", {"Accept": "text/a"})
        self.stored("negotiated", "/negotiated/n")
        b = self.gw2.get("/negotiated/n", {"Accept": "text/b"})
        self.assertEqual((self.xc(a), self.xc(b)), ("MISS", "MISS"))
        a2 = self.gw2.get("/negotiated/n", {"Accept": "text/a"})
        self.assertEqual((self.xc(a2), a2.body), ("HIT", a.body))
        # The upstream's own Vary: a marker and one variant per X-Lang value.
        path = "/shared/v?vary=X-Lang"
        en = self.gw1.get(path, {"X-Lang": "en"})
        self.stored("shared", "/shared/v", 2)
        fr = self.gw2.get(path, {"X-Lang": "fr"})
        en2 = self.gw2.get(path, {"X-Lang": "en"})
        self.assertEqual((self.xc(en), self.xc(fr), self.xc(en2)), ("MISS", "MISS", "HIT"))
        self.assertEqual(en2.body, en.body)
        self.assertNotEqual(fr.body, en.body)
        self.assertEqual(self.origin.count(path), 2)

    def test_validators_travel_a_304_revalidates_on_the_other_gateway(self) -> None:
        path = "/shared/e?etag=%22v1%22&cc=no-cache"
        first = self.gw1.get(path)
        self.assertEqual((first.status, self.xc(first)), (200, "MISS"))
        [key] = self.stored("shared", "/shared/e")
        # no-cache: fresh for 0s, kept for revalidation (at least a minute).
        self.assertGreater(self.redis.command("PTTL", key, db=2), 30_000)
        second = self.gw2.get(path)
        self.assertEqual((second.status, self.xc(second)), (200, "REVALIDATED"), second)
        self.assertEqual(second.body, first.body)
        self.assertEqual(second.header("etag"), '"v1"')
        self.assertEqual(self.origin.count(path), 2)  # the second call was answered 304

    def test_consumers_keep_their_own_entries(self) -> None:
        alice = self.gw1.get("/mine/p", {"X-Api-Key": ALICE_KEY})
        self.stored("mine", "/mine/p")
        bob = self.gw2.get("/mine/p", {"X-Api-Key": BOB_KEY})
        self.assertEqual((self.xc(alice), self.xc(bob)), ("MISS", "MISS"))
        self.assertNotEqual(alice.body, bob.body)
        self.stored("mine", "/mine/p", 2)
        alice2 = self.gw2.get("/mine/p", {"X-Api-Key": ALICE_KEY})
        bob2 = self.gw1.get("/mine/p", {"X-Api-Key": BOB_KEY})
        self.assertEqual((self.xc(alice2), alice2.body), ("HIT", alice.body))
        self.assertEqual((self.xc(bob2), bob2.body), ("HIT", bob.body))
        refused = self.gw2.get("/mine/p")
        self.assertEqual(refused.status, 401)
        self.assertNotIn(b"/mine/p", refused.body)

    def test_max_body_applies(self) -> None:
        big = self.gw1.get("/small/big?size=2000")
        self.assertEqual((big.status, len(big.body)), (200, 2000))
        self.gw1.get("/small/tiny?size=10")
        self.stored("small", "/small/tiny")  # stored after the big one would have been
        self.assertEqual(stored_keys(self.redis_db, "small", "/small/big"), [])
        self.assertEqual(self.xc(self.gw2.get("/small/big?size=2000")), "MISS")

    def test_purge_by_route_prefix_and_all_reaches_redis(self) -> None:
        paths = [("other", "/other/1"), ("shared", "/shared/q/1"), ("shared", "/shared/q/2"),
                 ("shared", "/shared/keep")]
        for route, path in paths:
            self.assertEqual(self.xc(self.gw1.get(path)), "MISS")
            self.stored(route, path)
        r = self.gw2.admin("DELETE", "/cache?route=other")
        self.assertEqual((r.status, r.json()), (200, {"purged": 1}), r.text)
        self.assertEqual(stored_keys(self.redis_db, "other", "/other/1"), [])
        self.assertEqual(self.xc(self.gw1.get("/other/1")), "MISS")
        r = self.gw1.admin("DELETE", "/cache?prefix=/shared/q/")
        self.assertEqual((r.status, r.json()), (200, {"purged": 2}), r.text)
        self.assertEqual(self.xc(self.gw2.get("/shared/q/1")), "MISS")
        self.assertEqual(self.xc(self.gw2.get("/shared/keep")), "HIT")
        self.stored("other", "/other/1")  # no put still under way when everything goes
        self.stored("shared", "/shared/q/1")
        r = self.gw1.admin("DELETE", "/cache")
        self.assertEqual(r.status, 200, r.text)
        self.assertGreaterEqual(r.json()["purged"], 2)
        self.assertEqual(self.redis.command("ZCARD", INDEX, db=2), 0)
        self.assertEqual(self.redis.command("KEYS", "gw:cache:e:*", db=2), [])
        self.assertEqual(self.xc(self.gw2.get("/shared/keep")), "MISS")

    def test_memory_routes_are_unaffected(self) -> None:
        self.assertEqual(self.xc(self.gw1.get("/local/m")), "MISS")
        self.assertEqual(self.xc(self.gw1.get("/local/m")), "HIT")
        self.assertEqual(self.xc(self.gw2.get("/local/m")), "MISS")  # memory: per process
        self.assertEqual(stored_keys(self.redis_db, "local", "/local/m"), [])


class _Db:
    """A RedisServer seen through one database (the tests' gateways use db 2)."""

    def __init__(self, redis: RedisServer, db: int):
        self.redis, self.db = redis, db

    def command(self, *args):
        return self.redis.command(*args, db=self.db)


class RedisOutageTest(GatewayTestCase):
    def test_redis_down_is_a_bypass_and_caching_resumes(self) -> None:
        redis = RedisServer()
        self.addCleanup(redis.stop)
        origin = cache.Origin()
        self.addCleanup(origin.up.stop)
        gw = self.start_gateway(redis_cache_config(origin.up.url, redis.url()))
        self.assertEqual(gw.get("/shared/o").header("x-cache"), "MISS")
        wait_stored(redis, "shared", "/shared/o")
        self.assertEqual(gw.get("/shared/o").header("x-cache"), "HIT")
        redis.kill()
        for i in range(6):
            r = gw.get("/shared/o")
            self.assertEqual((r.status, r.header("x-cache")), (200, "MISS"), r)
        self.assertEqual(origin.count("/shared/o"), 7)
        wait_for(lambda: gw.metrics().value("gateway_cache_redis_errors_total", op="get") >= 6,
                 what="failed gets counted")
        wait_for(lambda: gw.metrics().value("gateway_cache_redis_errors_total", op="put") >= 1,
                 what="dropped puts counted")
        purge = gw.admin("DELETE", "/cache?route=shared")
        self.assertEqual(purge.status, 503, purge)
        self.assertEqual(purge.json()["error"]["code"], "cache_store_unavailable")
        redis.restart()

        def hit_again() -> bool:
            return gw.get("/shared/back").header("x-cache") == "HIT"
        wait_for(hit_again, timeout=20.0, interval=0.1, what="caching in Redis again")
        self.assertEqual(gw.admin("DELETE", "/cache").status, 200)


if __name__ == "__main__":
    unittest.main()
