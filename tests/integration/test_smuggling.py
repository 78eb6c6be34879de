"""Request smuggling: ambiguous framing is refused with 400 and never reaches the upstream."""

from __future__ import annotations

import unittest

from tests.integration.harness import (ConnectionClosed, Gateway, GatewayTestCase, Upstream,
                                       base_config)

SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n"


class SmugglingTest(GatewayTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.up = Upstream()
        cls.addClassCleanup(cls.up.stop)
        cfg = base_config(
            upstreams={"backend": {"targets": [{"url": cls.up.url}]}},
            routes=[{"name": "all", "match": {"path": "/*"}, "upstream": "backend"}])
        cls.gw = Gateway(cfg)
        cls.addClassCleanup(cls.gw.stop)

    def setUp(self) -> None:
        self.up.clear()

    def send_bad(self, data: str):
        """Sends data; returns the first answer, then checks the connection does not go on."""
        c = self.gw.connect()
        with c:
            c.send(data)
            r = c.read_response(timeout=5)
            # Nothing more may be answered on this connection (no second, smuggled response).
            try:
                extra = c.read_response(timeout=1)
            except (ConnectionClosed, OSError):
                extra = None
            except AssertionError:
                extra = None
        self.assertIsNone(extra, f"a second response followed the 400: {extra}")
        return r

    def assert_upstream_untouched(self) -> None:
        # A clean request afterwards is a sync point: the upstream must see only it.
        r = self.gw.get("/sentinel")
        self.assertEqual(r.status, 200, r)
        heads = self.up.seen_heads()
        self.assertEqual([h.path for h in heads], ["/sentinel"],
                         "the upstream saw part of the refused request")

    def test_content_length_and_transfer_encoding(self) -> None:
        r = self.send_bad("POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED)
        self.assert_error(r, 400, "bad_request")
        self.assert_upstream_untouched()

    def test_content_length_and_transfer_encoding_head_only(self) -> None:
        # The head alone is ambiguous: the 400 must come before any body byte is sent, and the
        # upstream must not be contacted while the gateway waits.
        c = self.gw.connect()
        with c:
            c.send("POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n")
            r = c.read_response(timeout=3)
        self.assert_error(r, 400, "bad_request")
        self.assert_upstream_untouched()

    def test_two_differing_content_lengths_head_only(self) -> None:
        c = self.gw.connect()
        with c:
            c.send("POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                   "Content-Length: 6\r\n\r\n")
            r = c.read_response(timeout=3)
        self.assert_error(r, 400, "bad_request")
        self.assert_upstream_untouched()

    def test_transfer_encoding_and_content_length(self) -> None:
        r = self.send_bad("POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
                          "Content-Length: 50\r\n\r\n0\r\n\r\n" + SMUGGLED)
        self.assert_error(r, 400, "bad_request")
        self.assert_upstream_untouched()

    def test_two_differing_content_lengths(self) -> None:
        r = self.send_bad("POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                          "Content-Length: 6\r\n\r\nhello!" + SMUGGLED)
        self.assert_error(r, 400, "bad_request")
        self.assert_upstream_untouched()

    def test_content_length_list(self) -> None:
        r = self.send_bad("POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 6\r\n\r\nhello!")
        self.assert_error(r, 400, "bad_request")
        self.assert_upstream_untouched()

    def test_bad_chunk_size(self) -> None:
        r = self.send_bad("POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "zz\r\nhello\r\n0\r\n\r\n")
        self.assert_error(r, 400, "bad_request")
        self.assert_upstream_untouched()

    def test_negative_content_length(self) -> None:
        r = self.send_bad("POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n")
        self.assert_error(r, 400, "bad_request")
        self.assert_upstream_untouched()

    def test_non_numeric_content_length(self) -> None:
        r = self.send_bad("POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 5x\r\n\r\nhello")
        self.assert_error(r, 400, "bad_request")
        self.assert_upstream_untouched()

    def test_signed_content_length(self) -> None:
        r = self.send_bad("POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: +5\r\n\r\nhello")
        self.assert_error(r, 400, "bad_request")
        self.assert_upstream_untouched()

    def test_obfuscated_transfer_encoding(self) -> None:
        # Codings a front end and a back end may read differently: each is refused before any
        # byte goes upstream, and what follows on the connection is never a second request.
        variants = {
            "unknown coding": "Transfer-Encoding: xchunked\r\n",
            "chunked not last": "Transfer-Encoding: chunked, identity\r\n",
            "identity before chunked": "Transfer-Encoding: identity, chunked\r\n",
            "two headers": "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",
            "vertical tab": "Transfer-Encoding: \x0bchunked\r\n",
            "quoted": 'Transfer-Encoding: "chunked"\r\n',
            "with content-length": "Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n",
        }
        for name, head in variants.items():
            with self.subTest(name):
                self.up.clear()
                r = self.send_bad("POST /a HTTP/1.1\r\nHost: t\r\n" + head + "\r\n"
                                  "5\r\nhello\r\n0\r\n\r\n" + SMUGGLED)
                self.assert_error(r, 400, "bad_request")
                self.assert_upstream_untouched()

    def test_chunk_size_overflow(self) -> None:
        r = self.send_bad("POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "1" + "0" * 20 + "\r\nhello\r\n0\r\n\r\n" + SMUGGLED)
        self.assert_error(r, 400, "bad_request")
        self.assert_upstream_untouched()

    def test_good_chunked_then_pipelined_is_two_requests(self) -> None:
        # The positive control: correct framing keeps both requests apart.
        c = self.gw.connect()
        with c:
            c.send("POST /one HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "5\r\nhello\r\n0\r\n\r\nGET /two HTTP/1.1\r\nHost: t\r\n\r\n")
            r1 = c.read_response()
            r2 = c.read_response()
        self.assertEqual((r1.status, r2.status), (200, 200))
        seen = self.up.wait_requests(2)
        self.assertEqual([(s.method, s.path, s.body) for s in seen],
                         [("POST", "/one", b"hello"), ("GET", "/two", b"")])


if __name__ == "__main__":
    unittest.main()
