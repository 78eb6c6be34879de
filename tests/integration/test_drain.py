"""SIGTERM drains: in-flight requests finish, new connections are refused, exit code 0."""

from __future__ import annotations

import signal
import socket
import threading
import time
import unittest

from tests.integration.harness import (Gateway, GatewayTestCase, base_config, http_request,
                                       wait_for)


class DrainTest(GatewayTestCase):
    def setUp(self) -> None:
        self.release = threading.Event()
        self.addCleanup(self.release.set)

        def handler(req):
            if req.path.startswith("/slow"):
                self.release.wait(10)
                return 200, {"Content-Type": "text/plain"}, b"slow done"
            return 200, {"Content-Type": "text/plain"}, b"fast"
        self.up = self.start_upstream(handler)

    def start(self, drain_timeout: str) -> Gateway:
        cfg = base_config(
            server={"drain_timeout": drain_timeout},
            upstreams={"backend": {"targets": [{"url": self.up.url}],
                                   "timeouts": {"response": "20s"}}},
            routes=[{"name": "all", "match": {"path": "/*"}, "upstream": "backend",
                     "timeout": "20s"}])
        return self.start_gateway(cfg)

    def start_slow_request(self, gw: Gateway) -> tuple[threading.Thread, dict]:
        result: dict = {}

        def run() -> None:
            try:
                result["resp"] = http_request(gw.port, "GET", "/slow", timeout=15)
            except Exception as e:  # recorded and asserted by the test
                result["error"] = e
        t = threading.Thread(target=run, daemon=True)
        t.start()
        wait_for(lambda: self.up.seen(), 10, 0.01, "the slow request to reach the upstream")
        return t, result

    def connect_refused(self, port: int) -> bool:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=1)
        except ConnectionRefusedError:
            return True
        except OSError:
            return False
        s.close()
        return False

    def test_sigterm_finishes_in_flight_request(self) -> None:
        gw = self.start("10s")
        t, result = self.start_slow_request(gw)
        t0 = time.monotonic()
        gw.signal(signal.SIGTERM)

        # While draining: readiness goes 503 and new connections are refused.
        wait_for(lambda: self._readyz_status(gw) in (503, None), 10, 0.02,
                 "/readyz to report draining (503)")
        wait_for(lambda: self.connect_refused(gw.port), 10, 0.02,
                 "new public connections to be refused")
        self.assertIsNone(gw.proc.poll(), "the gateway exited with a request in flight")

        self.release.set()
        t.join(10)
        self.assertNotIn("error", result, f"in-flight request failed: {result.get('error')!r}")
        r = result["resp"]
        self.assertEqual((r.status, r.body), (200, b"slow done"), r)
        code = gw.wait_exit(5)
        self.assertEqual(code, 0, "gateway exit code after drain\n" + gw.stderr_text()[-2000:])
        self.assertLess(time.monotonic() - t0, 8)
        self.assertTrue(self.connect_refused(gw.port))

    def _readyz_status(self, gw: Gateway) -> int | None:
        try:
            return gw.admin("GET", "/readyz", timeout=1).status
        except OSError:
            return None

    def test_readyz_503_while_draining(self) -> None:
        gw = self.start("10s")
        t, result = self.start_slow_request(gw)
        gw.signal(signal.SIGTERM)
        status = wait_for(lambda: self._readyz_status(gw) == 503 and 503, 10, 0.02,
                          "/readyz to answer 503 while draining")
        self.assertEqual(status, 503)
        r = gw.admin("GET", "/readyz", timeout=1)
        self.assertEqual(r.status, 503)
        self.release.set()
        t.join(10)
        self.assertEqual(gw.wait_exit(5), 0)

    def test_idle_gateway_exits_promptly(self) -> None:
        gw = self.start("10s")
        self.assertEqual(gw.get("/fast").status, 200)
        # An idle keep-alive connection must not hold the drain for drain_timeout.
        c = gw.connect()
        with c:
            c.send("GET /fast HTTP/1.1\r\nHost: t\r\n\r\n")
            self.assertEqual(c.read_response().status, 200)
            t0 = time.monotonic()
            gw.signal(signal.SIGTERM)
            code = gw.wait_exit(5)
        self.assertIsNotNone(code, "no exit within 5 s with only an idle keep-alive connection "
                                   "open (drain_timeout 10s)")
        self.assertEqual(code, 0)
        self.assertLess(time.monotonic() - t0, 3.0)

    def test_drain_timeout_bounds_shutdown(self) -> None:
        gw = self.start("1s")
        t, result = self.start_slow_request(gw)
        t0 = time.monotonic()
        gw.signal(signal.SIGTERM)
        code = gw.wait_exit(6)
        elapsed = time.monotonic() - t0
        self.assertIsNotNone(code, "the gateway did not exit after drain_timeout")
        self.assertEqual(code, 0)
        self.assertGreater(elapsed, 0.8, "exited before drain_timeout with a request in flight")
        self.assertLess(elapsed, 4.0)
        self.release.set()
        t.join(5)
        resp = result.get("resp")
        self.assertTrue(resp is None or resp.status != 200 or resp.body != b"slow done",
                        "a request that outlived drain_timeout was still answered")

    def test_second_sigterm_exits_promptly(self) -> None:
        gw = self.start("30s")
        t, result = self.start_slow_request(gw)
        self.assertEqual(self.up.seen()[0].path, "/slow")
        gw.signal(signal.SIGTERM)
        wait_for(lambda: self._readyz_status(gw) in (503, None), 10, 0.02,
                 "/readyz to report draining (503)")
        time.sleep(0.3)
        self.assertIsNone(gw.proc.poll(), "exited at the first SIGTERM with a request in flight "
                                          "(drain_timeout 30s)")
        t0 = time.monotonic()
        gw.signal(signal.SIGTERM)
        code = gw.wait_exit(5)
        elapsed = time.monotonic() - t0
        self.assertIsNotNone(code, "a second SIGTERM during the drain did not stop the process "
                                   "within 5 s\n" + gw.stderr_text()[-2000:])
        self.assertLess(elapsed, 3.0, f"exit took {elapsed:.2f}s after the second SIGTERM")
        t.join(5)
        resp = result.get("resp")
        self.assertTrue(resp is None or resp.body != b"slow done",
                        "the in-flight request was still answered after a forced stop")
        self.release.set()
        self.assertEqual([s.path for s in self.up.seen()], ["/slow"])


if __name__ == "__main__":
    unittest.main()
