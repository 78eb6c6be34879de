"""Bearer-token authentication through the real binary against a real identity provider
(oauth2-mock-server, see identity_provider.py): JWTs from its token endpoint verified with its
JWKS, key rotation at the provider, a JWKS that cannot be reached, and RFC 7662 introspection
with its cache."""

from __future__ import annotations

import base64
import json

from tests.integration.harness import (GatewayTestCase, Upstream, Gateway, base_config,
                                       free_port_closed, wait_for)
from tests.integration.identity_provider import CLIENT_ID, CLIENT_SECRET, IdentityProvider


def bearer(token: str) -> dict:
    return {"authorization": "Bearer " + token}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def with_payload(token: str, change: dict) -> str:
    """The token with its payload changed and the original signature kept."""
    head, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims.update(change)
    return ".".join([head, b64url(json.dumps(claims).encode()), sig])


def config(upstream_url: str, authenticators: dict) -> dict:
    routes = [{"name": name, "match": {"path": f"/{name}/*"}, "upstream": "backend",
               "auth": [name]} for name in authenticators]
    cfg = base_config(upstreams={"backend": {"targets": [{"url": upstream_url}]}},
                      routes=routes)
    cfg["authenticators"] = authenticators
    return cfg


def jwt_authenticator(idp: IdentityProvider, **extra) -> dict:
    return {"type": "jwt", "issuer": idp.issuer, "audiences": ["orders"],
            "jwks_url": idp.url("/jwks"), "algorithms": ["RS256", "ES256"],
            "jwks_min_refresh": "100ms", **extra}


