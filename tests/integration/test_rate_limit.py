"""Route rate limits with the local store, through the real binary: the exact burst under
concurrency from many connections and workers, 429 with Retry-After and RateLimit-* headers,
refill, header keys, reload keeping unrelated counters, and the decision metrics."""

from __future__ import annotations

import threading
import time
import unittest

from tests.integration.harness import (GatewayTestCase, Response, base_config, http_request,
                                       wait_for)

HOUR = "1h"  # long enough that nothing refills while a test runs


def limited_route(name: str, path: str, limits: list[dict], upstream: str | None = "backend",
                  ) -> dict:
    route: dict = {"name": name, "match": {"path": path}, "rate_limit": limits}
    if upstream:
        route["upstream"] = upstream
    else:
        route["respond"] = {"status": 200, "body": "ok"}
    return route


def concurrent_gets(port: int, path: str, n: int, headers: dict | None = None,
                    ) -> list[Response]:
    """n requests at once, each on its own connection (and so spread over the workers)."""
    results: list[Response | BaseException] = [None] * n  # type: ignore[list-item]
    barrier = threading.Barrier(n, timeout=10)

    def one(i: int) -> None:
        try:
            barrier.wait()
            results[i] = http_request(port, "GET", path, headers, timeout=10)
        except BaseException as e:  # reported below, never swallowed
            results[i] = e

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    for r in results:
        if not isinstance(r, Response):
            raise AssertionError(f"a request failed: {r!r}")
    return results  # type: ignore[return-value]


