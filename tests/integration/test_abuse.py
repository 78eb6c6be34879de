"""Abuse through the real binary: hostile request heads get a clear 4xx or a clean close,
nothing that should not reaches the upstream, and the gateway answers normally afterwards.
(Smuggling framing lives in test_smuggling.py, size and time limits in test_limits.py.)"""

from __future__ import annotations

import socket
import threading
import time
import unittest
import urllib.parse

from tests.integration.harness import (HOST, ConnectionClosed, Gateway, GatewayTestCase,
                                       RawConnection, Upstream, base_config, echo_handler,
                                       wait_for)

BIG = 4 * 1024 * 1024  # the large response a client stops reading


def big_handler(req):
    if req.path.startswith("/public/big"):
        return 200, {"content-type": "application/octet-stream"}, b"x" * BIG
    return echo_handler(req)


class AbuseTest(GatewayTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.up = Upstream(big_handler)
        cls.addClassCleanup(cls.up.stop)
        cfg = base_config(
            upstreams={"backend": {"targets": [{"url": cls.up.url}]}},
            routes=[
                {"name": "public", "match": {"path": "/public/*"}, "upstream": "backend"},
                # A protected area: a request must never reach it through /public.
                {"name": "admin", "match": {"path": "/admin/*"}, "auth": ["keys"],
                 "respond": {"status": 200, "body": "admin area"}},
            ],
            server={"limits": {"max_header_bytes": "16KiB", "header_timeout": "2s",
                               "max_connections": 64}})
        cfg["consumers"] = [{"name": "ops", "api_keys": ["ops-key-0123456789abcdef"]}]
        cfg["authenticators"] = {"keys": {"type": "api_key", "header": "x-api-key"}}
        cls.gw = Gateway(cfg)
        cls.addClassCleanup(cls.gw.stop)

    def setUp(self) -> None:
        self.up.clear()

    # -- helpers ---------------------------------------------------------------------------

    def answer_or_close(self, data: bytes | str, timeout: float = 5.0):
        """The response to raw bytes, or None when the gateway closed without answering."""
        with self.gw.connect(timeout=timeout) as c:
            try:
                c.send(data)
                return c.read_response(timeout=timeout)
            except (ConnectionClosed, ConnectionResetError, BrokenPipeError):
                return None

    def assert_refused(self, data: bytes | str, status: int = 400) -> None:
        r = self.answer_or_close(data)
        if r is not None:
            self.assertEqual(r.status, status, r)
        self.assert_healthy_and_untouched()

    def assert_healthy_and_untouched(self) -> None:
        r = self.gw.get("/public/sentinel")
        self.assertEqual(r.status, 200, r)
        paths = [h.path for h in self.up.seen_heads()]
        self.assertEqual(paths, ["/public/sentinel"], "the upstream saw the refused request")

    # -- header syntax ---------------------------------------------------------------------

    def test_obs_fold_is_unfolded_before_forwarding(self) -> None:
        # RFC 9112 5.2 lets a proxy replace obs-fold with spaces instead of refusing it (the
        # parser does that): what matters is that no line break reaches the upstream.
        r = self.gw.raw("GET /public/a HTTP/1.1\r\nHost: t\r\nX-A: one\r\n two\r\n\r\n")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.last().header("x-a"), "one two")

    def test_bare_lf_is_refused(self) -> None:
        self.assert_refused("GET /public/a HTTP/1.1\nHost: t\n\n")

    def test_nul_in_header_value_is_refused(self) -> None:
        self.assert_refused(b"GET /public/a HTTP/1.1\r\nHost: t\r\nX-A: a\x00b\r\n\r\n")

    def test_cr_inside_header_value_is_refused(self) -> None:
        self.assert_refused(b"GET /public/a HTTP/1.1\r\nHost: t\r\nX-A: a\rb\r\n\r\n")

    def test_space_before_colon_is_refused(self) -> None:
        self.assert_refused("GET /public/a HTTP/1.1\r\nHost: t\r\nX-A : b\r\n\r\n")

    def test_duplicate_host_is_refused(self) -> None:
        self.assert_refused("GET /public/a HTTP/1.1\r\nHost: t\r\nHost: evil\r\n\r\n")

    def test_http2_preface_is_refused(self) -> None:
        self.assert_refused(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")

    def test_absolute_form_to_another_host_does_not_escape(self) -> None:
        r = self.answer_or_close("GET http://evil.example/admin/x HTTP/1.1\r\nHost: t\r\n\r\n")
        if r is not None:
            self.assertIn(r.status, (400, 403, 404), r)
        self.assert_healthy_and_untouched()

    # -- sizes -----------------------------------------------------------------------------

    def test_64_kib_header_is_431(self) -> None:
        self.assert_refused("GET /public/a HTTP/1.1\r\nHost: t\r\nX-Big: " + "a" * 65536 +
                            "\r\n\r\n", 431)

    def test_10000_headers_is_431(self) -> None:
        heads = "".join(f"X-H{i}: v\r\n" for i in range(10000))
        self.assert_refused("GET /public/a HTTP/1.1\r\nHost: t\r\n" + heads + "\r\n", 431)

    def test_1_mib_url_is_431(self) -> None:
        self.assert_refused("GET /public/" + "a" * (1 << 20) + " HTTP/1.1\r\nHost: t\r\n\r\n",
                            431)

    # -- paths -----------------------------------------------------------------------------

    def assert_stays_public(self, target: str) -> None:
        """Whatever the gateway made of target, the upstream only ever sees /public paths
        without dot segments; a path that normalises into /admin gets the admin route and
        its auth."""
        r = self.answer_or_close(f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n")
        for h in self.up.seen_heads():
            decoded = urllib.parse.unquote(h.path.split("?")[0])
            self.assertTrue(decoded.startswith("/public/"), f"{target} reached {h.path}")
            self.assertNotIn("/../", decoded + "/", f"{target} reached {h.path}")
            self.assertNotIn("/..;", decoded, f"{target} reached {h.path}")
        if r is not None and r.status == 200:
            self.assertNotEqual(r.body, b"admin area")
        return r

    def test_encoded_dot_segments_are_resolved_before_routing(self) -> None:
        for target in ["/public/%2e%2e/admin/x", "/public/%2E%2E/admin/x",
                       "/public/.%2e/admin/x", "/public/%2e./admin/x",
                       "/public/a/../../admin/x"]:
            with self.subTest(target=target):
                self.up.clear()
                r = self.assert_stays_public(target)
                self.assertIsNotNone(r)
                self.assert_error(r, 401, "missing_credentials")  # the admin route's auth
                self.assertNotIn(b"admin area", r.body)

    def test_encoded_slash_does_not_escape(self) -> None:
        for target in ["/public/..%2fadmin/x", "/public/..%2Fadmin/x", "/public/%2e%2e%2fadmin"]:
            with self.subTest(target=target):
                self.up.clear()
                self.assert_stays_public(target)

    def test_semicolon_dot_segments_are_refused(self) -> None:
        # "..;/" is ".." to Tomcat and friends: forwarding it would let /public reach /admin
        # on such an upstream.
        for target in ["/public/..;/admin/x", "/public/..;a=b/admin", "/public/.;/x"]:
            with self.subTest(target=target):
                self.up.clear()
                r = self.assert_stays_public(target)
                if r is not None:
                    self.assertEqual(r.status, 400, f"{target}: {r}")

    # -- slow and greedy clients -----------------------------------------------------------

    def test_client_that_stops_reading_does_not_stall_others(self) -> None:
        stalled = socket.create_connection((HOST, self.gw.port), timeout=5)
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        try:
            stalled.sendall(b"GET /public/big HTTP/1.1\r\nHost: t\r\n\r\n")
            self.up.wait_requests(1)
            # Others are served while that response is stuck in the pipe.
            for i in range(20):
                self.assertEqual(self.gw.get(f"/public/other{i}").status, 200)
        finally:
            stalled.close()
        # Once the greedy client is gone, its connection is released.
        wait_for(lambda: self.gw.metrics().value("gateway_active_connections") == 0, 10, 0.1,
                 "the stalled connection to be released")

    def test_slowloris_connections_are_cut_off(self) -> None:
        conns = []
        for _ in range(10):
            c = RawConnection(self.gw.port, timeout=10)
            c.send("GET /public/slow HTTP/1.1\r\nHost: t\r\n")  # never finished
            conns.append(c)
        try:
            # Normal traffic goes on meanwhile, and header_timeout (2s) ends each slow head.
            self.assertEqual(self.gw.get("/public/meanwhile").status, 200)
            for c in conns:
                self.assertIsNotNone(c.wait_closed(8), "a slow head was never cut off")
        finally:
            for c in conns:
                c.close()
        self.assertNotIn("/public/slow", [h.path for h in self.up.seen_heads()])

    def test_connection_flood_past_max_connections(self) -> None:
        opened = []
        try:
            for _ in range(150):  # max_connections is 64
                try:
                    opened.append(socket.create_connection((HOST, self.gw.port),
                                                           timeout=2))
                except OSError:
                    break
            # Past the limit connections are closed at once; the gateway itself stays fine.
            time.sleep(0.2)
        finally:
            for s in opened:
                s.close()
        wait_for(lambda: self.gw.metrics().value("gateway_active_connections") == 0, 10, 0.1,
                 "the flood to drain")
        self.assertEqual(self.gw.get("/public/after-flood").status, 200)


if __name__ == "__main__":
    unittest.main()
