"""Bodies stream both ways; keep-alive, pipelining, HTTP/1.0 and Expect: 100-continue."""

from __future__ import annotations

import hashlib
import threading
import time
import unittest

from tests.integration.harness import (Gateway, GatewayTestCase, Upstream, base_config,
                                       echo_handler)

MiB = 1024 * 1024
LARGE = 64 * MiB
RSS_GROWTH_LIMIT_KIB = 16 * 1024


def pattern_block(size: int = MiB) -> bytes:
    return bytes((i * 7 + 3) & 0xFF for i in range(256)) * (size // 256)


class StreamingTest(GatewayTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.up = Upstream()
        cls.addClassCleanup(cls.up.stop)
        cfg = base_config(
            server={"limits": {"max_body_bytes": "256MiB"}},
            upstreams={"backend": {"targets": [{"url": cls.up.url}],
                                   "timeouts": {"response": "20s"}}},
            routes=[{"name": "all", "match": {"path": "/*"}, "upstream": "backend",
                     "timeout": "20s"}])
        cls.gw = Gateway(cfg)
        cls.addClassCleanup(cls.gw.stop)

    def setUp(self) -> None:
        self.up.clear()
        self.up.handler = echo_handler
        self.up.read_body = True

    # -- chunked both ways -------------------------------------------------------------------
    def test_chunked_upload(self) -> None:
        parts = [b"part-%d;" % i * 100 for i in range(50)]
        r = self.gw.request("POST", "/upload", body=iter(parts))
        self.assertEqual(r.status, 200, r)
        s = self.up.wait_requests(1)[0]
        self.assertEqual(s.body, b"".join(parts))
        self.assertEqual(r.json()["body_len"], len(b"".join(parts)))

    def test_chunked_download_streams(self) -> None:
        # The upstream sends a first chunk, then waits until the client has it: only a
        # streaming gateway lets the test finish.
        client_got_first = threading.Event()
        self.addCleanup(client_got_first.set)

        def dripping(req):
            def gen():
                yield b"FIRST-CHUNK;"
                client_got_first.wait(5)
                for i in range(20):
                    yield b"more-%02d;" % i
            return 200, {"Content-Type": "text/plain"}, gen()
        self.up.handler = dripping

        c = self.gw.connect(timeout=10)
        with c:
            c.send("GET /download HTTP/1.1\r\nHost: t\r\n\r\n")
            head = c.read_head(timeout=5)
            self.assertEqual(head.status, 200, head)
            deadline = time.monotonic() + 4
            while b"FIRST-CHUNK;" not in c.buf and time.monotonic() < deadline:
                try:
                    c._recv_more(deadline)
                except (TimeoutError, OSError):
                    break
            streamed = b"FIRST-CHUNK;" in c.buf
            client_got_first.set()
            self.assertTrue(streamed, "the first chunk was held back by the gateway")
            sink: list[bytes] = []
            c.read_body(head, "GET", time.monotonic() + 5, sink)
        expected = b"FIRST-CHUNK;" + b"".join(b"more-%02d;" % i for i in range(20))
        self.assertEqual(b"".join(sink), expected)

    def test_chunked_upload_streams(self) -> None:
        # The client sends a first chunk and waits until the upstream has it before sending the
        # rest: only a gateway that forwards body pieces as they come lets this finish.
        upstream_got_first = threading.Event()
        self.addCleanup(upstream_got_first.set)

        def consume(req):
            received = b""
            for part in req.body_stream:
                received += part
                if b"FIRST;" in received:
                    upstream_got_first.set()
            return 200, {}, {"body": received.decode()}
        self.up.read_body = False
        self.up.handler = consume

        c = self.gw.connect(timeout=10)
        with c:
            c.send("POST /upload-stream HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "6\r\nFIRST;\r\n")
            streamed = upstream_got_first.wait(4)
            c.send("5\r\nrest;\r\n0\r\n\r\n")
            r = c.read_response(timeout=5)
        self.assertTrue(streamed, "the first request body chunk was held back by the gateway")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"body": "FIRST;rest;"})

    def test_chunked_download_via_http_client(self) -> None:
        chunks = [b"%05d" % i * 20 for i in range(200)]
        self.up.handler = lambda req: (200, {"Content-Type": "application/octet-stream"},
                                       iter(chunks))
        r = self.gw.get("/dl")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b"".join(chunks))

    # -- large bodies and memory -------------------------------------------------------------
    def _rss_sampler(self):
        samples: list[int] = []
        stop = threading.Event()

        def run():
            for _ in range(30000):  # bounded: 30000 * 10 ms = 300 s max
                if stop.is_set():
                    return
                try:
                    samples.append(self.gw.proc_status("VmRSS"))
                except (OSError, KeyError):
                    return
                time.sleep(0.01)
        t = threading.Thread(target=run, daemon=True)
        t.start()

        def finish() -> int:
            stop.set()
            t.join(5)
            return max(samples) if samples else 0
        return finish

    def test_large_upload_streams_without_buffering(self) -> None:
        def consume(req):
            h = hashlib.sha256()
            n = 0
            for part in req.body_stream:
                h.update(part)
                n += len(part)
            return 200, {}, {"received": n, "sha256": h.hexdigest()}
        self.up.read_body = False
        self.up.handler = consume
        self.assertEqual(self.gw.get("/warmup").status, 200)
        before = self.gw.proc_status("VmRSS")
        finish = self._rss_sampler()
        block = pattern_block()
        h = hashlib.sha256()
        c = self.gw.connect(timeout=30)
        with c:
            c.send(f"PUT /big-upload HTTP/1.1\r\nHost: t\r\nContent-Length: {LARGE}\r\n\r\n")
            for _ in range(LARGE // len(block)):
                c.send(block)
                h.update(block)
            r = c.read_response(timeout=30)
        peak = finish()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"received": LARGE, "sha256": h.hexdigest()})
        self.assertLessEqual(peak - before, RSS_GROWTH_LIMIT_KIB,
                             f"gateway RSS grew {peak - before} KiB for a 64 MiB upload")

    def test_large_download_streams_without_buffering(self) -> None:
        block = pattern_block()

        def produce(req):
            return 200, {"Content-Type": "application/octet-stream"}, (
                block for _ in range(LARGE // len(block)))
        self.up.handler = produce
        self.assertEqual(self.gw.get("/warmup").status, 200)
        before = self.gw.proc_status("VmRSS")
        finish = self._rss_sampler()
        c = self.gw.connect(timeout=30)
        with c:
            c.send("GET /big-download HTTP/1.1\r\nHost: t\r\n\r\n")
            r = c.read_response(timeout=30, keep_body=False)
        peak = finish()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body_len, LARGE)
        self.assertLessEqual(peak - before, RSS_GROWTH_LIMIT_KIB,
                             f"gateway RSS grew {peak - before} KiB for a 64 MiB download")

    # -- keep-alive and pipelining -----------------------------------------------------------
    def test_keepalive_sequential(self) -> None:
        c = self.gw.connect()
        with c:
            for i in range(5):
                c.send(f"GET /ka/{i} HTTP/1.1\r\nHost: t\r\n\r\n")
                r = c.read_response()
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json()["path"], f"/ka/{i}")
        self.assertEqual([s.path for s in self.up.wait_requests(5)],
                         [f"/ka/{i}" for i in range(5)])

    def test_pipelining_answers_in_order(self) -> None:
        reqs = ("GET /p/1 HTTP/1.1\r\nHost: t\r\n\r\n"
                "POST /p/2 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello"
                "GET /p/3 HTTP/1.1\r\nHost: t\r\nX-Request-Id: pipe-3\r\n\r\n")
        c = self.gw.connect()
        with c:
            c.send(reqs)
            rs = [c.read_response() for _ in range(3)]
        self.assertEqual([r.status for r in rs], [200, 200, 200], rs)
        self.assertEqual([r.json()["path"] for r in rs], ["/p/1", "/p/2", "/p/3"])
        self.assertEqual(rs[1].json()["body"], "hello")
        self.assertEqual(rs[2].header("x-request-id"), "pipe-3")
        self.assertEqual(len({r.header("x-request-id") for r in rs}), 3)
        self.assertEqual([(s.method, s.path) for s in self.up.wait_requests(3)],
                         [("GET", "/p/1"), ("POST", "/p/2"), ("GET", "/p/3")])

    def test_connection_close_honoured(self) -> None:
        c = self.gw.connect()
        with c:
            c.send("GET /close HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            r = c.read_response()
            self.assertEqual(r.status, 200, r)
            self.assertIsNotNone(c.wait_closed(3), "connection not closed after Connection: close")

    # -- HTTP/1.0 ----------------------------------------------------------------------------
    def test_http10(self) -> None:
        c = self.gw.connect()
        with c:
            c.send("GET /old HTTP/1.0\r\nHost: t\r\n\r\n")
            r = c.read_response()
            self.assertEqual(r.status, 200, r)
            self.assertIn(r.version, ("HTTP/1.0", "HTTP/1.1"))
            self.assertEqual(r.json()["path"], "/old")
            self.assertNotIn("chunked", (r.header("transfer-encoding") or "").lower(),
                             "chunked sent to an HTTP/1.0 client")
            self.assertIsNotNone(c.wait_closed(3), "HTTP/1.0 connection not closed")
        self.assertEqual(self.up.wait_requests(1)[0].path, "/old")

    def test_http10_with_chunked_upstream_reply(self) -> None:
        self.up.handler = lambda req: (200, {}, iter([b"abc", b"def"]))
        c = self.gw.connect()
        with c:
            c.send("GET /old-chunked HTTP/1.0\r\nHost: t\r\n\r\n")
            r = c.read_response()
        self.assertEqual((r.status, r.body), (200, b"abcdef"), r)
        self.assertNotIn("chunked", (r.header("transfer-encoding") or "").lower())

    def test_http10_without_host(self) -> None:
        r = self.gw.raw("GET /nohost HTTP/1.0\r\n\r\n")
        self.assertEqual(r.status, 200, r)

    # -- 100-continue ------------------------------------------------------------------------
    def test_expect_100_continue(self) -> None:
        body = b'{"expect":"continue"}'
        c = self.gw.connect()
        with c:
            c.send(f"POST /expect HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n")
            interim = c.read_head(timeout=3)
            self.assertEqual(interim.status, 100, f"expected 100 Continue, got {interim}")
            c.send(body)
            r = c.read_response()
        self.assertEqual(r.status, 200, r)
        s = self.up.wait_requests(1)[0]
        self.assertEqual(s.body, body)
        self.assertEqual(r.json()["body"], body.decode())

    def test_expect_100_continue_refused_when_too_large(self) -> None:
        # The final status comes before any body is sent, and the upstream never sees it.
        gw_limit = 256 * MiB
        c = self.gw.connect()
        with c:
            c.send(f"POST /expect HTTP/1.1\r\nHost: t\r\nContent-Length: {gw_limit + 1}\r\n"
                   f"Expect: 100-continue\r\n\r\n")
            r = c.read_response(timeout=5, skip_interim=True)
        self.assert_error(r, 413, "payload_too_large")
        self.assertEqual(self.up.seen_heads(), [])

    def test_head_request(self) -> None:
        c = self.gw.connect()
        with c:
            c.send("HEAD /head HTTP/1.1\r\nHost: t\r\n\r\n"
                   "GET /after-head HTTP/1.1\r\nHost: t\r\n\r\n")
            r1 = c.read_response(method="HEAD")
            r2 = c.read_response()
        self.assertEqual(r1.status, 200, r1)
        self.assertEqual(r1.body, b"")
        self.assertEqual(r2.json()["path"], "/after-head")
        self.assertEqual([s.method for s in self.up.wait_requests(2)], ["HEAD", "GET"])


if __name__ == "__main__":
    unittest.main()