class RateLimitTest(GatewayTestCase):
    def setUp(self) -> None:
        self.up = self.start_upstream()

    def config(self, routes: list[dict], workers: int = 4) -> dict:
        return base_config(upstreams={"backend": {"targets": [{"url": self.up.url}]}},
                           routes=routes, server={"workers": workers,
                                                  "trusted_proxies": ["127.0.0.0/8"]})

    def assert_rate_headers(self, r: Response, limit: int, remaining: int) -> None:
        self.assertEqual(r.header("ratelimit-limit"), str(limit), r)
        self.assertEqual(r.header("ratelimit-remaining"), str(remaining), r)
        self.assertTrue(r.header("ratelimit-reset", "").isdigit(), r)

    def assert_limited(self, r: Response, limit: int) -> None:
        self.assert_error(r, 429, "rate_limited")
        retry = r.header("retry-after", "")
        self.assertTrue(retry.isdigit() and int(retry) >= 1, r)
        self.assert_rate_headers(r, limit, 0)

    # -- the exact burst ---------------------------------------------------------------------
    def test_exact_burst_from_many_connections_and_workers(self) -> None:
        gw = self.start_gateway(self.config(
            [limited_route("burst", "/burst", [{"key": "route", "limit": 20, "window": HOUR}])]))
        results = concurrent_gets(gw.port, "/burst", 60)
        ok = [r for r in results if r.status == 200]
        refused = [r for r in results if r.status != 200]
        self.assertEqual(len(ok), 20, [r.status for r in results])
        self.assertEqual(len(refused), 40)
        for r in refused:
            self.assert_limited(r, 20)
        # Every allowed answer came from the upstream and carries the headers too; between
        # them they counted the burst down from 19 to 0.
        self.assertEqual(len(self.up.wait_requests(20)), 20)
        for r in ok:
            self.assertEqual(r.header("ratelimit-limit"), "20", r)
        self.assertEqual(sorted(int(r.header("ratelimit-remaining")) for r in ok),
                         list(range(20)))
        time.sleep(0.2)  # a request that wrongly slipped through would reach the upstream
        self.assertEqual(len(self.up.seen()), 20)
        m = wait_for(lambda: (lambda m: m if m.value("gateway_rate_limit_decisions_total",
                                                     route="burst") == 60 else None)(
            gw.metrics()), what="60 decisions in /metrics")
        labels = {"route": "burst", "limit": "route 20/1h"}
        self.assertEqual(m.value("gateway_rate_limit_decisions_total", result="allowed",
                                 **labels), 20)
        self.assertEqual(m.value("gateway_rate_limit_decisions_total", result="limited",
                                 **labels), 40)
        self.assertTrue(m.has("gateway_rate_limit_forced_evictions_total"), m.text)
        self.assertEqual(m.value("gateway_rate_limit_forced_evictions_total"), 0)

    def test_ip_keys_count_each_client_exactly(self) -> None:
        gw = self.start_gateway(self.config(
            [limited_route("per-ip", "/ip", [{"key": "ip", "limit": 5, "window": HOUR}],
                           upstream=None)]))
        # trusted_proxies makes X-Forwarded-For the client address: three clients at once.
        clients = ["192.0.2.1", "192.0.2.2", "2001:db8::7"]
        passed = {}
        for ip in clients:
            results = concurrent_gets(gw.port, "/ip", 12, {"X-Forwarded-For": ip})
            passed[ip] = sum(r.status == 200 for r in results)
        self.assertEqual(passed, {ip: 5 for ip in clients})

    # -- the 429 answer and the headers ------------------------------------------------------
    def test_refusal_shape_and_headers_on_every_answer(self) -> None:
        gw = self.start_gateway(self.config([
            limited_route("two", "/two", [{"key": "ip", "limit": 2, "window": "1m"}]),
            {"name": "free", "match": {"path": "/free"}, "upstream": "backend"}]))
        first = gw.get("/two")
        self.assertEqual(first.status, 200, first)
        self.assert_rate_headers(first, 2, 1)
        self.assertEqual(first.header("ratelimit-reset"), "30")  # 1m / 2 per request
        self.assert_rate_headers(gw.get("/two"), 2, 0)
        refused = gw.get("/two")
        self.assert_limited(refused, 2)
        self.assertEqual(refused.header("retry-after"), "30")
        self.assertEqual(refused.header("ratelimit-reset"), "60")
        self.assertEqual(set(refused.json()["error"]), {"code", "message", "request_id"})
        self.assertEqual(refused.json()["error"]["request_id"], refused.header("x-request-id"))
        self.assertEqual(len(self.up.seen()), 2)
        # HEAD gets the same head without a body.
        head = gw.request("HEAD", "/two")
        self.assertEqual(head.status, 429)
        self.assertEqual(head.body, b"")
        # A route without limits carries none of the headers.
        free = gw.get("/free")
        self.assertEqual(free.status, 200)
        self.assertFalse(free.has_header("ratelimit-limit"), free)

    def test_refill_after_the_interval(self) -> None:
        gw = self.start_gateway(self.config(
            [limited_route("refill", "/refill", [{"key": "route", "limit": 2, "window": "2s"}],
                           upstream=None)]))
        self.assertEqual([gw.get("/refill").status for _ in range(3)], [200, 200, 429])
        time.sleep(1.1)  # window / limit = 1 s: one request's worth comes back
        self.assertEqual(gw.get("/refill").status, 200)
        # And the whole burst after a full window of rest.
        time.sleep(2.1)
        r = gw.get("/refill")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("ratelimit-remaining"), "1", r)

    def test_header_keys_count_apart(self) -> None:
        gw = self.start_gateway(self.config([limited_route(
            "keyed", "/keyed", [{"key": "header:X-Api-Key", "limit": 2, "window": HOUR}],
            upstream=None)]))

        def statuses(headers: dict | None) -> list[int]:
            return [gw.get("/keyed", headers=headers).status for _ in range(3)]

        self.assertEqual(statuses({"x-api-key": "alpha"}), [200, 200, 429])
        self.assertEqual(statuses({"X-API-KEY": "beta"}), [200, 200, 429])
        # Without the header the caller is counted by its address.
        self.assertEqual(statuses(None), [200, 200, 429])
        self.assertEqual(statuses({"X-Forwarded-For": "198.51.100.1"}), [200, 200, 429])
        self.assertEqual(gw.get("/keyed", headers={"x-api-key": "alpha"}).status, 429)

    def test_consumer_keys_follow_the_authenticated_consumer(self) -> None:
        cfg = self.config([limited_route(
            "per-consumer", "/consumer", [{"key": "consumer", "limit": 2, "window": HOUR}],
            upstream=None) | {"auth": ["keys"]}])
        cfg["consumers"] = [{"name": "billing", "api_keys": ["billing-key-0123456789abcdef"]},
                            {"name": "crm", "api_keys": ["crm-key-0123456789abcdefgh"]}]
        cfg["authenticators"] = {"keys": {"type": "api_key", "header": "x-api-key"}}
        gw = self.start_gateway(cfg)

        def statuses(key: str | None, n: int = 3) -> list[int]:
            headers = {"x-api-key": key} if key else None
            return [gw.get("/consumer", headers=headers).status for _ in range(n)]

        # Same address, two consumers: two counts. No key: 401 from auth, which runs first
        # and uses up nothing.
        self.assertEqual(statuses(None, 4), [401] * 4)
        self.assertEqual(statuses("billing-key-0123456789abcdef"), [200, 200, 429])
        self.assertEqual(statuses("crm-key-0123456789abcdefgh"), [200, 200, 429])

    # -- reload ------------------------------------------------------------------------------
    def test_reload_changes_one_limit_and_keeps_the_other_count(self) -> None:
        def routes(b_limit: int) -> list[dict]:
            return [
                limited_route("a", "/a", [{"key": "route", "limit": 3, "window": HOUR}],
                              upstream=None),
                limited_route("b", "/b", [{"key": "route", "limit": b_limit, "window": HOUR}],
                              upstream=None)]

        gw = self.start_gateway(self.config(routes(3)))
        self.assertEqual([gw.get("/a").status for _ in range(2)], [200, 200])
        self.assertEqual([gw.get("/b").status for _ in range(4)], [200, 200, 200, 429])
        gw.write_config(self.config(routes(5)))
        self.assertEqual(gw.reload().status, 200)
        # a kept its count: one left of three.
        self.assertEqual([gw.get("/a").status for _ in range(2)], [200, 429])
        # b's limit changed: a fresh count under the new limit.
        b = [gw.get("/b") for _ in range(6)]
        self.assertEqual([r.status for r in b], [200] * 5 + [429])
        self.assert_rate_headers(b[0], 5, 4)

    def test_store_redis_without_redis_section_fails_the_reload(self) -> None:
        gw = self.start_gateway(self.config(
            [limited_route("ok", "/ok", [{"key": "ip", "limit": 1, "window": "1s"}])]))
        gw.write_config(self.config([limited_route(
            "ok", "/ok", [{"key": "ip", "limit": 1, "window": "1s", "store": "redis"}])]))
        r = gw.reload()
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json()["error"]["code"], "reload_failed")
        self.assertIn("routes[0].rate_limit[0].store: store: redis needs a top-level redis: "
                      "section", r.json()["error"]["message"])
        self.assertEqual(gw.get("/ok").status, 200)  # the old config still serves


if __name__ == "__main__":
    unittest.main()
