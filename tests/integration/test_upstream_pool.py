"""Upstream connections: pooled keep-alive connections the upstream closed, reuse of one
connection, an upstream answering before it read the request body, and slow streamed answers.

The upstream here is a RawUpstream (harness): minimal HTTP/1.1 written by hand, so each test
controls exactly when the upstream reads, answers and closes, and counts its TCP connections.
"""

from __future__ import annotations

import select
import socket
import threading
import time
import unittest

from tests.integration.harness import (ConnectionClosed, GatewayTestCase, RawConnection,
                                       RawUpstream, UpstreamConn, base_config,
                                       raw_echo_serve)

MiB = 1024 * 1024


def gateway_config(up_url: str, route_extra: dict | None = None, workers: int = 1) -> dict:
    route = {"name": "all", "match": {"path": "/*"}, "upstream": "backend"}
    route.update(route_extra or {})
    return base_config(
        server={"workers": workers, "limits": {"max_body_bytes": "16MiB"}},
        upstreams={"backend": {"targets": [{"url": up_url}],
                               "timeouts": {"connect": "2s", "response": "10s"},
                               "keepalive": {"max_idle": 8, "idle_timeout": "60s"}}},
        routes=[route])


def wait_readable(conn: UpstreamConn, timeout: float) -> bool:
    """True when the next request starts within timeout (or bytes are already buffered)."""
    if conn.buf:
        return True
    try:
        r, _, _ = select.select([conn.sock], [], [], timeout)
    except (OSError, ValueError):
        return False
    return bool(r)


