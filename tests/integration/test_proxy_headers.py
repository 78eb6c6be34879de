"""Headers on the way to and from the upstream: forwarding headers, hop-by-hop removal,
request ids, traceparent, upstream credentials, route header operations, trusted proxies."""

from __future__ import annotations

import os
import re
import tempfile
import unittest
import urllib.parse

from tests.integration.harness import (Gateway, GatewayTestCase, Upstream, base_config,
                                       basic_auth, echo_handler)

TRACEPARENT_RE = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-01$")
VALID_TP = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"]


def hop_reply(req):
    """The upstream answers with hop-by-hop headers of its own."""
    return (200, [("Content-Type", "text/plain"), ("Connection", "X-Up-Hop"),
                  ("X-Up-Hop", "hidden"), ("Keep-Alive", "timeout=5"),
                  ("Proxy-Connection", "keep-alive"), ("X-Up-Kept", "visible")], b"ok")


def header_ops_reply(req):
    return (200, [("Content-Type", "text/plain"), ("X-Powered-By", "php/4"),
                  ("X-Frame-Options", "SAMEORIGIN"), ("X-Up-Kept", "visible")], b"ok")


class ProxyHeadersTest(GatewayTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.up = Upstream()
        cls.addClassCleanup(cls.up.stop)
        url = cls.up.url

        def up(creds=None):
            u = {"targets": [{"url": url}]}
            if creds:
                u["credentials"] = creds
            return u

        cfg = base_config(
            server={"trusted_proxies": ["10.0.0.0/8"]},
            upstreams={
                "plain": up(),
                "cred-bearer": up({"type": "bearer", "token": "up-bearer-token"}),
                "cred-header": up({"type": "header", "name": "X-Api-Key",
                                   "value": "up-header-key"}),
                "cred-basic": up({"type": "basic", "username": "svc-user",
                                  "password": "svc-pass"}),
                "cred-query": up({"type": "query", "name": "api_key", "value": "up-query-key"}),
                "cred-query-s3": up({"type": "query", "name": "api_key", "value": "s3cret"}),
            },
            routes=[
                {"name": "echo", "match": {"path": "/echo/*"}, "upstream": "plain"},
                {"name": "hop", "match": {"path": "/hop"}, "upstream": "plain"},
                {"name": "ops", "match": {"path": "/ops"}, "upstream": "plain",
                 "headers": {
                     "request": {"set": {"x-source": "gateway", "x-added": "1"},
                                 "remove": ["cookie", "x-drop-me"]},
                     "response": {"set": {"x-frame-options": "DENY"},
                                  "remove": ["server", "x-powered-by"]}}},
                {"name": "bearer", "match": {"path": "/cred/bearer"}, "upstream": "cred-bearer"},
                {"name": "header", "match": {"path": "/cred/header"}, "upstream": "cred-header"},
                {"name": "basic", "match": {"path": "/cred/basic"}, "upstream": "cred-basic"},
                {"name": "query", "match": {"path": "/cred/query"}, "upstream": "cred-query"},
                {"name": "redir", "match": {"path": "/redir/*"}, "upstream": "cred-query-s3"},
                {"name": "trace-ok", "match": {"path": "/trace-ok", "methods": ["TRACE"]},
                 "upstream": "plain"},
            ])
        cls.gw = Gateway(cfg)
        cls.addClassCleanup(cls.gw.stop)

    def setUp(self) -> None:
        self.up.clear()
        self.up.handler = echo_handler

    def seen_one(self):
        seen = self.up.wait_requests(1)
        self.assertEqual(len(seen), 1, seen)
        return seen[0]

    # -- forwarding headers ------------------------------------------------------------------
    def test_forwarded_headers_added(self) -> None:
        r = self.gw.get("/echo/a", {"Host": "svc.example.test"})
        self.assertEqual(r.status, 200, r)
        s = self.seen_one()
        self.assertEqual(s.header("x-forwarded-for"), "127.0.0.1")
        self.assertEqual(s.header("x-forwarded-proto"), "http")
        self.assertEqual(s.header("x-forwarded-host"), "svc.example.test")
        self.assertEqual(len(s.header_all("x-forwarded-for")), 1)

    def test_untrusted_peer_xff_replaced(self) -> None:
        r = self.gw.get("/echo/a", {"X-Forwarded-For": "6.6.6.6",
                                    "X-Forwarded-Proto": "https",
                                    "X-Forwarded-Host": "evil.test", "Host": "good.test"})
        self.assertEqual(r.status, 200, r)
        s = self.seen_one()
        self.assertEqual(s.header_all("x-forwarded-for"), ["127.0.0.1"])
        self.assertNotIn("6.6.6.6", str(s.headers))
        self.assertEqual(s.header_all("x-forwarded-proto"), ["http"])
        self.assertEqual(s.header_all("x-forwarded-host"), ["good.test"])

    def test_untrusted_peer_forwarded_and_real_ip_dropped(self) -> None:
        r = self.gw.get("/echo/fwd", {"Forwarded": "for=6.6.6.6;proto=https;host=evil.test",
                                      "X-Real-IP": "6.6.6.7", "X-Kept": "yes"})
        self.assertEqual(r.status, 200, r)
        s = self.seen_one()
        self.assertFalse(s.has_header("forwarded"), s.headers)
        self.assertFalse(s.has_header("x-real-ip"), s.headers)
        self.assertNotIn("6.6.6.", str(s.headers))
        self.assertEqual(s.header_all("x-forwarded-for"), ["127.0.0.1"])
        self.assertEqual(s.header("x-kept"), "yes")  # other client headers still go through
        # The echo body is what the upstream saw: the client cannot see the claims either.
        self.assertNotIn("forwarded", r.json()["headers"])
        self.assertNotIn("x-real-ip", r.json()["headers"])

    # -- TRACE -------------------------------------------------------------------------------
    def test_trace_refused_on_route_without_methods(self) -> None:
        r = self.gw.request("TRACE", "/echo/trace", {"X-Secret-Probe": "1"})
        self.assert_error(r, 405, "method_not_allowed")
        self.assertNotIn("x-secret-probe", r.text.lower(), r)  # nothing echoed back
        self.assertEqual(self.up.seen_heads(), [], "TRACE reached the upstream")
        # CONFIG.md: "405 (with `Allow`)"; RFC 9110 15.5.6: a 405 MUST carry Allow.
        self.assertTrue(r.has_header("allow"), f"405 without Allow: {r!r}")
        self.assertNotIn("TRACE", (r.header("allow") or "").upper(), r)

    def test_trace_forwarded_when_route_lists_it(self) -> None:
        r = self.gw.request("TRACE", "/trace-ok", {"X-Probe": "p1"})
        self.assertEqual(r.status, 200, r)
        s = self.seen_one()
        self.assertEqual((s.method, s.path), ("TRACE", "/trace-ok"))
        self.assertEqual(s.header("x-probe"), "p1")
        self.assertEqual(r.json()["method"], "TRACE")

    # -- hop-by-hop --------------------------------------------------------------------------
    def test_hop_by_hop_request_headers_removed(self) -> None:
        c = self.gw.connect()
        with c:
            c.send("GET /echo/hop HTTP/1.1\r\nHost: t\r\n"
                   "Connection: keep-alive, X-Custom-Hop\r\n"
                   "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\n"
                   "TE: trailers\r\nTrailer: X-Trail\r\nX-Custom-Hop: secret-hop\r\n"
                   "X-End-To-End: kept\r\n\r\n")
            r = c.read_response()
        self.assertEqual(r.status, 200, r)
        s = self.seen_one()
        for name in ["keep-alive", "proxy-connection", "te", "trailer", "upgrade",
                     "x-custom-hop"]:
            self.assertFalse(s.has_header(name), f"{name} reached the upstream: {s.headers}")
        for v in s.header_all("connection"):  # a pool may send its own Connection: keep-alive
            self.assertNotIn("x-custom-hop", v.lower())
        self.assertEqual(s.header("x-end-to-end"), "kept")
        self.assertNotIn("secret-hop", str(s.headers))

    def test_upgrade_header_removed(self) -> None:
        r = self.gw.raw("GET /echo/up HTTP/1.1\r\nHost: t\r\nUpgrade: example/1\r\n"
                        "Connection: close\r\n\r\n")
        self.assertEqual(r.status, 200, r)
        s = self.seen_one()
        self.assertFalse(s.has_header("upgrade"), s.headers)

    def test_hop_by_hop_response_headers_removed(self) -> None:
        self.up.handler = hop_reply
        r = self.gw.get("/hop")
        self.assertEqual((r.status, r.body), (200, b"ok"), r)
        self.assertFalse(r.has_header("x-up-hop"), r)
        self.assertFalse(r.has_header("proxy-connection"), r)
        self.assertEqual(r.header("x-up-kept"), "visible")
        for v in r.header_all("connection"):
            self.assertNotIn("x-up-hop", v.lower(), r)

    def test_request_transfer_encoding_reframed(self) -> None:
        r = self.gw.request("POST", "/echo/chunks", body=iter([b"hello ", b"world"]))
        self.assertEqual(r.status, 200, r)
        s = self.seen_one()
        self.assertEqual(s.body, b"hello world")
        te = s.header_all("transfer-encoding")
        cl = s.header_all("content-length")
        self.assertTrue((te == ["chunked"] and not cl) or (cl == ["11"] and not te),
                        f"bad framing upstream: TE={te} CL={cl}")

    # -- request id --------------------------------------------------------------------------
    def test_request_id_generated_and_forwarded(self) -> None:
        r1 = self.gw.get("/echo/rid")
        r2 = self.gw.get("/echo/rid")
        rid1, rid2 = r1.header("x-request-id"), r2.header("x-request-id")
        self.assertTrue(rid1, r1)
        self.assertTrue(rid2, r2)
        self.assertNotEqual(rid1, rid2)
        seen = self.up.wait_requests(2)
        self.assertEqual([s.header("x-request-id") for s in seen], [rid1, rid2])

    def test_request_id_kept(self) -> None:
        r = self.gw.get("/echo/rid", {"X-Request-Id": "client-chosen-id-7"})
        self.assertEqual(r.header("x-request-id"), "client-chosen-id-7")
        s = self.seen_one()
        self.assertEqual(s.header_all("x-request-id"), ["client-chosen-id-7"])

    # -- traceparent -------------------------------------------------------------------------
    def test_traceparent_started(self) -> None:
        self.gw.get("/echo/tp")
        tp = self.seen_one().header("traceparent")
        self.assertIsNotNone(tp)
        self.assertRegex(tp, TRACEPARENT_RE)
        self.assertNotEqual(TRACEPARENT_RE.match(tp).group(1), "0" * 32)

    def test_traceparent_propagated(self) -> None:
        self.gw.get("/echo/tp", {"traceparent": VALID_TP})
        s = self.seen_one()
        self.assertEqual(len(s.header_all("traceparent")), 1, s.headers)
        m = re.match(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$", s.header("traceparent"))
        self.assertIsNotNone(m, s.header("traceparent"))
        self.assertEqual(m.group(1), "0af7651916cd43dd8448eb211c80319c", "trace id not kept")

    def test_invalid_traceparent_replaced(self) -> None:
        for bad in ["garbage", "00-00000000000000000000000000000000-b7ad6b7169203331-01",
                    "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
                    "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
                    "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"]:
            with self.subTest(traceparent=bad):
                self.up.clear()
                self.gw.get("/echo/tp", {"traceparent": bad})
                tp = self.seen_one().header("traceparent")
                self.assertNotEqual(tp, bad)
                self.assertRegex(tp or "", TRACEPARENT_RE)

    # -- credentials -------------------------------------------------------------------------
    def test_bearer_credentials(self) -> None:
        r = self.gw.get("/cred/bearer", {"Authorization": "Bearer client-token"})
        self.assertEqual(r.status, 200, r)
        s = self.seen_one()
        self.assertEqual(s.header_all("authorization"), ["Bearer up-bearer-token"])

    def test_header_credentials(self) -> None:
        r = self.gw.get("/cred/header", {"X-Api-Key": "client-key"})
        self.assertEqual(r.status, 200, r)
        s = self.seen_one()
        self.assertEqual(s.header_all("x-api-key"), ["up-header-key"])

    def test_basic_credentials(self) -> None:
        r = self.gw.get("/cred/basic")
        self.assertEqual(r.status, 200, r)
        s = self.seen_one()
        self.assertEqual(s.header_all("authorization"), [basic_auth("svc-user", "svc-pass")])

    def test_query_credentials(self) -> None:
        r = self.gw.get("/cred/query?x=1&y=two")
        self.assertEqual(r.status, 200, r)
        s = self.seen_one()
        path, _, query = s.path.partition("?")
        self.assertEqual(path, "/cred/query")
        q = urllib.parse.parse_qs(query)
        self.assertEqual(q.get("api_key"), ["up-query-key"], s.path)
        self.assertEqual(q.get("x"), ["1"], s.path)
        self.assertEqual(q.get("y"), ["two"], s.path)

    def test_query_credentials_without_query(self) -> None:
        self.gw.get("/cred/query")
        self.assertEqual(self.seen_one().path, "/cred/query?api_key=up-query-key")

    def test_query_credential_stripped_from_redirects(self) -> None:
        cases = [
            ("Location", "/next?api_key=s3cret&x=1", "/next?x=1"),
            ("Location", "/next?x=1&api_key=s3cret", "/next?x=1"),
            ("Location", "/next?api_key=s3cret", "/next"),
            ("Location", "https://partner.example/cb?a=b&api_key=s3cret&c=d",
             "https://partner.example/cb?a=b&c=d"),
            ("Content-Location", "/doc?api_key=s3cret&v=2", "/doc?v=2"),
        ]
        for name, sent, want in cases:
            with self.subTest(header=name, value=sent):
                self.up.clear()
                status = 302 if name == "Location" else 200

                def redirect(req, name=name, sent=sent, status=status):
                    return (status, [(name, sent), ("Content-Type", "text/plain")],
                            b"moved along")
                self.up.handler = redirect
                r = self.gw.get("/redir/start?x=1")
                self.assertEqual(r.status, status, r)
                self.assertEqual(r.header_all(name), [want], r)
                for k, v in r.headers:
                    self.assertNotIn("s3cret", f"{k}: {v}", f"secret leaked to the client: {r!r}")
                s = self.seen_one()  # the upstream did get the credential
                self.assertEqual(s.path, "/redir/start?x=1&api_key=s3cret")

    def test_credentials_not_added_to_other_upstreams(self) -> None:
        self.gw.get("/echo/nocreds")
        s = self.seen_one()
        self.assertFalse(s.has_header("authorization"))
        self.assertNotIn("api_key", s.path)

    # -- header operations -------------------------------------------------------------------
    def test_request_header_ops(self) -> None:
        self.up.handler = header_ops_reply
        r = self.gw.get("/ops", {"X-Source": "client", "Cookie": "session=abc",
                                 "X-Drop-Me": "1", "X-Keep": "k"})
        self.assertEqual(r.status, 200, r)
        s = self.seen_one()
        self.assertEqual(s.header_all("x-source"), ["gateway"])
        self.assertEqual(s.header("x-added"), "1")
        self.assertFalse(s.has_header("cookie"), s.headers)
        self.assertFalse(s.has_header("x-drop-me"), s.headers)
        self.assertEqual(s.header("x-keep"), "k")

    def test_response_header_ops(self) -> None:
        self.up.handler = header_ops_reply
        r = self.gw.get("/ops")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header_all("x-frame-options"), ["DENY"], r)
        self.assertFalse(r.has_header("x-powered-by"), r)
        for v in r.header_all("server"):  # the upstream's Server must be gone
            self.assertNotIn("BaseHTTP", v, r)
        self.assertEqual(r.header("x-up-kept"), "visible")


class TrustedProxiesTest(GatewayTestCase):
    """The peer (127.0.0.1) is trusted: its X-Forwarded-For is kept and appended to."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.up = Upstream()
        cls.addClassCleanup(cls.up.stop)
        cfg = base_config(
            server={"trusted_proxies": ["127.0.0.0/8"]},
            upstreams={"plain": {"targets": [{"url": cls.up.url}]}},
            routes=[{"name": "echo", "match": {"path": "/*"}, "upstream": "plain"}])
        cls.gw = Gateway(cfg)
        cls.addClassCleanup(cls.gw.stop)

    def setUp(self) -> None:
        self.up.clear()

    def test_trusted_xff_appended(self) -> None:
        r = self.gw.get("/x", {"X-Forwarded-For": "203.0.113.7, 10.1.2.3"})
        self.assertEqual(r.status, 200, r)
        s = self.up.wait_requests(1)[0]
        xff = [p.strip() for p in ",".join(s.header_all("x-forwarded-for")).split(",")]
        self.assertEqual(xff, ["203.0.113.7", "10.1.2.3", "127.0.0.1"])

    def test_trusted_without_xff(self) -> None:
        self.gw.get("/x")
        s = self.up.wait_requests(1)[0]
        self.assertEqual(s.header_all("x-forwarded-for"), ["127.0.0.1"])


class TrustedProxySingleAddressTest(GatewayTestCase):
    """trusted_proxies given as a single address; several X-Forwarded-For lines."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.up = Upstream()
        cls.addClassCleanup(cls.up.stop)
        cfg = base_config(
            server={"trusted_proxies": ["127.0.0.1"]},
            upstreams={"plain": {"targets": [{"url": cls.up.url}]}},
            routes=[{"name": "echo", "match": {"path": "/*"}, "upstream": "plain"}])
        cls.gw = Gateway(cfg)
        cls.addClassCleanup(cls.gw.stop)

    def setUp(self) -> None:
        self.up.clear()

    def test_two_xff_lines_joined_in_order(self) -> None:
        r = self.gw.get("/x", [("Host", "t"), ("X-Forwarded-For", "203.0.113.7"),
                               ("X-Forwarded-For", "198.51.100.2, 10.1.2.3")])
        self.assertEqual(r.status, 200, r)
        s = self.up.wait_requests(1)[0]
        lines = s.header_all("x-forwarded-for")
        xff = [p.strip() for p in ",".join(lines).split(",")]
        self.assertEqual(xff, ["203.0.113.7", "198.51.100.2", "10.1.2.3", "127.0.0.1"], lines)
        self.assertEqual(len(lines), 1, f"not joined into one line: {lines}")

    def test_trusted_peer_keeps_its_forwarded_proto_and_host(self) -> None:
        r = self.gw.get("/x", {"Host": "edge.test", "X-Forwarded-Proto": "https",
                               "X-Forwarded-Host": "public.example"})
        self.assertEqual(r.status, 200, r)
        s = self.up.wait_requests(1)[0]
        self.assertEqual(s.header_all("x-forwarded-proto"), ["https"])
        self.assertEqual(s.header_all("x-forwarded-host"), ["public.example"])
        self.assertEqual(s.header_all("x-forwarded-for"), ["127.0.0.1"])


class SecretsFromEnvAndFilesTest(GatewayTestCase):
    """Credentials given as ${VAR} and as *_file reach the upstream with their real values."""

    def test_env_and_file_credentials(self) -> None:
        up = self.start_upstream()
        tmp = tempfile.TemporaryDirectory(prefix="gw-secret-")
        self.addCleanup(tmp.cleanup)
        secret_file = os.path.join(tmp.name, "token")
        with open(secret_file, "w") as f:
            f.write("token-from-file-42")
        gw = self.start_gateway(base_config(
            upstreams={
                "from-env": {"targets": [{"url": up.url}],
                             "credentials": {"type": "header", "name": "x-env-key",
                                             "value": "${GW_IT_SECRET}"}},
                "from-file": {"targets": [{"url": up.url}],
                              "credentials": {"type": "bearer", "token_file": secret_file}},
            },
            routes=[{"name": "env", "match": {"path": "/env"}, "upstream": "from-env"},
                    {"name": "file", "match": {"path": "/file"}, "upstream": "from-file"}]),
            env={"GW_IT_SECRET": "token-from-env-17"})
        self.assertEqual(gw.get("/env").status, 200)
        self.assertEqual(gw.get("/file").status, 200)
        env_req, file_req = up.wait_requests(2)
        self.assertEqual(env_req.header("x-env-key"), "token-from-env-17")
        self.assertEqual(file_req.header("authorization"), "Bearer token-from-file-42")


if __name__ == "__main__":
    unittest.main()
