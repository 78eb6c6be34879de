"""TLS: an HTTPS public listener (server.tls) and HTTPS upstreams (verification, ca_file)."""

from __future__ import annotations

import shutil
import ssl
import tempfile
import unittest

from tests.integration.harness import (ConnectionClosed, Gateway, GatewayTestCase, RawConnection,
                                       Upstream, base_config, gateway_bin, http_request,
                                       make_ca_and_client, make_self_signed)


class TlsCase(GatewayTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        gateway_bin()
        if shutil.which("openssl") is None:
            raise unittest.SkipTest("no openssl CLI")
        cls._tmp = tempfile.TemporaryDirectory(prefix="gw-tls-")
        cls.addClassCleanup(cls._tmp.cleanup)
        cls.cert, cls.key = make_self_signed(cls._tmp.name)
        other = tempfile.mkdtemp(dir=cls._tmp.name)
        cls.other_cert, _ = make_self_signed(other)

    def client_context(self, cafile: str | None = None) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=cafile or self.cert)


class TlsListenerTest(TlsCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.up = Upstream()
        cls.addClassCleanup(cls.up.stop)
        cls.gw = Gateway(base_config(
            server={"tls": {"cert_file": cls.cert, "key_file": cls.key}},
            upstreams={"backend": {"targets": [{"url": cls.up.url}]}},
            routes=[{"name": "all", "match": {"path": "/*"}, "upstream": "backend"}]))
        cls.addClassCleanup(cls.gw.stop)

    def setUp(self) -> None:
        self.up.clear()

    def test_https_request(self) -> None:
        r = http_request(self.gw.port, "GET", "/secure?x=1", {"Host": "localhost"},
                         context=self.client_context())
        self.assertEqual(r.status, 200, r)
        s = self.up.wait_requests(1)[0]
        self.assertEqual(s.path, "/secure?x=1")
        self.assertEqual(s.header("x-forwarded-proto"), "https")
        self.assertEqual(r.json()["path"], "/secure?x=1")

    def test_https_keepalive_and_body(self) -> None:
        ctx = self.client_context()
        c = RawConnection(self.gw.port, context=ctx, server_hostname="localhost")
        with c:
            for i in range(3):
                body = b"tls-body-%d" % i
                c.send(b"POST /k/%d HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n%s"
                       % (i, len(body), body))
                r = c.read_response()
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json()["body"], body.decode())
        self.assertEqual(len(self.up.wait_requests(3)), 3)

    def test_untrusted_client_fails_handshake(self) -> None:
        with self.assertRaises(ssl.SSLCertVerificationError):
            http_request(self.gw.port, "GET", "/x", context=self.client_context(self.other_cert))
        self.assertEqual(self.up.seen_heads(), [])

    def test_plain_http_on_tls_port_gets_no_answer(self) -> None:
        c = RawConnection(self.gw.port, timeout=3)
        with c:
            c.send("GET /plain HTTP/1.1\r\nHost: t\r\n\r\n")
            try:
                r = c.read_response(timeout=3)
            except (ConnectionClosed, OSError, AssertionError, ValueError):
                r = None
        self.assertTrue(r is None or r.status == 400, r)
        self.assertEqual(self.up.seen_heads(), [])

    def test_gateway_still_serves_after_bad_handshakes(self) -> None:
        for _ in range(3):
            try:
                http_request(self.gw.port, "GET", "/x", timeout=2,
                             context=self.client_context(self.other_cert))
            except (ssl.SSLError, OSError):
                pass
        r = http_request(self.gw.port, "GET", "/ok", context=self.client_context())
        self.assertEqual(r.status, 200, r)


class TlsMinVersionTest(TlsCase):
    def test_min_version_13_refuses_12(self) -> None:
        up = self.start_upstream()
        gw = self.start_gateway(base_config(
            server={"tls": {"cert_file": self.cert, "key_file": self.key, "min_version": "1.3"}},
            upstreams={"backend": {"targets": [{"url": up.url}]}},
            routes=[{"name": "all", "match": {"path": "/*"}, "upstream": "backend"}]))
        old = self.client_context()
        old.maximum_version = ssl.TLSVersion.TLSv1_2
        with self.assertRaises((ssl.SSLError, ConnectionResetError)):
            http_request(gw.port, "GET", "/x", context=old, timeout=3)
        new = self.client_context()
        new.minimum_version = ssl.TLSVersion.TLSv1_3
        r = http_request(gw.port, "GET", "/x", context=new)
        self.assertEqual(r.status, 200, r)


