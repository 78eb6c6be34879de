"""server.limits: 431 for big heads, 413 for big bodies, slow clients cut off after
header_timeout, idle keep-alive connections closed after idle_timeout."""

from __future__ import annotations

import time
import unittest

from tests.integration.harness import (ConnectionClosed, Gateway, GatewayTestCase, Upstream,
                                       base_config)


class LimitsTest(GatewayTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.up = Upstream()
        cls.addClassCleanup(cls.up.stop)
        cfg = base_config(
            server={"limits": {"max_header_bytes": "4KiB", "max_body_bytes": "1KiB",
                               "header_timeout": "1s", "idle_timeout": "1s"}},
            upstreams={"backend": {"targets": [{"url": cls.up.url}]}},
            routes=[{"name": "all", "match": {"path": "/*"}, "upstream": "backend"}])
        cls.gw = Gateway(cfg)
        cls.addClassCleanup(cls.gw.stop)

    def setUp(self) -> None:
        self.up.clear()

    def heads_for(self, path: str) -> list:
        # By path: a streamed (chunked) request of an earlier test may reach the upstream's
        # records after this test's clear().
        return [h for h in self.up.seen_heads() if h.path == path]

    # -- 431 ---------------------------------------------------------------------------------
    def test_header_under_limit_passes(self) -> None:
        r = self.gw.get("/small", {"X-Pad": "a" * 1000})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.wait_requests(1)[0].header("x-pad"), "a" * 1000)

    def test_header_over_limit_is_431(self) -> None:
        r = self.gw.raw("GET /big HTTP/1.1\r\nHost: t\r\nX-Pad: " + "a" * 8000 + "\r\n\r\n")
        self.assert_error(r, 431, "header_too_large")
        self.assertEqual(self.up.seen_heads(), [])

    def test_many_headers_over_limit_is_431(self) -> None:
        head = "".join(f"X-H{i}: {'b' * 90}\r\n" for i in range(80))
        r = self.gw.raw("GET /big HTTP/1.1\r\nHost: t\r\n" + head + "\r\n")
        self.assert_error(r, 431, "header_too_large")
        self.assertEqual(self.up.seen_heads(), [])

    # -- 413 ---------------------------------------------------------------------------------
    def test_body_under_limit_passes(self) -> None:
        r = self.gw.request("POST", "/body", body=b"x" * 1000)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.wait_requests(1)[0].body, b"x" * 1000)

    def test_content_length_over_limit_is_413_without_body(self) -> None:
        # Only the head is sent: the answer must come from Content-Length alone.
        c = self.gw.connect()
        with c:
            c.send("POST /body-cl-head HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n")
            r = c.read_response(timeout=5)
        self.assert_error(r, 413, "payload_too_large")
        self.assertEqual(self.heads_for("/body-cl-head"), [], "the upstream was contacted")

    def test_content_length_over_limit_with_body_is_413(self) -> None:
        c = self.gw.connect()
        with c:
            try:
                c.send("POST /body-cl HTTP/1.1\r\nHost: t\r\nContent-Length: 2048\r\n\r\n"
                       + "y" * 2048)
            except (BrokenPipeError, ConnectionResetError):
                pass
            r = c.read_response(timeout=5)
        self.assert_error(r, 413, "payload_too_large")
        self.assertEqual(self.heads_for("/body-cl"), [])

    def test_chunked_body_over_limit_is_413(self) -> None:
        c = self.gw.connect()
        with c:
            chunk = "400\r\n" + "z" * 0x400 + "\r\n"
            try:
                c.send("POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                       + chunk * 3 + "0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
            r = c.read_response(timeout=5)
        self.assert_error(r, 413, "payload_too_large")
        self.assertEqual(self.up.seen(), [], "the upstream got a complete oversized body")

    # -- header timeout (slowloris) ----------------------------------------------------------
    def test_slow_head_is_cut_off(self) -> None:
        c = self.gw.connect(timeout=10)
        with c:
            c.send("GET /slow HTTP/1.1\r\nHost: t\r\n")
            t0 = time.monotonic()
            closed_after = None
            # Keep dripping header bytes: the limit is on the whole head, not between reads.
            for i in range(40):  # at most ~6 s
                try:
                    c.send(f"X-Drip-{i}: d\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    closed_after = time.monotonic() - t0
                    break
                waited = c.wait_closed(0.15)
                if waited is not None:
                    closed_after = time.monotonic() - t0
                    break
        self.assertIsNotNone(closed_after, "the slow client was never cut off")
        self.assertGreater(closed_after, 0.7, "cut off long before header_timeout (1s)")
        self.assertLess(closed_after, 3.0, "not cut off near header_timeout (1s)")
        self.assertEqual(self.up.seen_heads(), [])

    def test_silent_connection_is_cut_off(self) -> None:
        c = self.gw.connect(timeout=10)
        with c:
            c.send("GET /silent HTTP/1.1\r\n")
            waited = c.wait_closed(5)
        self.assertIsNotNone(waited, "the connection stayed open")
        self.assertGreater(waited, 0.7)
        self.assertLess(waited, 3.0)

    def test_408_if_answered(self) -> None:
        # The gateway may answer 408 before closing; if it does, it is the JSON error.
        c = self.gw.connect(timeout=10)
        with c:
            c.send("GET /slow HTTP/1.1\r\nHost: t\r\n")
            try:
                r = c.read_response(timeout=5)
            except (ConnectionClosed, OSError):
                return
        self.assertEqual(r.status, 408, r)

    # -- idle timeout ------------------------------------------------------------------------
    def test_idle_keepalive_connection_closed(self) -> None:
        c = self.gw.connect(timeout=10)
        with c:
            c.send("GET /idle HTTP/1.1\r\nHost: t\r\n\r\n")
            r = c.read_response()
            self.assertEqual(r.status, 200, r)
            waited = c.wait_closed(5)
        self.assertIsNotNone(waited, "the idle connection was not closed")
        self.assertGreater(waited, 0.7)
        self.assertLess(waited, 3.0)

    def test_active_keepalive_connection_survives(self) -> None:
        # Requests 0.5 s apart on one connection for ~2.5 s: never idle for idle_timeout.
        c = self.gw.connect(timeout=10)
        with c:
            for i in range(5):
                c.send(f"GET /active/{i} HTTP/1.1\r\nHost: t\r\n\r\n")
                r = c.read_response()
                self.assertEqual(r.status, 200, r)
                time.sleep(0.5)
        self.assertEqual(len(self.up.wait_requests(5)), 5)


if __name__ == "__main__":
    unittest.main()
