"""Balancing and retries through the real binary, against upstream processes the tests start
and kill (tests/integration/upstream_process.py)."""

from __future__ import annotations

import re
import time
import unittest
from email.utils import formatdate

from tests.integration.harness import Gateway, base_config, wait_for
from tests.integration.resilience_util import ResilienceCase, parallel

RETRY = {"attempts": 2, "on": ["connect_failure", "reset", 503], "backoff": "10ms"}


class RetryTest(ResilienceCase):
    def test_get_retried_on_another_target_post_not(self) -> None:
        a, b = self.upstream("a"), self.upstream("b")
        gw = self.gateway([a, b], workers=1, retry=RETRY)
        a.mode(status=503)
        # Round robin alternates a, b: every GET that met a's 503 went on to b.
        self.assertEqual(self.names(gw, 10), ["b"] * 10)
        self.assertEqual(a.count(), 5)
        self.assertEqual(b.count(), 10)
        self.assertEqual(gw.metrics().value("gateway_upstream_retries_total", upstream="svc"), 5)

        a_before, b_before = a.count(), b.count()
        posts = self.names(gw, 10, "POST", b'{"x":1}')
        self.assertEqual(posts.count(503), 5)  # a's answer, as it was: no retry
        self.assertEqual(posts.count("b"), 5)
        self.assertEqual((a.count() - a_before) + (b.count() - b_before), 10)

    def test_kept_body_is_sent_again_large_one_is_not(self) -> None:
        a, b = self.upstream("a"), self.upstream("b")
        gw = self.gateway([a, b], workers=1, retry=RETRY)
        a.mode(status=503)
        small = b"s" * 5000
        rs = [gw.request("PUT", "/svc/x", body=small) for _ in range(4)]
        self.assertEqual([r.status for r in rs], [200] * 4)
        self.assertEqual({r.json()["body_length"] for r in rs}, {5000})
        large = b"L" * (100 * 1024)  # past the 64 KiB kept for retries
        statuses = [gw.request("PUT", "/svc/x", body=large).status for _ in range(4)]
        self.assertEqual(sorted(statuses), [200, 200, 503, 503])

    def test_connect_failure_retried_on_live_target(self) -> None:
        a, b = self.upstream("a"), self.upstream("b")
        gw = self.gateway([a, b], retry=RETRY)
        a.kill()
        self.assertEqual(self.names(gw, 20), ["b"] * 20)

    def test_retry_after_is_honoured_within_the_timeout(self) -> None:
        a = self.upstream("a")
        gw = self.gateway([a], retry={"attempts": 2, "on": [503], "backoff": "10ms"})
        a.mode(status=503, retry_after=60)  # past the route's timeout (5s): not waited for
        self.assertEqual(gw.get("/svc/x").status, 503)
        self.assertEqual(a.count(), 1)
        a.mode(retry_after=1)
        self.assertEqual(gw.get("/svc/x").status, 503)
        self.assertEqual(a.count(), 3)  # retried, after the upstream's second
        # Log lines reach the test through a pipe a thread reads: wait for them.
        wait_for(lambda: '"wait_ms":"1000"' in gw.stderr_text(), what="the retry logged")

    def test_retry_after_as_an_http_date(self) -> None:
        a = self.upstream("a")
        gw = self.gateway([a], retry={"attempts": 2, "on": [503], "backoff": "10ms"})
        a.mode(status=503, retry_after=formatdate(time.time() + 3600, usegmt=True))
        self.assertEqual(gw.get("/svc/x").status, 503)
        self.assertEqual(a.count(), 1)  # an hour: past the route's timeout, not waited for
        a.mode(retry_after=formatdate(time.time() + 2, usegmt=True))
        self.assertEqual(gw.get("/svc/x").status, 503)
        self.assertEqual(a.count(), 3)  # retried once the date had come
        wait_for(lambda: '"wait_ms"' in gw.stderr_text(), what="the retry logged")
        waits = [int(w) for w in re.findall(r'"wait_ms":"(\d+)"', gw.stderr_text())]
        self.assertEqual(len(waits), 1, gw.stderr_text())
        # The date has whole seconds: 2 s ahead is a wait of 1 to 2 s, less the time the
        # answer took to reach the gateway (a loaded machine: allow it most of a second).
        self.assertGreater(waits[0], 100)
        self.assertLessEqual(waits[0], 2000)

    def test_budget_holds_under_full_outage(self) -> None:
        a, b = self.upstream("a"), self.upstream("b")
        gw = self.gateway([a, b], workers=1,
                          retry={"attempts": 3, "on": [503], "backoff": "1ms"})
        a.mode(status=503)
        b.mode(status=503)
        n = 300
        self.assertEqual(self.names(gw, n), [503] * n)
        calls = a.count() + b.count()
        retries = gw.metrics().value("gateway_upstream_retries_total", upstream="svc")
        self.assertEqual(calls, n + retries)
        # Without a budget: 3 calls per request (900). With it: 20% of requests, plus a floor.
        self.assertLessEqual(retries, n * 0.2 + 10)
        self.assertGreaterEqual(retries, 10)


class BalanceTest(ResilienceCase):
    def test_weights_hold_over_10000_requests(self) -> None:
        a, b = self.upstream("a"), self.upstream("b")
        gw = self.gateway([a, b], weights=[1, 3], balance="round_robin")
        parallel(lambda i: self.names(gw, 2500), 4)
        total = a.count() + b.count()
        self.assertEqual(total, 10000)
        self.assertAlmostEqual(a.count() / total, 0.25, delta=0.01)

    def test_target_by_name_through_the_shared_cache(self) -> None:
        a = self.upstream("a")
        gw = Gateway(base_config(
            upstreams={"svc": {"targets": [{"url": f"http://localhost:{a.port}"}],
                               "keepalive": {"max_idle": 0}}},
            routes=[{"name": "svc", "match": {"path": "/svc/*"}, "upstream": "svc"}],
            server={"workers": 2}, log={"access": "off"}))
        self.addCleanup(gw.stop)
        # No pooling: every request connects, through the name cache after the first.
        self.assertEqual(self.names(gw, 20), ["a"] * 20)
        self.assertEqual(a.count(), 20)

    def test_least_request_steers_away_from_slow_target(self) -> None:
        slow, fast = self.upstream("slow"), self.upstream("fast")
        gw = self.gateway([slow, fast], workers=1, balance="least_request")
        slow.mode(delay=0.3)
        parallel(lambda i: self.names(gw, 10), 6)
        total = slow.count() + fast.count()
        self.assertEqual(total, 60)
        # Round robin would send it 30; with its requests piling up it gets few.
        self.assertLess(slow.count(), 15)


if __name__ == "__main__":
    unittest.main()
