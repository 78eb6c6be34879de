"""Response caching through the real binary, part two: per-consumer isolation on
authenticated routes, the admin token on purges, stale copies standing in for a refused
connection, and the memory bound under a flood of distinct keys (each with its own gateway)."""

from __future__ import annotations

import time
import unittest

# The module, not its names: its test classes must not be collected here a second time.
from tests.integration import test_cache as cache
from tests.integration.harness import Gateway, GatewayTestCase, base_config


class AdminTokenTest(GatewayTestCase):
    def test_purge_needs_the_admin_token(self) -> None:
        origin = cache.Origin()
        self.addCleanup(origin.up.stop)
        cfg = cache.cache_config(origin.up.url, origin.up.url)
        cfg["admin"]["token"] = "s3cret"
        gw = self.start_gateway(cfg)
        self.assertEqual(gw.get("/items/t").header("x-cache"), "MISS")
        self.assertEqual(gw.admin("DELETE", "/cache", token="wrong").status, 401)
        self.assertEqual(gw.get("/items/t").header("x-cache"), "HIT")
        r = gw.admin("DELETE", "/cache?route=items")
        self.assertEqual(r.json(), {"purged": 1})
        self.assertEqual(gw.get("/items/t").header("x-cache"), "MISS")


ALICE_KEY = "alice-key-0123456789abcdef"
BOB_KEY = "bob-key-0123456789abcdefgh"


class ConsumerIsolationTest(GatewayTestCase):
    """On an authenticated route each consumer has its own entries unless shared: true."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.origin = cache.Origin()
        cls.addClassCleanup(cls.origin.up.stop)
        cfg = base_config(
            upstreams={"origin": {"targets": [{"url": cls.origin.up.url}]}},
            routes=[
                {"name": "mine", "match": {"path": "/mine/*"}, "upstream": "origin",
                 "auth": ["keys"], "cache": {"ttl": "30s"}},
                {"name": "common", "match": {"path": "/common/*"}, "upstream": "origin",
                 "auth": ["keys"], "cache": {"ttl": "30s", "shared": True}},
            ],
            server={"workers": 2})
        cfg["consumers"] = [{"name": "alice", "api_keys": [ALICE_KEY]},
                            {"name": "bob", "api_keys": [BOB_KEY]}]
        cfg["authenticators"] = {"keys": {"type": "api_key", "header": "x-api-key"}}
        cls.gw = Gateway(cfg)
        cls.addClassCleanup(cls.gw.stop)

    def as_(self, key: str, path: str):
        return self.gw.get(path, {"X-Api-Key": key})

    def test_one_consumer_never_gets_anothers_entry(self) -> None:
        alice = self.as_(ALICE_KEY, "/mine/profile")
        bob = self.as_(BOB_KEY, "/mine/profile")
        self.assertEqual((alice.header("x-cache"), bob.header("x-cache")), ("MISS", "MISS"))
        self.assertNotEqual(alice.body, bob.body)
        alice2 = self.as_(ALICE_KEY, "/mine/profile")
        bob2 = self.as_(BOB_KEY, "/mine/profile")
        self.assertEqual((alice2.header("x-cache"), bob2.header("x-cache")), ("HIT", "HIT"))
        self.assertEqual(alice2.body, alice.body)
        self.assertEqual(bob2.body, bob.body)
        self.assertEqual(self.origin.count("/mine/profile"), 2)

    def test_refused_callers_never_see_an_entry(self) -> None:
        self.assertEqual(self.as_(ALICE_KEY, "/mine/secret").status, 200)
        for headers in ({}, {"X-Api-Key": "wrong-key-0123456789abcdef"}):
            r = self.gw.get("/mine/secret", headers)
            self.assertEqual(r.status, 401, r)
            self.assertEqual(r.header("x-cache"), "BYPASS")
            self.assertNotIn(b"/mine/secret", r.body)

    def test_shared_route_has_one_entry_for_all(self) -> None:
        alice = self.as_(ALICE_KEY, "/common/news")
        bob = self.as_(BOB_KEY, "/common/news")
        self.assertEqual((alice.header("x-cache"), bob.header("x-cache")), ("MISS", "HIT"))
        self.assertEqual(alice.body, bob.body)
        self.assertEqual(self.origin.count("/common/news"), 1)


class StaleOnConnectFailureTest(GatewayTestCase):
    def test_stale_copy_stands_in_for_a_refused_connection(self) -> None:
        origin = cache.Origin()
        self.addCleanup(origin.up.stop)
        gw = self.start_gateway(cache.cache_config(origin.up.url, origin.up.url))
        first = gw.get("/stale/c?close=1")
        self.assertEqual(first.header("x-cache"), "MISS")
        origin.up.stop()
        time.sleep(1.2)
        r = gw.get("/stale/c?close=1")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, first.body)
        self.assertEqual(r.header("x-cache"), "STALE")
        self.assertEqual(gw.get("/stale/other?close=1").status, 502)


class MemoryBoundTest(GatewayTestCase):
    def test_flood_of_distinct_keys_stays_within_max_bytes(self) -> None:
        origin = cache.Origin()
        self.addCleanup(origin.up.stop)
        gw = self.start_gateway(cache.cache_config(origin.up.url, origin.up.url, max_bytes="64KiB"))
        for i in range(400):
            r = gw.get(f"/items/flood/{i}?size=2000")
            self.assertEqual(r.status, 200)
        m = gw.metrics()
        self.assertLessEqual(m.value("gateway_cache_bytes"), 64 * 1024)
        self.assertGreater(m.value("gateway_cache_bytes"), 0)
        self.assertGreater(m.value("gateway_cache_evictions_total", route="items"), 300)
        # The most recent keys are still there.
        self.assertEqual(gw.get("/items/flood/399?size=2000").header("x-cache"), "HIT")


if __name__ == "__main__":
    unittest.main()