class JwtTest(GatewayTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.idp = IdentityProvider()
        cls.addClassCleanup(cls.idp.stop)
        cls.up = Upstream()
        cls.addClassCleanup(cls.up.stop)
        cfg = config(cls.up.url, {"idp": jwt_authenticator(cls.idp)})
        cfg["routes"].append({"name": "scoped", "match": {"path": "/scoped/*"},
                              "upstream": "backend", "auth": ["idp"],
                              "allow": {"scopes": ["orders:write"]}})
        cls.gw = Gateway(cfg)
        cls.addClassCleanup(cls.gw.stop)

    def setUp(self) -> None:
        self.up.clear()

    def test_token_from_the_provider_is_accepted(self) -> None:
        r = self.gw.get("/idp/orders", headers=bearer(self.idp.token()))
        self.assertEqual(r.status, 200, r)
        seen = self.up.last()
        self.assertEqual(seen.path, "/idp/orders")
        self.assertIsNone(seen.header("authorization"))  # the caller's token stays here

    def test_missing_token_is_401_with_challenge(self) -> None:
        r = self.gw.get("/idp/orders")
        self.assert_error(r, 401, "missing_credentials")
        self.assertIn("Bearer", r.header("www-authenticate", ""))

    def test_tampered_and_forged_tokens_are_refused(self) -> None:
        token = self.idp.token()
        head, _, _ = token.split(".")
        forged = [
            with_payload(token, {"scope": "admin"}),       # payload changed
            token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB"),
            b64url(b'{"alg":"none"}') + "." + token.split(".")[1] + ".",
            token.split(".")[0] + ".e30",                  # truncated
            head + ".!!!." + "x",                          # bad base64
            "x" * 9000,                                    # huge
        ]
        for t in forged:
            with self.subTest(token=t[:40]):
                self.assert_error(self.gw.get("/idp/orders", headers=bearer(t)), 401,
                                  "invalid_token")
        self.assertEqual(self.up.seen(), [])

    def test_token_scopes_reach_allow(self) -> None:
        r = self.gw.get("/scoped/x", headers=bearer(self.idp.token(scope="orders:read")))
        self.assert_error(r, 403, "forbidden")
        r = self.gw.get("/scoped/x",
                        headers=bearer(self.idp.token(scope="orders:read orders:write")))
        self.assertEqual(r.status, 200, r)

    def test_wrong_audience_is_refused(self) -> None:
        r = self.gw.get("/idp/orders", headers=bearer(self.idp.token(aud="billing")))
        self.assert_error(r, 401, "invalid_token")

    def test_key_rotation_at_the_provider(self) -> None:
        old = self.idp.token()
        self.assertEqual(self.gw.get("/idp/a", headers=bearer(old)).status, 200)
        fetches = self.idp.stats()["jwks"]
        self.idp.rotate()  # new key; the old one is gone from the JWKS
        new = self.idp.token()
        # The unknown kid makes the gateway refetch (once the 100ms floor has passed).
        wait_for(lambda: self.gw.get("/idp/b", headers=bearer(new)).status == 200,
                 timeout=10, what="the rotated key to be accepted")
        self.assertGreater(self.idp.stats()["jwks"], fetches)
        self.assert_error(self.gw.get("/idp/c", headers=bearer(old)), 401, "invalid_token")


class JwksUnreachableTest(GatewayTestCase):
    def test_503_and_a_log_line_until_keys_arrive(self) -> None:
        idp = IdentityProvider()
        self.addCleanup(idp.stop)
        up = self.start_upstream()
        url = f"http://127.0.0.1:{free_port_closed()}/jwks"
        gw = self.start_gateway(config(up.url, {"idp": jwt_authenticator(idp, jwks_url=url)}))
        r = gw.get("/idp/x", headers=bearer(idp.token()))
        self.assert_error(r, 503, "auth_unavailable")
        self.assertNotIn(idp.token()[:20], r.text)
        line = wait_for(lambda: [l for l in gw.stderr_text().splitlines()
                                 if "jwks fetch failed" in l and url in l],
                        what="the jwks failure log line")[0]
        self.assertIn("503", json.loads(line)["effect"])
        self.assertEqual(up.seen(), [])
        metrics = gw.metrics()
        self.assertGreaterEqual(metrics.value("gateway_jwks_fetches_total", url=url,
                                              result="error"), 1)
        self.assertEqual(metrics.value("gateway_jwks_keys", url=url), 0)


class JwksRecoveryTest(GatewayTestCase):
    def test_keys_load_once_the_provider_comes_up(self) -> None:
        """The gateway starts before its identity provider: 503 while the JWKS URL refuses
        connections, then, with no restart or reload, valid tokens pass once the provider
        listens. jwks_refresh is an hour, so the keys can only come from the retries a
        key-less source makes at the jwks_min_refresh pace (or a request's early fetch)."""
        port = free_port_closed()  # where the provider will listen, refused until then
        issuer = f"http://127.0.0.1:{port}"
        up = self.start_upstream()
        auth = {"type": "jwt", "issuer": issuer, "audiences": ["orders"],
                "jwks_url": issuer + "/jwks", "algorithms": ["RS256"],
                "jwks_refresh": "1h", "jwks_min_refresh": "200ms"}
        gw = self.start_gateway(config(up.url, {"idp": auth}))
        wait_for(lambda: "jwks fetch failed" in gw.stderr_text(), what="the failure logged")
        # A well-formed RS256 token (no provider yet to sign one): it needs the keys to check.
        unsigned = ".".join([b64url(json.dumps({"alg": "RS256", "kid": "k1"}).encode()),
                             b64url(json.dumps({"iss": issuer, "aud": "orders",
                                                "exp": 4102444800}).encode()),
                             b64url(b"\x01" * 256)])
        r = gw.get("/idp/x", headers=bearer(unsigned))
        self.assert_error(r, 503, "auth_unavailable")
        self.assertEqual(up.seen(), [])

        idp = IdentityProvider(port=port)
        self.addCleanup(idp.stop)
        token = idp.token()

        def passes() -> bool:
            r = gw.get("/idp/orders", headers=bearer(token))
            self.assertIn(r.status, (200, 503), r)  # never another refusal
            return r.status == 200
        wait_for(passes, timeout=15, interval=0.1, what="a valid token to pass")
        self.assertEqual(up.last().path, "/idp/orders")
        self.assertGreaterEqual(idp.stats()["jwks"], 1)
        wait_for(lambda: "jwks loaded" in gw.stderr_text(), what="the jwks loaded log line")
        url = issuer + "/jwks"
        wait_for(lambda: gw.metrics().value("gateway_jwks_keys", url=url) == 1,
                 what="the key count metric")
        m = gw.metrics()
        self.assertGreaterEqual(m.value("gateway_jwks_fetches_total", url=url, result="ok"), 1)
        self.assertGreaterEqual(m.value("gateway_jwks_fetches_total", url=url,
                                        result="error"), 1)
        self.assertGreaterEqual(m.value("gateway_auth_failures_total", route="idp",
                                        reason="auth_unavailable"), 1)
        # Loaded keys refuse what they should: a token with a forged payload.
        self.assert_error(gw.get("/idp/x", headers=bearer(with_payload(token, {"sub": "x"}))),
                          401, "invalid_token")


class IntrospectionTest(GatewayTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.idp = IdentityProvider()
        cls.addClassCleanup(cls.idp.stop)
        cls.up = Upstream()
        cls.addClassCleanup(cls.up.stop)
        intro = {"type": "oauth2_introspection", "url": cls.idp.url("/introspect"),
                 "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "cache": "60s"}
        cls.gw = Gateway(config(cls.up.url, {
            "intro": intro,
            "badclient": {**intro, "client_id": "nobody", "client_secret": "wrong-secret-xyzzy"},
        }))
        cls.addClassCleanup(cls.gw.stop)

    def calls(self) -> int:
        return self.idp.stats()["introspect"]

    def fresh_token(self, scope: str) -> str:
        # Tokens minted in the same second with the same claims are the same bytes: a scope
        # of its own keeps each test's token (and its cache entry) apart.
        return self.idp.token(scope=scope)

    def test_active_token_accepted_and_cached(self) -> None:
        token = self.fresh_token("orders:read orders:write")
        before = self.calls()
        for _ in range(3):
            r = self.gw.get("/intro/orders", headers=bearer(token))
            self.assertEqual(r.status, 200, r)
        self.assertEqual(self.calls(), before + 1)
        seen = self.up.last()
        self.assertIsNone(seen.header("authorization"))
        self.assertEqual(seen.header("x-auth-subject"), "client")  # the provider's `sub`

    def test_inactive_token_refused_and_cached(self) -> None:
        token = self.fresh_token("revoked")
        self.idp.revoke(token)
        before = self.calls()
        for _ in range(2):
            self.assert_error(self.gw.get("/intro/x", headers=bearer(token)), 401,
                              "invalid_token")
        self.assertEqual(self.calls(), before + 1)

    def test_provider_refusing_the_gateway_is_503(self) -> None:
        r = self.gw.get("/badclient/x", headers=bearer(self.fresh_token("bad-client")))
        self.assert_error(r, 503, "auth_unavailable")
        wait_for(lambda: "token introspection failed" in self.gw.stderr_text(),
                 what="the introspection failure log line")
        self.assertNotIn("xyzzy", self.gw.stderr_text())  # the secret is never logged
