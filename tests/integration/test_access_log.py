"""The access log: one JSON line per request on stdout (or a file, or off); secrets never in
any output."""

from __future__ import annotations

import json
import os
import time
import unittest

from tests.integration.harness import (Gateway, GatewayTestCase, Upstream, base_config,
                                       free_port_closed, wait_for)

FIELDS = {"time", "request_id", "client_ip", "method", "path", "route", "status", "bytes_in",
          "bytes_out", "duration_ms", "upstream", "upstream_duration_ms"}

CLIENT_BEARER = "client-bearer-secret-AAA111"
CLIENT_COOKIE = "cookie-secret-BBB222"
CLIENT_API_KEY = "apikey-secret-CCC333"
UP_BEARER = "upstream-bearer-secret-DDD444"
UP_HEADER = "upstream-header-secret-EEE555"
UP_BASIC_PW = "upstream-basic-pw-FFF666"
UP_QUERY = "upstream-query-secret-GGG777"


def routes() -> list:
    return [
        {"name": "echo", "match": {"path": "/echo/*"}, "upstream": "backend"},
        {"name": "mock", "match": {"path": "/mock"}, "respond": {"status": 202, "body": "mock!"}},
        {"name": "down", "match": {"path": "/down"}, "upstream": "dead"},
    ]


