"""server.limits.max_connections: connections past the limit are closed without an answer; a
freed slot serves a new connection normally."""

from __future__ import annotations

import socket
import time
import unittest

from tests.integration.harness import (ConnectionClosed, GatewayTestCase, RawConnection,
                                       base_config, wait_for)


class MaxConnectionsTest(GatewayTestCase):
    def setUp(self) -> None:
        self.up = self.start_upstream()
        self.gw = self.start_gateway(base_config(
            server={"workers": 2, "limits": {"max_connections": 3, "idle_timeout": "30s"}},
            upstreams={"backend": {"targets": [{"url": self.up.url}]}},
            routes=[{"name": "all", "match": {"path": "/*"}, "upstream": "backend"}]))

    def open_served(self, tag: str) -> RawConnection:
        c = self.gw.connect(timeout=5)
        self.addCleanup(c.close)
        c.send(f"GET /{tag} HTTP/1.1\r\nHost: t\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["path"], f"/{tag}")
        return c

    def refused(self, tag: str) -> tuple[bool, str]:
        """Connects and sends a request; (True, how) when closed/reset without any answer."""
        try:
            c = RawConnection(self.gw.port, timeout=3)
        except (ConnectionRefusedError, ConnectionResetError) as e:
            return True, f"connect: {e!r}"
        with c:
            try:
                c.send(f"GET /{tag} HTTP/1.1\r\nHost: t\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError) as e:
                return True, f"send: {e!r}"
            try:
                r = c.read_response(timeout=3)
            except ConnectionClosed as e:
                return True, f"read: {e}"
            except (socket.timeout, TimeoutError):
                return False, "no answer, but the connection stayed open for 3 s"
            except OSError as e:
                return True, f"read: {e!r}"
        return False, f"answered: {r!r}"

    def active(self) -> float:
        return self.gw.metrics().value("gateway_active_connections")

    def test_fourth_connection_closed_then_slot_freed(self) -> None:
        conns = [self.open_served(f"keep/{i}") for i in range(3)]
        self.assertEqual(len(self.up.wait_requests(3)), 3)

        refused, how = self.refused("fourth")
        self.assertTrue(refused, f"4th connection with max_connections 3: {how}")
        heads = [s.path for s in self.up.seen_heads()]
        self.assertNotIn("/fourth", heads, "the refused connection's request reached the upstream")

        # The three kept connections are unharmed.
        conns[0].send("GET /keep/again HTTP/1.1\r\nHost: t\r\n\r\n")
        self.assertEqual(conns[0].read_response().status, 200)

        # Free one slot: once the gateway has seen the close, a new connection is served.
        conns[2].close()
        wait_for(lambda: self.active() <= 2, 10, 0.05, "gateway_active_connections to drop to 2")
        c = self.open_served("after-close")
        c.send("POST /after-close/body HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello")
        r = c.read_response()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.wait_requests(6)[-1].body, b"hello")

        # And the limit holds again with the new connection in place.
        refused, how = self.refused("fifth")
        self.assertTrue(refused, f"over the limit again: {how}")
        self.assertNotIn("/fifth", [s.path for s in self.up.seen_heads()])


class HalfCloseTest(GatewayTestCase):
    def test_request_and_fin_in_one_segment_answered_then_closed(self) -> None:
        # A client sends its request and shuts down its sending side in one segment (TCP_CORK
        # holds the request until the shutdown). The gateway reads the request with a short
        # read; the end of stream behind it must be seen when it reads again after answering,
        # not at the idle timeout (30 s here).
        up = self.start_upstream()
        gw = self.start_gateway(base_config(
            server={"workers": 1, "limits": {"idle_timeout": "30s"}},
            upstreams={"backend": {"targets": [{"url": up.url}]}},
            routes=[{"name": "all", "match": {"path": "/*"}, "upstream": "backend"}]))
        c = gw.connect(timeout=10)
        with c:
            # Let the gateway accept and wait for the request first, so that the request and
            # its FIN come under one epoll edge of their own.
            time.sleep(0.3)
            c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
            c.send("GET /half-closed HTTP/1.1\r\nHost: t\r\n\r\n")
            c.sock.shutdown(socket.SHUT_WR)
            r = c.read_response(timeout=5)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json()["path"], "/half-closed")
            self.assertIsNotNone(c.wait_closed(5),
                                 "the gateway kept a half-closed connection open after answering")


if __name__ == "__main__":
    unittest.main()
