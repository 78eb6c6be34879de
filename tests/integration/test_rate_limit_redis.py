"""Route rate limits with store: redis, through the real binary against a real redis-server:
two gateway processes enforce one shared limit; Redis killed or frozen follows redis.on_error
(allow and deny) with every request answered; Redis restarted is reconnected to; a reload
that changes a limit starts it afresh; the key layout in Redis; the load error without a
redis: section. Every wait is bounded (wait_for, request timeouts), nothing is timed."""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import unittest

from tests.integration.harness import (GatewayTestCase, Response, base_config, http_request,
                                       run_check, wait_for)
from tests.integration.redis_server import RedisServer

HOUR = "1h"  # nothing refills while a test runs
REQUEST_TIMEOUT = 10.0  # a hang guard, far above redis.timeout: a hung request fails


def concurrent_gets(targets: list[tuple[int, str]]) -> list[Response]:
    """One request per (port, path), all at once, each on its own connection."""
    results: list = [None] * len(targets)
    barrier = threading.Barrier(len(targets), timeout=10)

    def one(i: int, port: int, path: str) -> None:
        try:
            barrier.wait()
            results[i] = http_request(port, "GET", path, timeout=REQUEST_TIMEOUT)
        except BaseException as e:  # reported below
            results[i] = e

    threads = [threading.Thread(target=one, args=(i, p, path))
               for i, (p, path) in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for r in results:
        if not isinstance(r, Response):
            raise AssertionError(f"a request failed or hung: {r!r}")
    return results


class RedisRateLimitTest(GatewayTestCase):
    def setUp(self) -> None:
        self.up = self.start_upstream()
        self.redis = RedisServer()
        self.addCleanup(self.redis.stop)  # after the gateways (cleanups run last-in first)

    def config(self, limits: dict[str, dict], on_error: str = "allow",
               timeout: str = "3s", workers: int = 2) -> dict:
        """One route per entry (name -> limit with store: redis), path /<name>. The timeout is
        generous: on a loaded machine a healthy Redis must never look slow to these tests."""
        routes = [{"name": name, "match": {"path": f"/{name}"}, "upstream": "backend",
                   "rate_limit": [dict(limit, store="redis")]}
                  for name, limit in limits.items()]
        cfg = base_config(upstreams={"backend": {"targets": [{"url": self.up.url}]}},
                          routes=routes, server={"workers": workers})
        cfg["redis"] = {"url": self.redis.url(), "timeout": timeout, "on_error": on_error}
        return cfg

    def statuses(self, gw, path: str, n: int) -> list[int]:
        return [gw.get(path, timeout=REQUEST_TIMEOUT).status for _ in range(n)]

    def wait_metric(self, gw, value: float, name: str, **labels: str) -> None:
        wait_for(lambda: gw.metrics().value(name, **labels) == value, timeout=10,
                 what=f"{name}{labels} == {value}")

    # -- one limit, two gateway processes ----------------------------------------------------
    def test_two_gateways_enforce_one_shared_limit(self) -> None:
        cfg = self.config({"shared": {"key": "route", "limit": 10, "window": HOUR}})
        gws = [self.start_gateway(cfg), self.start_gateway(cfg)]
        results = concurrent_gets([(gw.port, "/shared") for gw in gws for _ in range(15)])
        ok = [r for r in results if r.status == 200]
        self.assertEqual(len(ok), 10, [r.status for r in results])
        for r in results:
            if r.status != 200:
                self.assert_error(r, 429, "rate_limited")
                self.assertTrue(int(r.header("retry-after")) >= 1, r)
                self.assertEqual(r.header("ratelimit-remaining"), "0", r)
        # One count between them: the allowed answers counted the burst down from 9 to 0.
        self.assertEqual(sorted(int(r.header("ratelimit-remaining")) for r in ok),
                         list(range(10)))
        self.assertTrue(all(r.header("ratelimit-limit") == "10" for r in ok))
        self.assertEqual(len(self.up.wait_requests(10)), 10)
        # Each gateway made its own share of the decisions; together 10 allowed, 20 limited.
        labels = {"route": "shared", "limit": "route 10/1h"}
        wait_for(lambda: sum(gw.metrics().value("gateway_rate_limit_decisions_total", **labels)
                             for gw in gws) == 30, timeout=10, what="30 decisions")
        allowed = sum(gw.metrics().value("gateway_rate_limit_decisions_total",
                                         result="allowed", **labels) for gw in gws)
        self.assertEqual(allowed, 10)
        for gw in gws:
            self.assertEqual(gw.metrics().value("gateway_rate_limit_redis_errors_total",
                                                **labels), 0)
        # The key in Redis: named as the README says, expiring when the count is used up.
        key = "gw:rl:shared:route:10/3600000ms/10:route"
        self.assertRegex(self.redis.command("GET", key), r"^\d+ \d+$")
        ttl = self.redis.command("PTTL", key)
        self.assertTrue(0 < ttl <= 3600 * 1000 + 1, ttl)
        self.assertEqual(len(self.up.seen()), 10)

    # -- Redis down: on_error ----------------------------------------------------------------
    def test_on_error_allow_with_redis_killed(self) -> None:
        gw = self.start_gateway(self.config(
            {"open": {"key": "ip", "limit": 2, "window": HOUR}}, on_error="allow"))
        self.assertEqual(self.statuses(gw, "/open", 3), [200, 200, 429])
        self.redis.kill()
        # Fail open: every request answered, and let through.
        results = concurrent_gets([(gw.port, "/open")] * 8)
        self.assertEqual([r.status for r in results], [200] * 8)
        self.assertEqual(self.statuses(gw, "/open", 4), [200] * 4)
        self.wait_metric(gw, 12, "gateway_rate_limit_redis_errors_total", route="open")
        self.assertGreater(gw.metrics().value("gateway_redis_errors_total"), 0)
        self.assertEqual(len(self.up.wait_requests(14)), 14)

    def test_on_error_deny_with_redis_frozen(self) -> None:
        gw = self.start_gateway(self.config(
            {"closed": {"key": "route", "limit": 100, "window": HOUR}}, on_error="deny",
            timeout="300ms", workers=1))
        wait_for(lambda: gw.get("/closed", timeout=REQUEST_TIMEOUT).status == 200,
                 timeout=10, what="a request Redis decided")
        errors_before = gw.metrics().value("gateway_rate_limit_redis_errors_total")
        # Frozen: connections stay open, nothing answers; redis.timeout ends each wait.
        os.kill(self.redis.proc.pid, signal.SIGSTOP)
        try:
            for r in concurrent_gets([(gw.port, "/closed")] * 4):
                self.assert_error(r, 429, "rate_limited")
                self.assertEqual(r.header("retry-after"), "1", r)
            self.wait_metric(gw, errors_before + 4, "gateway_rate_limit_redis_errors_total",
                             route="closed")
            wait_for(lambda: gw.metrics().value("gateway_redis_errors_total",
                                                reason="timeout") > 0, what="a redis timeout")
        finally:
            os.kill(self.redis.proc.pid, signal.SIGCONT)
        # Thawed: Redis decides again.
        wait_for(lambda: gw.get("/closed", timeout=REQUEST_TIMEOUT).status == 200,
                 timeout=15, interval=0.05, what="a request decided by the thawed Redis")

    def test_redis_restarted_is_reconnected(self) -> None:
        # One worker: each worker's client reconnects on its own, so with two the request
        # after the first one Redis decided could meet a client still waiting to reconnect.
        gw = self.start_gateway(self.config(
            {"closed": {"key": "route", "limit": 2, "window": HOUR}}, on_error="deny",
            workers=1))
        self.assertEqual(self.statuses(gw, "/closed", 1), [200])
        self.redis.kill()
        self.assert_error(gw.get("/closed", timeout=REQUEST_TIMEOUT), 429, "rate_limited")
        # Back on the same port, empty (no persistence): the gateway reconnects and the limit
        # applies again from a fresh count: 2 pass, then 429.
        self.redis.restart()
        first = wait_for(lambda: (lambda r: r if r.status == 200 else None)(
            gw.get("/closed", timeout=REQUEST_TIMEOUT)), timeout=15, interval=0.05,
            what="a request decided by the restarted Redis")
        self.assertEqual(first.header("ratelimit-remaining"), "1", first)
        self.assertEqual(self.statuses(gw, "/closed", 2), [200, 429])
        self.assertIsNotNone(self.redis.command("GET", "gw:rl:closed:route:2/3600000ms/2:route"))
        self.assertEqual(len(self.up.wait_requests(3)), 3)

    # -- reload --------------------------------------------------------------------------------
    def test_reload_changes_one_limit_and_keeps_the_other(self) -> None:
        def cfg(b_limit: int) -> dict:
            return self.config({"a": {"key": "route", "limit": 3, "window": HOUR},
                                "b": {"key": "route", "limit": b_limit, "window": HOUR}})

        gw = self.start_gateway(cfg(3))
        self.assertEqual(self.statuses(gw, "/a", 2), [200, 200])
        self.assertEqual(self.statuses(gw, "/b", 4), [200, 200, 200, 429])
        gw.write_config(cfg(5))
        self.assertEqual(gw.reload().status, 200)
        # Redis forgets its scripts (as after a restart or SCRIPT FLUSH): loaded again.
        self.assertEqual(self.redis.command("SCRIPT", "FLUSH"), "OK")
        self.assertEqual(self.statuses(gw, "/a", 2), [200, 429])  # one of three was left
        b = [gw.get("/b", timeout=REQUEST_TIMEOUT) for _ in range(6)]
        self.assertEqual([r.status for r in b], [200] * 5 + [429])  # a new limit, fresh
        self.assertEqual(b[0].header("ratelimit-limit"), "5", b[0])
        self.assertEqual(b[0].header("ratelimit-remaining"), "4", b[0])
        self.assertEqual(gw.metrics().value("gateway_rate_limit_redis_errors_total"), 0)

    # -- config ------------------------------------------------------------------------------
    def test_store_redis_without_redis_section_is_a_located_error(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "gateway.yaml")
            with open(path, "w") as f:
                f.write('server:\n  listen: "127.0.0.1:0"\nroutes:\n'
                        '  - name: r\n    match: { path: /r }\n    respond: { status: 200 }\n'
                        '    rate_limit:\n'
                        '      - { key: ip, limit: 5, window: 1s, store: redis }\n')
            r = run_check(path)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn(f"{path}:8:49: routes[0].rate_limit[0].store: store: redis needs a "
                          "top-level redis: section", r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
