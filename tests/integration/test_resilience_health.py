"""Health checks and circuit breaking through the real binary, against upstream processes the
tests kill and restart (tests/integration/upstream_process.py)."""

from __future__ import annotations

import unittest

import tempfile

from tests.integration.harness import Gateway, Upstream, base_config, make_self_signed, wait_for
from tests.integration.resilience_util import ResilienceCase, readyz_targets

HEALTH = {"path": "/healthz", "interval": "200ms", "unhealthy_after": 2, "healthy_after": 2}


class HealthCheckTest(ResilienceCase):
    def test_killed_target_gets_no_traffic_and_comes_back(self) -> None:
        a, b = self.upstream("a"), self.upstream("b")
        gw = self.gateway([a, b], health_check=HEALTH)
        self.assertEqual(set(self.names(gw, 10)), {"a", "b"})
        self.assertEqual(readyz_targets(gw)[a.url], {"target": a.url, "healthy": True,
                                                     "circuit": "closed"})
        # Checks run once per interval and target from one thread, not once per worker.
        wait_for(lambda: a.health_count() >= 3, 10, 0.05, "health checks of a")

        a.kill()
        # unhealthy_after 2 at 200 ms: marked within a few intervals (bound generous).
        self.wait_target_metric(gw, "gateway_target_healthy", a, 0)
        self.assertFalse(readyz_targets(gw)[a.url]["healthy"])
        self.assertEqual(self.names(gw, 30), ["b"] * 30)  # no failed request reaches a

        a.start()  # same port
        self.wait_target_metric(gw, "gateway_target_healthy", a, 1)
        self.assertGreaterEqual(a.health_count(), 2)  # healthy_after good checks
        self.assertIn("a", self.names(gw, 10))
        self.assertTrue(readyz_targets(gw)[a.url]["healthy"])
        self.assertEqual(gw.admin("GET", "/readyz").status, 200)

    def test_failing_health_endpoint_takes_target_out(self) -> None:
        a, b = self.upstream("a"), self.upstream("b")
        gw = self.gateway([a, b], health_check=HEALTH)
        a.mode(health=500)  # a still answers traffic, but says it is not well
        self.wait_target_metric(gw, "gateway_target_healthy", a, 0)
        before = a.count()
        self.assertEqual(self.names(gw, 20), ["b"] * 20)
        self.assertEqual(a.count(), before)
        b.mode(health=500)  # nobody healthy: all targets rather than none
        self.wait_target_metric(gw, "gateway_target_healthy", b, 0)
        self.assertEqual(set(self.names(gw, 10)), {"a", "b"})

    def test_passive_marking_from_traffic(self) -> None:
        a, b = self.upstream("a"), self.upstream("b")
        # A long interval: only real traffic can mark a unhealthy within this test.
        gw = self.gateway([a, b], workers=1, health_check=dict(HEALTH, interval="1h"))
        a.mode(status=502)
        seen = self.names(gw, 10)  # round robin: a's 502s are relayed until marked
        self.assertEqual(seen[:4], [502, "b", 502, "b"])
        self.assertEqual(self.target_metric(gw, "gateway_target_healthy", a), 0)
        self.assertEqual(seen[4:], ["b"] * 6)


    def test_checks_over_tls_with_the_target_host(self) -> None:
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        cert, key = make_self_signed(tmp.name)
        up = Upstream(tls=(cert, key))
        self.addCleanup(up.stop)
        url = f"https://localhost:{up.port}"
        cfg = base_config(
            upstreams={"svc": {"targets": [{"url": url}], "tls": {"ca_file": cert},
                               "health_check": HEALTH}},
            routes=[{"name": "svc", "match": {"path": "/svc/*"}, "upstream": "svc"}])
        gw = Gateway(cfg)
        self.addCleanup(gw.stop)
        checks = wait_for(lambda: [r for r in up.seen() if r.path == "/healthz"][:2], 10, 0.05,
                          "two checks over TLS")
        self.assertEqual(checks[0].method, "GET")
        self.assertEqual(checks[0].header("host"), f"localhost:{up.port}")
        self.assertEqual(gw.metrics().value("gateway_target_healthy", target=url), 1)
        self.assertEqual(gw.get("/svc/x").status, 200)


class CircuitBreakerTest(ResilienceCase):
    def test_flapping_target_opens_then_recovers(self) -> None:
        a = self.upstream("a")
        gw = self.gateway([a], circuit_breaker={"consecutive_failures": 3, "open_for": "2s"})
        a.mode(status=503)
        self.assertEqual(self.names(gw, 3), [503, 503, 503])  # the upstream's own answers
        # The outcome is recorded once the answer has been relayed: the client may see it first.
        self.wait_target_metric(gw, "gateway_circuit_state", a, 1)
        calls = a.count()
        for _ in range(5):  # open: fail fast, no upstream call
            r = gw.get("/svc/x")
            self.assertEqual(r.status, 503)
            self.assertEqual(r.json()["error"]["code"], "circuit_open")
        self.assertEqual(a.count(), calls)
        self.assertEqual(readyz_targets(gw)[a.url]["circuit"], "open")

        # A reload with the same target keeps the open circuit.
        self.assertEqual(gw.reload().status, 200)
        self.assertEqual(self.target_metric(gw, "gateway_circuit_state", a), 1)

        # After open_for one probe goes through; it fails, so the circuit opens again.
        wait_for(lambda: gw.get("/svc/x").status == 503 and a.count() == calls + 1, 10, 0.1,
                 "a half-open probe")
        self.assertEqual(gw.get("/svc/x").json()["error"]["code"], "circuit_open")
        self.assertEqual(a.count(), calls + 1)

        a.mode(status=200)  # recovered: the next probe succeeds and closes the circuit
        wait_for(lambda: gw.get("/svc/x").status == 200, 10, 0.1, "a successful probe")
        self.wait_target_metric(gw, "gateway_circuit_state", a, 0)
        self.assertEqual(self.names(gw, 5), ["a"] * 5)

    def test_open_target_skipped_while_another_is_closed(self) -> None:
        a, b = self.upstream("a"), self.upstream("b")
        gw = self.gateway([a, b], workers=1,
                          circuit_breaker={"consecutive_failures": 2, "open_for": "1h"})
        a.kill()  # connection refused: a failure for the breaker
        seen = self.names(gw, 8)
        self.assertEqual(seen.count(502), 2)
        self.assertEqual(seen[4:], ["b"] * 4)
        self.assertEqual(self.target_metric(gw, "gateway_circuit_state", a), 1)
        self.assertEqual(self.target_metric(gw, "gateway_circuit_state", b), 0)


if __name__ == "__main__":
    unittest.main()