class MutualTlsTest(TlsCase):
    """server.tls.client_ca_file: a client certificate signed by that CA is required."""

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.ca, cls.client_cert, cls.client_key = make_ca_and_client(cls._tmp.name, "client")
        _, cls.rogue_cert, cls.rogue_key = make_ca_and_client(cls._tmp.name, "rogue")
        cls.up = Upstream()
        cls.addClassCleanup(cls.up.stop)
        cls.gw = Gateway(base_config(
            server={"tls": {"cert_file": cls.cert, "key_file": cls.key,
                            "client_ca_file": cls.ca}},
            upstreams={"backend": {"targets": [{"url": cls.up.url}]}},
            routes=[{"name": "all", "match": {"path": "/*"}, "upstream": "backend"}]))
        cls.addClassCleanup(cls.gw.stop)

    def setUp(self) -> None:
        self.up.clear()

    def context(self, cert: str | None = None, key: str | None = None,
                max_version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
        ctx = self.client_context()
        if cert:
            ctx.load_cert_chain(cert, key)
        if max_version is not None:
            ctx.maximum_version = max_version
        return ctx

    def attempt(self, ctx: ssl.SSLContext, path: str):
        """One request over a fresh TLS connection: the Response, or the exception that ended it.
        With TLS 1.3 the server checks the client certificate after the client considers the
        handshake done, so a refusal can surface on the first read instead."""
        try:
            c = RawConnection(self.gw.port, timeout=3, context=ctx, server_hostname="localhost")
        except (ssl.SSLError, ConnectionError) as e:
            return e
        with c:
            try:
                c.send(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n")
                return c.read_response(timeout=3)
            except (ssl.SSLError, ConnectionError, ConnectionClosed) as e:
                return e

    def test_client_without_certificate_refused(self) -> None:
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            with self.subTest(tls=version.name):
                out = self.attempt(self.context(max_version=version), f"/nocert/{version.name}")
                self.assertIsInstance(out, Exception, f"answered without a client certificate: "
                                                      f"{out!r}")
        self.assertEqual(self.up.seen_heads(), [], "a request without client cert went upstream")

    def test_client_with_certificate_from_other_ca_refused(self) -> None:
        out = self.attempt(self.context(self.rogue_cert, self.rogue_key), "/rogue")
        self.assertIsInstance(out, Exception, f"answered with a certificate from another CA: "
                                              f"{out!r}")
        self.assertEqual(self.up.seen_heads(), [])

    def test_client_with_certificate_served(self) -> None:
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            with self.subTest(tls=version.name):
                self.up.clear()
                out = self.attempt(self.context(self.client_cert, self.client_key, version),
                                   f"/mtls/{version.name}?x=1")
                self.assertNotIsInstance(out, Exception, f"client with a valid cert: {out!r}")
                self.assertEqual(out.status, 200, out)
                s = self.up.wait_requests(1)[0]
                self.assertEqual(s.path, f"/mtls/{version.name}?x=1")
                self.assertEqual(s.header("x-forwarded-proto"), "https")
                self.assertEqual(out.json()["path"], s.path)

    def test_refused_clients_do_not_break_listener(self) -> None:
        for _ in range(3):
            self.attempt(self.context(), "/nocert")
        r = http_request(self.gw.port, "GET", "/after", {"Host": "localhost"},
                         context=self.context(self.client_cert, self.client_key))
        self.assertEqual(r.status, 200, r)
        self.assertEqual([s.path for s in self.up.wait_requests(1)], ["/after"])


class TlsUpstreamTest(TlsCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.up = Upstream(tls=(cls.cert, cls.key))
        cls.addClassCleanup(cls.up.stop)
        target = [{"url": cls.up.url}]
        cls.gw = Gateway(base_config(
            upstreams={
                "trusted": {"targets": target, "tls": {"ca_file": cls.cert}},
                "untrusted": {"targets": target, "timeouts": {"connect": "2s"}},
                "wrong-ca": {"targets": target, "tls": {"ca_file": cls.other_cert}},
                "noverify": {"targets": target, "tls": {"verify": False}},
                "sni": {"targets": target, "tls": {"ca_file": cls.cert, "sni": "localhost"}},
            },
            routes=[{"name": n, "match": {"path": f"/{n}/*"}, "upstream": n}
                    for n in ("trusted", "untrusted", "wrong-ca", "noverify", "sni")]))
        cls.addClassCleanup(cls.gw.stop)

    def setUp(self) -> None:
        self.up.clear()

    def test_https_upstream_with_ca_file(self) -> None:
        r = self.gw.request("POST", "/trusted/x?y=1", body=b"over tls")
        self.assertEqual(r.status, 200, r)
        s = self.up.wait_requests(1)[0]
        self.assertEqual(s.path, "/trusted/x?y=1")
        self.assertEqual(s.body, b"over tls")
        self.assertEqual(r.json()["body"], "over tls")

    def test_https_upstream_keepalive_reuse(self) -> None:
        for i in range(5):
            self.assertEqual(self.gw.get(f"/trusted/{i}").status, 200)
        self.assertEqual(len(self.up.wait_requests(5)), 5)

    def test_https_upstream_sni(self) -> None:
        r = self.gw.get("/sni/x")
        self.assertEqual(r.status, 200, r)

    def test_self_signed_without_ca_file_is_502(self) -> None:
        r = self.gw.get("/untrusted/x")
        self.assert_error(r, 502, "upstream_unavailable")
        self.assertEqual(self.up.seen_heads(), [])

    def test_wrong_ca_is_502(self) -> None:
        self.assert_error(self.gw.get("/wrong-ca/x"), 502, "upstream_unavailable")
        self.assertEqual(self.up.seen_heads(), [])

    def test_verify_false(self) -> None:
        r = self.gw.get("/noverify/x")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.wait_requests(1)[0].path, "/noverify/x")


if __name__ == "__main__":
    unittest.main()