class UpstreamPoolTest(GatewayTestCase):
    def start_raw_upstream(self, serve) -> RawUpstream:
        up = RawUpstream(serve)
        self.addCleanup(up.stop)
        return up

    # -- (a) the upstream closes idle keep-alive connections ---------------------------------
    def test_upstream_closed_idle_connection_is_not_reused(self) -> None:
        def serve(conn: UpstreamConn) -> None:
            # Keep-alive, but a connection idle for 1 s after a response is closed.
            for _ in range(100):
                req = conn.read_head(timeout=10)
                if req is None or not conn.read_body(req):
                    return
                conn.send_response(200, {"Content-Type": "text/plain"},
                                   b"got:" + (req.body or b""))
                if not wait_readable(conn, 1.0):
                    return  # idle for 1 s: close (FIN)
        up = self.start_raw_upstream(serve)
        gw = self.start_gateway(gateway_config(up.url))

        r1 = gw.request("POST", "/first", body=b"body-one")
        self.assertEqual((r1.status, r1.body), (200, b"got:body-one"), r1)
        time.sleep(1.5)  # the upstream closes its side of the pooled connection meanwhile
        r2 = gw.request("POST", "/second", body=b"body-two")
        self.assertEqual((r2.status, r2.body), (200, b"got:body-two"),
                         f"second POST after the upstream closed the idle pooled connection: "
                         f"{r2!r}")
        seen = up.wait_requests(2)
        self.assertEqual([(s.path, s.body) for s in seen],
                         [("/first", b"body-one"), ("/second", b"body-two")])
        self.assertEqual(up.accepted, 2, "expected a fresh upstream connection for the 2nd POST")

    # -- (b) keep-alive reuse ----------------------------------------------------------------
    def test_target_by_host_name_is_resolved(self) -> None:
        # "localhost" goes through the resolver (bounded by the connect timeout).
        up = self.start_raw_upstream(raw_echo_serve)
        gw = self.start_gateway(gateway_config(f"http://localhost:{up.port}"))
        r = gw.request("POST", "/named", body=b"by-name")
        self.assertEqual((r.status, r.body), (200, b"by-name"), r)
        seen = up.wait_requests(1)
        self.assertEqual(seen[0].path, "/named")
        self.assertEqual(seen[0].header("host"), f"localhost:{up.port}")

    def test_sequential_requests_reuse_one_upstream_connection(self) -> None:
        up = self.start_raw_upstream(raw_echo_serve)
        gw = self.start_gateway(gateway_config(up.url, workers=1))

        # Separate client connections, one after the other.
        for i in range(4):
            body = b"sep-%d" % i
            r = gw.request("POST", f"/sep/{i}", body=body)
            self.assertEqual((r.status, r.body), (200, body), r)
        # And several requests on one kept-alive client connection.
        c = gw.connect()
        with c:
            for i in range(4):
                c.send(f"GET /ka/{i} HTTP/1.1\r\nHost: t\r\n\r\n")
                r = c.read_response()
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.header("x-conn-index"), "0", r)
        seen = up.wait_requests(8)
        self.assertEqual([s.path for s in seen],
                         [f"/sep/{i}" for i in range(4)] + [f"/ka/{i}" for i in range(4)])
        self.assertEqual([s.body for s in seen[:4]], [b"sep-%d" % i for i in range(4)])
        self.assertEqual({s.conn_index for s in seen}, {0})
        self.assertEqual(up.accepted, 1,
                         f"8 sequential requests opened {up.accepted} upstream connections")

    # -- (c) an early answer without reading the body ----------------------------------------
    def _early_answer(self, linger: bool) -> None:
        size = 8 * MiB
        answered = threading.Event()
        self.addCleanup(answered.set)

        def serve(conn: UpstreamConn) -> None:
            req = conn.read_head(timeout=10)
            if req is None:
                return
            conn.send_response(401, {"Content-Type": "application/json",
                                     "WWW-Authenticate": 'Bearer realm="upstream"',
                                     "Connection": "close"},
                               b'{"error":"upstream says no"}')
            answered.set()
            if linger:
                # A polite server: stop sending, drain what is in flight for a while, close.
                try:
                    conn.sock.shutdown(socket.SHUT_WR)
                except OSError:
                    return
                conn.sock.settimeout(0.2)
                deadline = time.monotonic() + 3
                while time.monotonic() < deadline and not up.stopped:
                    try:
                        if not conn.sock.recv(65536):
                            return
                    except (socket.timeout, TimeoutError):
                        continue
                    except OSError:
                        return
            # Without linger: close at once with the body unread (the kernel sends a reset).
        up = self.start_raw_upstream(serve)
        gw = self.start_gateway(gateway_config(up.url))

        c = RawConnection(gw.port, timeout=10)
        self.addCleanup(c.close)
        c.send(f"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\n"
               f"Content-Length: {size}\r\n\r\n")
        sent = {"bytes": 0, "error": None}

        def sender() -> None:
            piece = b"u" * (64 * 1024)
            deadline = time.monotonic() + 8
            try:
                while sent["bytes"] < size and time.monotonic() < deadline:
                    c.sock.sendall(piece)
                    sent["bytes"] += len(piece)
            except OSError as e:  # the gateway may stop reading / close after the answer
                sent["error"] = e
        t = threading.Thread(target=sender, daemon=True)
        t.start()
        try:
            r = c.read_response(timeout=10)
        except (ConnectionClosed, OSError) as e:
            self.fail(f"no answer for the client (upstream answered 401 early): {e!r}")
        finally:
            c.close()
            t.join(10)
        self.assertTrue(answered.is_set(), "the upstream never got the request head")
        heads = up.seen_heads()
        self.assertEqual(len(heads), 1, heads)
        self.assertEqual(heads[0].header("content-length"), str(size))
        self.assertEqual(up.seen(), [], "the upstream read the whole body")
        if r.status == 502:
            self.fail(f"gateway bug: client got 502 instead of the upstream's early 401: {r!r}")
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.body, b'{"error":"upstream says no"}', r)
        self.assertEqual(r.header("www-authenticate"), 'Bearer realm="upstream"', r)

    def test_early_401_then_abrupt_close(self) -> None:
        self._early_answer(linger=False)

    def test_early_401_then_lingering_close(self) -> None:
        self._early_answer(linger=True)

    # -- (d) a slow streaming answer with a short route timeout ------------------------------
    def _slow_stream(self, chunked: bool) -> None:
        events = [b"data: event-%d\n\n" % i for i in range(5)]
        last_sent: dict = {}

        def serve(conn: UpstreamConn) -> None:
            req = conn.read_head(timeout=10)
            if req is None or not conn.read_body(req):
                return
            framing = ("Transfer-Encoding: chunked" if chunked
                       else f"Content-Length: {sum(map(len, events))}")
            conn.send("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                      f"Cache-Control: no-cache\r\n{framing}\r\n\r\n")
            for i, ev in enumerate(events):
                time.sleep(0.3)
                if i == len(events) - 1:
                    # Noted before the send: the client may hold the last bytes before
                    # send() returns here.
                    last_sent["t"] = time.monotonic()
                conn.send(b"%x\r\n%s\r\n" % (len(ev), ev) if chunked else ev)
            if chunked:
                conn.send(b"0\r\n\r\n")
            wait_readable(conn, 2)  # keep the connection until the gateway is done with it
        up = self.start_raw_upstream(serve)
        gw = self.start_gateway(gateway_config(up.url, {"timeout": "1s"}))

        c = gw.connect(timeout=10)
        with c:
            t0 = time.monotonic()
            c.send("GET /events HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n\r\n")
            head = c.read_head(timeout=5)
            self.assertEqual(head.status, 200, head)
            deadline = time.monotonic() + 8
            first_at = None
            expected = b"".join(events)
            raw = b""

            def complete() -> bool:
                return raw.endswith(b"0\r\n\r\n") if chunked else len(raw) >= len(expected)
            # Read whatever arrives, noting when the first event is complete at the client.
            for _ in range(10000):
                raw += c.buf
                c.buf = b""
                if first_at is None and events[0] in raw:
                    first_at = time.monotonic()
                if complete():
                    break
                try:
                    c._recv_more(deadline)
                except (ConnectionClosed, OSError) as e:
                    self.fail(f"stream cut after {time.monotonic() - t0:.2f}s "
                              f"(route timeout 1s, events every 0.3s): {e}; got {raw!r}")
            elapsed = time.monotonic() - t0
        body = self._dechunk(raw) if chunked else raw
        self.assertEqual(body, expected)
        self.assertIsNotNone(first_at)
        self.assertIn("t", last_sent, "the upstream did not send the last event")
        self.assertLess(first_at, last_sent["t"],
                        "the first event reached the client only after the upstream had sent "
                        "the last one: the answer was buffered, not streamed")
        self.assertGreater(elapsed, 1.2)
        seen = up.wait_requests(1)
        self.assertEqual(seen[0].path, "/events")
        self.assertEqual(seen[0].header("accept"), "text/event-stream")

    @staticmethod
    def _dechunk(raw: bytes) -> bytes:
        out = b""
        rest = raw
        for _ in range(1000):
            line, _, rest = rest.partition(b"\r\n")
            size = int(line.split(b";")[0], 16)
            if size == 0:
                return out
            out += rest[:size]
            rest = rest[size + 2:]
        raise AssertionError("too many chunks")

    def test_slow_chunked_stream_longer_than_route_timeout(self) -> None:
        self._slow_stream(chunked=True)

    def test_slow_content_length_body_longer_than_route_timeout(self) -> None:
        self._slow_stream(chunked=False)

    # -- (f) an end of stream right behind the last bytes ------------------------------------
    def test_close_delimited_answer_with_fin_in_the_same_segment(self) -> None:
        # The answer's last bytes and the FIN arrive together (TCP_CORK holds the data until
        # the shutdown, which sends both in one segment): the gateway's read of the answer is
        # short, and the end of stream behind it must still be read at once, not at the
        # response timeout.
        def serve(conn: UpstreamConn) -> None:
            req = conn.read_head(timeout=10)
            if req is None or not conn.read_body(req):
                return
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                      b"Connection: close\r\n\r\nbody until the close")
            conn.sock.shutdown(socket.SHUT_WR)
            time.sleep(0.5)
        up = self.start_raw_upstream(serve)
        cfg = gateway_config(up.url)
        cfg["upstreams"]["backend"]["timeouts"]["response"] = "30s"
        gw = self.start_gateway(cfg)
        c = gw.connect(timeout=10)
        with c:
            c.send("GET /to-the-close HTTP/1.1\r\nHost: t\r\n\r\n")
            r = c.read_response(timeout=5)
        self.assertEqual((r.status, r.body), (200, b"body until the close"), r)
        self.assertEqual([s.path for s in up.wait_requests(1)], ["/to-the-close"])


if __name__ == "__main__":
    unittest.main()
