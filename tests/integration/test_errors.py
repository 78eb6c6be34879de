"""The gateway's own errors: 502 when the upstream is down or broken, 504 when it is slow, and
the JSON error shape with the request id."""

from __future__ import annotations

import socket
import threading
import time
import unittest

from tests.integration.harness import (Gateway, GatewayTestCase, Upstream, base_config,
                                       echo_handler, free_port_closed)


class ErrorsTest(GatewayTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.release = threading.Event()
        cls.up = Upstream()
        cls.addClassCleanup(cls.up.stop)
        cls.addClassCleanup(cls.release.set)
        cls.dead_port = free_port_closed()
        # Accepts and closes at once, without reading: the request meets a closed socket (or,
        # with half_close, only sends its FIN and keeps the socket open, unread).
        cls.hangup_listener = socket.create_server(("127.0.0.1", 0))
        cls.hangup_listener.settimeout(0.2)
        cls.hangups = 0
        cls.half_close = False
        cls.lingering: list[socket.socket] = []
        cls.addClassCleanup(lambda: [c.close() for c in cls.lingering])
        threading.Thread(target=cls._hang_up_loop, daemon=True).start()
        cls.addClassCleanup(cls.hangup_listener.close)
        cfg = base_config(
            upstreams={
                "live": {"targets": [{"url": cls.up.url}]},
                "dead": {"targets": [{"url": f"http://127.0.0.1:{cls.dead_port}"}],
                         "timeouts": {"connect": "1s", "response": "5s"}},
                "hangup": {"targets": [{"url": "http://127.0.0.1:%d" %
                                        cls.hangup_listener.getsockname()[1]}],
                           "timeouts": {"connect": "1s", "response": "5s"}},
            },
            routes=[
                {"name": "down", "match": {"path": "/down"}, "upstream": "dead"},
                {"name": "hangup", "match": {"path": "/hangup"}, "upstream": "hangup"},
                {"name": "slow", "match": {"path": "/slow"}, "upstream": "live",
                 "timeout": "300ms"},
                {"name": "live", "match": {"path": "/live/*", "methods": ["GET", "POST"]},
                 "upstream": "live"},
            ])
        cls.gw = Gateway(cfg)
        cls.addClassCleanup(cls.gw.stop)

    @classmethod
    def _hang_up_loop(cls) -> None:
        deadline = time.monotonic() + 120  # bounded, like every loop of the tests
        while time.monotonic() < deadline:
            try:
                conn, _ = cls.hangup_listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return  # closed at cleanup
            cls.hangups += 1  # before the close, which the test may see first
            if cls.half_close:
                conn.shutdown(socket.SHUT_WR)  # a lingering close: its FIN, then it stays
                cls.lingering.append(conn)
            else:
                conn.close()

    def setUp(self) -> None:
        self.up.clear()
        self.up.handler = echo_handler

    def test_upstream_down_is_502(self) -> None:
        t0 = time.monotonic()
        r = self.gw.get("/down")
        self.assertLess(time.monotonic() - t0, 3.0)
        self.assert_error(r, 502, "upstream_unavailable")

    def test_502_keeps_request_id(self) -> None:
        r = self.gw.get("/down", {"X-Request-Id": "err-req-502"})
        err = self.assert_error(r, 502, "upstream_unavailable")
        self.assertEqual(err["request_id"], "err-req-502")

    def test_502_message_does_not_leak_internals(self) -> None:
        r = self.gw.get("/down")
        err = self.assert_error(r, 502, "upstream_unavailable")
        self.assertNotIn(str(self.dead_port), r.text, "the error leaks the upstream address")

    def test_slow_upstream_is_504(self) -> None:
        def slow(req):
            self.release.wait(3)
            return 200, {}, b"too late"
        self.up.handler = slow
        t0 = time.monotonic()
        r = self.gw.get("/slow", {"X-Request-Id": "err-req-504"})
        elapsed = time.monotonic() - t0
        err = self.assert_error(r, 504, "upstream_timeout")
        self.assertEqual(err["request_id"], "err-req-504")
        self.assertGreaterEqual(elapsed, 0.25)
        self.assertLess(elapsed, 2.0, "the route timeout (300ms) was not applied")
        self.assertEqual(len(self.up.wait_requests(1)), 1, "the upstream never got the request")

    def test_fast_upstream_within_timeout(self) -> None:
        r = self.gw.get("/slow")
        self.assertEqual(r.status, 200, r)

    def test_upstream_closes_without_answer_is_502(self) -> None:
        def hang_up(req):
            req.handler.close_connection = True
            return None
        self.up.handler = hang_up
        r = self.gw.get("/live/hangup")
        self.assert_error(r, 502, "upstream_unavailable")
        self.assertGreaterEqual(len(self.up.seen()), 1)

    def test_upstream_that_hangs_up_at_once_is_502_without_waiting(self) -> None:
        # The first read on a fresh upstream connection waits for epoll without trying the
        # socket first (DeadlineStream::await_readable): the close, or the reset our request
        # meets, must still end the exchange at once, not at the 5 s response timeout.
        t0 = time.monotonic()
        r = self.gw.get("/hangup")
        elapsed = time.monotonic() - t0
        self.assert_error(r, 502, "upstream_unavailable")
        self.assertLess(elapsed, 2.5, "the gateway waited for the response timeout")
        self.assertGreaterEqual(self.hangups, 1, "the upstream never saw a connection")

    def test_upstream_that_half_closes_at_once_is_502_without_waiting(self) -> None:
        # No reset follows here: the FIN itself must end the exchange, however it falls
        # against the connect's completion (seen with it: no waiting read; after it: an edge).
        type(self).half_close = True
        try:
            for _ in range(5):
                t0 = time.monotonic()
                r = self.gw.get("/hangup")
                elapsed = time.monotonic() - t0
                self.assert_error(r, 502, "upstream_unavailable")
                self.assertLess(elapsed, 2.5, "the gateway waited for the response timeout")
        finally:
            type(self).half_close = False

    def test_upstream_garbage_is_502(self) -> None:
        def garbage(req):
            req.handler.wfile.write(b"THIS IS NOT HTTP\r\n\r\n")
            req.handler.wfile.flush()
            req.handler.close_connection = True
            return None
        self.up.handler = garbage
        self.assert_error(self.gw.get("/live/garbage"), 502, "upstream_unavailable")

    def test_gateway_recovers_after_errors(self) -> None:
        self.assert_error(self.gw.get("/down"), 502, "upstream_unavailable")
        r = self.gw.get("/live/ok")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.wait_requests(1)[0].path, "/live/ok")

    def test_upstream_error_status_passed_through(self) -> None:
        self.up.handler = lambda req: (503, {"Content-Type": "text/plain"}, b"upstream says no")
        r = self.gw.get("/live/503")
        self.assertEqual((r.status, r.body), (503, b"upstream says no"), r)

    def test_404_shape(self) -> None:
        self.assert_error(self.gw.get("/nope", {"X-Request-Id": "r404"}), 404, "no_route")

    def test_405_shape(self) -> None:
        r = self.gw.request("DELETE", "/live/x")
        self.assert_error(r, 405, "method_not_allowed")
        self.assertTrue(r.header("allow"), r)

    def test_malformed_request_line_is_400(self) -> None:
        c = self.gw.connect()
        with c:
            c.send(b"THIS IS NOT HTTP AT ALL\r\n\r\n")
            try:
                r = c.read_response()
            except Exception as e:  # closing without an answer is not acceptable either
                self.fail(f"no 400 answer: {e!r}")
        self.assert_error(r, 400, "bad_request")
        self.assertEqual(self.up.seen_heads(), [])

    def test_bad_header_line_is_400(self) -> None:
        r = self.gw.raw(b"GET /live/x HTTP/1.1\r\nHost: t\r\nNo colon here\r\n\r\n")
        self.assert_error(r, 400, "bad_request")
        self.assertEqual(self.up.seen_heads(), [])

    def test_missing_host_http11_is_400(self) -> None:
        r = self.gw.raw(b"GET /live/x HTTP/1.1\r\nConnection: close\r\n\r\n")
        self.assert_error(r, 400, "bad_request")


if __name__ == "__main__":
    unittest.main()