class AccessLogTest(GatewayTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.up = Upstream()
        cls.addClassCleanup(cls.up.stop)
        cls.dead_port = free_port_closed()
        cls.gw = Gateway(base_config(
            upstreams={"backend": {"targets": [{"url": cls.up.url}]},
                       "dead": {"targets": [{"url": f"http://127.0.0.1:{cls.dead_port}"}]}},
            routes=routes()))
        cls.addClassCleanup(cls.gw.stop)

    def setUp(self) -> None:
        self.up.clear()

    def test_proxied_request_line(self) -> None:
        r = self.gw.request("POST", "/echo/log?q=1", {"X-Request-Id": "log-post-1"},
                            body=b"hello world")
        self.assertEqual(r.status, 200, r)
        line = self.gw.wait_access_log("log-post-1")
        self.assertTrue(FIELDS <= set(line), f"missing fields: {FIELDS - set(line)} in {line}")
        self.assertEqual(line["method"], "POST")
        self.assertIn(line["path"], ("/echo/log", "/echo/log?q=1"))
        self.assertEqual(line["route"], "echo")
        self.assertEqual(line["status"], 200)
        self.assertEqual(line["client_ip"], "127.0.0.1")
        self.assertEqual(line["bytes_in"], 11)
        self.assertEqual(line["bytes_out"], len(r.body))
        # The upstream's name or the target address it went to.
        self.assertIn(line["upstream"], ("backend", f"127.0.0.1:{self.up.port}"))
        self.assertIsInstance(line["duration_ms"], (int, float))
        self.assertGreaterEqual(line["duration_ms"], 0)
        self.assertIsInstance(line["upstream_duration_ms"], (int, float))
        self.assertGreaterEqual(line["upstream_duration_ms"], 0)
        self.assertLessEqual(line["upstream_duration_ms"], line["duration_ms"] + 1)
        self.assertIsInstance(line["time"], str)
        self.assertRegex(line["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")

    def test_one_line_per_request(self) -> None:
        ids = [f"log-count-{i}" for i in range(5)]
        for rid in ids:
            self.assertEqual(self.gw.get("/echo/c", {"X-Request-Id": rid}).status, 200)
        for rid in ids:
            self.gw.wait_access_log(rid)
        time.sleep(0.2)  # a duplicate line would come right after the first
        for rid in ids:
            n = sum(1 for o in self.gw.access_logs() if o.get("request_id") == rid)
            self.assertEqual(n, 1, f"{n} access log lines for {rid}")
        for raw in self.gw.stdout_lines:
            if raw.strip():
                json.loads(raw)  # every stdout line is JSON

    def test_pipelined_requests_each_logged(self) -> None:
        c = self.gw.connect()
        with c:
            c.send("GET /echo/p1 HTTP/1.1\r\nHost: t\r\nX-Request-Id: log-pipe-1\r\n\r\n"
                   "GET /mock HTTP/1.1\r\nHost: t\r\nX-Request-Id: log-pipe-2\r\n\r\n")
            self.assertEqual(c.read_response().status, 200)
            self.assertEqual(c.read_response().status, 202)
        self.assertEqual(self.gw.wait_access_log("log-pipe-1")["route"], "echo")
        self.assertEqual(self.gw.wait_access_log("log-pipe-2")["route"], "mock")

    def test_respond_route_line(self) -> None:
        self.gw.get("/mock", {"X-Request-Id": "log-mock"})
        line = self.gw.wait_access_log("log-mock")
        self.assertEqual(line["status"], 202)
        self.assertEqual(line["route"], "mock")
        self.assertEqual(line["bytes_out"], 5)
        self.assertIn(line["upstream"], (None, ""))

    def test_error_lines(self) -> None:
        self.gw.get("/no/such/route", {"X-Request-Id": "log-404"})
        self.gw.get("/down", {"X-Request-Id": "log-502"})
        l404 = self.gw.wait_access_log("log-404")
        self.assertEqual(l404["status"], 404)
        self.assertEqual(l404["path"], "/no/such/route")
        l502 = self.gw.wait_access_log("log-502")
        self.assertEqual(l502["status"], 502)
        self.assertEqual(l502["route"], "down")
        self.assertIn(l502["upstream"], ("dead", f"127.0.0.1:{self.dead_port}"))

    def test_generated_request_id_logged(self) -> None:
        r = self.gw.get("/echo/gen")
        rid = r.header("x-request-id")
        self.assertTrue(rid)
        self.assertEqual(self.gw.wait_access_log(rid)["path"], "/echo/gen")

    def test_admin_requests_not_in_access_log_as_routes(self) -> None:
        self.gw.admin("GET", "/healthz")
        # Admin traffic is not public traffic: no line with the admin path and a public route.
        for o in self.gw.access_logs():
            if o.get("path") == "/healthz":
                self.assertNotIn(o.get("route"), ("echo", "mock", "down"))


class AccessLogOffTest(GatewayTestCase):
    def test_off_writes_nothing(self) -> None:
        up = self.start_upstream()
        gw = self.start_gateway(base_config(
            upstreams={"backend": {"targets": [{"url": up.url}]}, "dead": {
                "targets": [{"url": "http://127.0.0.1:9"}]}},
            routes=routes(), log={"access": "off"}))
        for i in range(3):
            self.assertEqual(gw.get("/echo/off", {"X-Request-Id": f"off-{i}"}).status, 200)
        self.assertEqual(gw.get("/nope", {"X-Request-Id": "off-404"}).status, 404)
        self.assertEqual(gw.stop(), 0)
        self.assertEqual(gw.access_logs(), [], gw.stdout_text()[:2000])
        self.assertNotIn("off-1", gw.stdout_text() + gw.stderr_text())


class AccessLogFileTest(GatewayTestCase):
    def test_file_path(self) -> None:
        up = self.start_upstream()
        gw = Gateway(base_config(upstreams={"backend": {"targets": [{"url": up.url}]}},
                                 routes=routes()[:2]), start=False)
        self.addCleanup(gw.stop)
        path = os.path.join(gw.dir, "access.log")
        cfg = base_config(upstreams={"backend": {"targets": [{"url": up.url}]}},
                          routes=routes()[:2], log={"access": path})
        gw.write_config(cfg)
        gw.start()
        self.assertEqual(gw.get("/echo/file", {"X-Request-Id": "file-1"}).status, 200)

        def lines():
            try:
                with open(path) as f:
                    return [json.loads(l) for l in f if l.strip()]
            except (OSError, ValueError):
                return None
        got = wait_for(lambda: [o for o in (lines() or []) if o.get("request_id") == "file-1"],
                       10, 0.05, "the access log file line")
        self.assertEqual(got[0]["status"], 200)
        self.assertEqual(gw.access_logs(), [], "access lines on stdout with access: <file>")


class RedactionTest(GatewayTestCase):
    """Secrets sent by clients and upstream credentials never appear in stdout or stderr, even
    at debug level."""

    def test_secrets_never_logged(self) -> None:
        up = self.start_upstream()
        url = up.url
        gw = self.start_gateway(base_config(
            log={"level": "debug", "access": "stdout",
                 "redact_headers": ["authorization", "cookie", "x-api-key"]},
            upstreams={
                "bearer": {"targets": [{"url": url}],
                           "credentials": {"type": "bearer", "token": UP_BEARER}},
                "header": {"targets": [{"url": url}],
                           "credentials": {"type": "header", "name": "x-upstream-key",
                                           "value": UP_HEADER}},
                "basic": {"targets": [{"url": url}],
                          "credentials": {"type": "basic", "username": "svc",
                                          "password": UP_BASIC_PW}},
                "query": {"targets": [{"url": url}],
                          "credentials": {"type": "query", "name": "key", "value": UP_QUERY}},
            },
            routes=[{"name": n, "match": {"path": f"/{n}/*"}, "upstream": n}
                    for n in ("bearer", "header", "basic", "query")]))
        headers = {"Authorization": f"Bearer {CLIENT_BEARER}",
                   "Cookie": f"session={CLIENT_COOKIE}", "X-Api-Key": CLIENT_API_KEY}
        rids = []
        for n in ("bearer", "header", "basic", "query"):
            r = gw.get(f"/{n}/x?a=1", dict(headers, **{"X-Request-Id": f"redact-{n}"}))
            self.assertEqual(r.status, 200, r)
            rids.append(f"redact-{n}")
        # The credentials really were used (so their absence from logs means something).
        seen = up.wait_requests(4)
        self.assertIn(UP_BEARER, seen[0].header("authorization", ""))
        self.assertEqual(seen[1].header("x-upstream-key"), UP_HEADER)
        self.assertIn(UP_QUERY, seen[3].path)
        for rid in rids:
            gw.wait_access_log(rid)
        gw.stop()
        output = gw.stdout_text() + "\n" + gw.stderr_text()
        for secret in (CLIENT_BEARER, CLIENT_COOKIE, CLIENT_API_KEY, UP_BEARER, UP_HEADER,
                       UP_BASIC_PW, UP_QUERY):
            with self.subTest(secret=secret):
                self.assertNotIn(secret, output)
        import base64
        self.assertNotIn(base64.b64encode(f"svc:{UP_BASIC_PW}".encode()).decode(), output)


if __name__ == "__main__":
    unittest.main()
