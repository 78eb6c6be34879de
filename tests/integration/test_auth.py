"""Consumers, api_key and basic authenticators, the auth/allow/ip steps, through the binary:
what the caller gets back and what the upstream sees."""

from __future__ import annotations

import subprocess
import unittest
import warnings

from tests.integration.harness import (Gateway, GatewayTestCase, Upstream, base_config,
                                       basic_auth, sha256)



def password_hash(password: str) -> str:
    """A crypt(3) hash as operators make them: bcrypt through Python's crypt module (libxcrypt),
    or SHA-crypt from the openssl CLI where that module is gone (Python 3.13+)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt
        return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))
    except ImportError:
        return subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=password, text=True,
                              capture_output=True, check=True).stdout.strip()


KEY_OLD = "billing-old-key-0123456789"
KEY_NEW = "billing-new-key-0123456789"
MOBILE_KEY = "mobile-key-abcdefghijklmnop"
ADMIN_PASSWORD = "correct horse battery"
ADMIN_HASH = password_hash(ADMIN_PASSWORD)


def route(name: str, prefix: str, **extra) -> dict:
    r = {"name": name, "match": {"path": f"/{prefix}/*"}, "upstream": "backend"}
    r.update(extra)
    return r


def make_config(upstream_url: str, billing_keys: list[str],
                trusted: list[str] | None = None) -> dict:
    cfg = base_config(
        upstreams={"backend": {"targets": [{"url": upstream_url}]}},
        routes=[
            route("keys", "keys", auth=["keys", "qkeys"]),
            route("fwd", "fwd", auth={"use": ["keys"], "forward_credentials": True}),
            route("basic", "basic", auth=["ops"]),
            route("billing-only", "billing-only", auth=["keys", "ops"],
                  allow={"consumers": ["billing"], "groups": ["admins"]}),
            route("ip-allow", "ip-allow", ip={"allow": ["127.0.0.0/8", "::1"]}),
            route("ip-deny", "ip-deny", ip={"allow": ["0.0.0.0/0"], "deny": ["127.0.0.1"]}),
            route("xff", "xff", ip={"allow": ["203.0.113.0/24", "2001:db8::/32"]}),
            route("open", "open"),
        ],
        # Two workers: per-thread state (the basic-auth cache) must hold up on either.
        server={"trusted_proxies": trusted or [], "workers": 2})
    cfg["consumers"] = [
        {"name": "billing", "api_keys": billing_keys, "groups": ["internal"]},
        # A hashed key: the gateway never holds the plain text.
        {"name": "mobile", "api_keys": ["sha256:" + sha256(MOBILE_KEY.encode())],
         "groups": ["apps"]},
        {"name": "admin", "groups": ["admins"]},
    ]
    cfg["authenticators"] = {
        "keys": {"type": "api_key", "header": "X-Api-Key"},
        "qkeys": {"type": "api_key", "query": "api_key"},
        "ops": {"type": "basic", "users": {"admin": "${ADMIN_HASH}"}},
    }
    return cfg


class AuthTest(GatewayTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.up = Upstream()
        cls.addClassCleanup(cls.up.stop)
        cls.gw = Gateway(make_config(cls.up.url, ["${BILLING_KEY}"]),
                         env={"BILLING_KEY": KEY_OLD, "ADMIN_HASH": ADMIN_HASH})
        cls.addClassCleanup(cls.gw.stop)

    def setUp(self) -> None:
        self.up.clear()

    def assert_error(self, r, status: int, code: str) -> dict:
        self.assertEqual(r.status, status, r)
        err = r.json()["error"]
        self.assertEqual(err["code"], code, r)
        self.assertTrue(err["message"])
        self.assertEqual(err["request_id"], r.header("x-request-id"))
        return err

    # -- api keys ----------------------------------------------------------------------------
    def test_key_in_header(self) -> None:
        r = self.gw.get("/keys/a", {"X-Api-Key": KEY_OLD})
        self.assertEqual(r.status, 200, r)
        seen = self.up.last()
        self.assertEqual(seen.header("x-consumer-name"), "billing")
        self.assertFalse(seen.has_header("x-api-key"))  # the caller's key stays here

    def test_key_in_query_is_removed_from_upstream_target(self) -> None:
        r = self.gw.get(f"/keys/q?a=1&api_key={KEY_OLD}&b=2")
        self.assertEqual(r.status, 200, r)
        seen = self.up.last()
        self.assertEqual(seen.path, "/keys/q?a=1&b=2")
        self.assertEqual(seen.header("x-consumer-name"), "billing")

    def test_hashed_key(self) -> None:
        r = self.gw.get("/keys/m", {"X-Api-Key": MOBILE_KEY})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.last().header("x-consumer-name"), "mobile")

    def test_missing_credentials(self) -> None:
        r = self.gw.get("/keys/a")
        self.assert_error(r, 401, "missing_credentials")
        challenge = r.header("www-authenticate")
        self.assertIn('header="x-api-key"', challenge)
        self.assertIn('query="api_key"', challenge)
        self.assertEqual(self.up.seen(), [])

    def test_head_gets_401_without_body(self) -> None:
        r = self.gw.request("HEAD", "/keys/a")
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.body, b"")
        self.assertTrue(r.has_header("www-authenticate"))

    def test_wrong_key(self) -> None:
        r = self.gw.get("/keys/a", {"X-Api-Key": "wrong-key-0123456789abc"})
        err = self.assert_error(r, 401, "invalid_credentials")
        self.assertNotIn("wrong-key", r.text)
        self.assertTrue(r.has_header("www-authenticate"))
        self.assertEqual(self.up.seen(), [])
        self.assertTrue(err)

    def test_forward_credentials(self) -> None:
        r = self.gw.get("/fwd/a", {"X-Api-Key": KEY_OLD})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.last().header("x-api-key"), KEY_OLD)

    # -- identity headers --------------------------------------------------------------------
    def test_forged_identity_headers_replaced(self) -> None:
        r = self.gw.get("/keys/a", {"X-Api-Key": KEY_OLD, "X-Consumer-Name": "admin",
                                    "X-Auth-Subject": "root"})
        self.assertEqual(r.status, 200, r)
        seen = self.up.last()
        self.assertEqual(seen.header_all("x-consumer-name"), ["billing"])
        self.assertFalse(seen.has_header("x-auth-subject"))

    def test_forged_identity_headers_removed_on_open_routes(self) -> None:
        r = self.gw.get("/open/a", {"X-Consumer-Name": "admin", "X-Auth-Subject": "root"})
        self.assertEqual(r.status, 200, r)
        seen = self.up.last()
        self.assertFalse(seen.has_header("x-consumer-name"))
        self.assertFalse(seen.has_header("x-auth-subject"))

    # -- basic -------------------------------------------------------------------------------
    def test_basic(self) -> None:
        for _ in range(6):  # on fresh connections, so both workers; later ones hit the cache
            r = self.gw.get("/basic/a", {"Authorization": basic_auth("admin", ADMIN_PASSWORD)})
            self.assertEqual(r.status, 200, r)
            seen = self.up.last()
            self.assertEqual(seen.header("x-consumer-name"), "admin")
            self.assertFalse(seen.has_header("authorization"))

    def test_basic_wrong_password(self) -> None:
        r = self.gw.get("/basic/a", {"Authorization": basic_auth("admin", "nope")})
        self.assert_error(r, 401, "invalid_credentials")
        self.assertIn('Basic realm="gateway"', r.header("www-authenticate"))
        r = self.gw.get("/basic/a", {"Authorization": basic_auth("nobody", ADMIN_PASSWORD)})
        self.assert_error(r, 401, "invalid_credentials")
        self.assertEqual(self.up.seen(), [])

    def test_garbage_authorization_never_breaks_the_gateway(self) -> None:
        bad = ["Basic", "Basic !!!", "Basic YWRtaW4", "Basic " + "A" * 12000,
               "Basic " + "QUFB" * 3000, "Bearer " + "x" * 12000, "Basic =====",
               "Basic \t YQ==", "Basic Og=="]
        for value in bad:
            r = self.gw.get("/basic/a", {"Authorization": value})
            self.assertEqual(r.status, 401, (value[:30], r))
            self.assertIn(r.json()["error"]["code"],
                          ("invalid_credentials", "missing_credentials"))
        raw = (b"GET /basic/a HTTP/1.1\r\nHost: x\r\nAuthorization: Basic \xff\xfe\x80\x00z\r\n"
               b"X-Api-Key: \xff\xff\xff\r\n\r\n")
        r = self.gw.raw(raw)
        self.assertIn(r.status, (400, 401), r)
        for key in ("k" * 12000, "\t", "%00%0d%0a" * 10):
            r = self.gw.get("/keys/a", {"X-Api-Key": key})
            self.assertEqual(r.status, 401, r)
        r = self.gw.get("/keys/a?api_key=" + "%" * 3000 + "&api_key=%zz")
        self.assertEqual(r.status, 401, r)
        # Past the head limit the gateway answers 431 before any step runs.
        r = self.gw.get("/basic/a", {"Authorization": "Basic " + "A" * 20000})
        self.assertEqual(r.status, 431, r)
        r = self.gw.get("/basic/a", {"Authorization": basic_auth("admin", ADMIN_PASSWORD)})
        self.assertEqual(r.status, 200, r)

    # -- allow -------------------------------------------------------------------------------
    def test_allow(self) -> None:
        self.assertEqual(self.gw.get("/billing-only/a", {"X-Api-Key": KEY_OLD}).status, 200)
        r = self.gw.get("/billing-only/a",
                        {"Authorization": basic_auth("admin", ADMIN_PASSWORD)})
        self.assertEqual(r.status, 200, r)  # by group "admins"
        self.up.clear()
        r = self.gw.get("/billing-only/a", {"X-Api-Key": MOBILE_KEY})
        self.assert_error(r, 403, "forbidden")
        self.assertEqual(self.up.seen(), [])
        r = self.gw.get("/billing-only/a")
        self.assert_error(r, 401, "missing_credentials")

    # -- ip ----------------------------------------------------------------------------------
    def test_ip_allow_and_deny(self) -> None:
        self.assertEqual(self.gw.get("/ip-allow/a").status, 200)
        self.assert_error(self.gw.get("/ip-deny/a"), 403, "ip_forbidden")
        # The peer is not a trusted proxy: its X-Forwarded-For is not believed.
        r = self.gw.get("/xff/a", {"X-Forwarded-For": "203.0.113.5"})
        self.assert_error(r, 403, "ip_forbidden")

    # -- metrics -----------------------------------------------------------------------------
    def test_metrics_count_failures_by_route_and_reason(self) -> None:
        before = self.gw.metrics()
        self.gw.get("/keys/a")
        self.gw.get("/keys/a")
        self.gw.get("/keys/a", {"X-Api-Key": "wrong-key-0123456789abc"})
        self.gw.get("/ip-deny/a")
        after = self.gw.metrics()
        name = "gateway_auth_failures_total"

        def delta(**labels: str) -> float:
            return after.value(name, **labels) - before.value(name, **labels)

        self.assertEqual(delta(route="keys", reason="missing_credentials"), 2)
        self.assertEqual(delta(route="keys", reason="invalid_credentials"), 1)
        self.assertEqual(delta(route="ip-deny", reason="ip_forbidden"), 1)
        self.assertNotIn(KEY_OLD, after.text)

    def test_secrets_never_logged(self) -> None:
        self.gw.get(f"/keys/s?api_key={KEY_OLD}")
        self.gw.get("/keys/s", {"X-Api-Key": "wrong-key-0123456789abc"})
        self.gw.get("/basic/s", {"Authorization": basic_auth("admin", ADMIN_PASSWORD)})
        routes = self.gw.admin("GET", "/routes").text
        listed = self.gw.admin("GET", "/routes").json()["routes"]
        steps = {rt["name"]: rt["steps"] for rt in listed}
        self.assertEqual(steps["billing-only"], ["auth", "allow"])
        self.assertEqual(steps["ip-deny"], ["ip"])
        self.assertEqual(steps["open"], [])
        for text in (self.gw.stdout_text(), self.gw.stderr_text(), routes):
            for secret in (KEY_OLD, "wrong-key", ADMIN_PASSWORD, ADMIN_HASH):
                self.assertNotIn(secret, text)


class TrustedProxyTest(GatewayTestCase):
    """X-Forwarded-For decides the client address only when the peer is a trusted proxy."""

    def test_forwarded_client_checked(self) -> None:
        with Upstream() as up, Gateway(make_config(up.url, [KEY_OLD], trusted=["127.0.0.1"]),
                                       env={"ADMIN_HASH": ADMIN_HASH}) as gw:
            r = gw.get("/xff/a", {"X-Forwarded-For": "203.0.113.5"})
            self.assertEqual(r.status, 200, r)
            r = gw.get("/xff/a", {"X-Forwarded-For": "2001:db8::7"})
            self.assertEqual(r.status, 200, r)
            r = gw.get("/xff/a", {"X-Forwarded-For": "198.51.100.1"})
            self.assertEqual(r.status, 403, r)
            self.assertEqual(r.json()["error"]["code"], "ip_forbidden")
            # No header: the proxy itself is the client, outside the list.
            self.assertEqual(gw.get("/xff/a").status, 403)


class KeyRotationTest(GatewayTestCase):
    """Add the new key, reload, move callers, remove the old key, reload: no request fails."""

    def test_rotation_via_reload(self) -> None:
        with Upstream() as up, Gateway(make_config(up.url, [KEY_OLD]),
                                       env={"ADMIN_HASH": ADMIN_HASH}) as gw:
            def status(key: str) -> int:
                return gw.get("/keys/a", {"X-Api-Key": key}).status

            self.assertEqual((status(KEY_OLD), status(KEY_NEW)), (200, 401))
            gw.write_config(make_config(up.url, [KEY_OLD, KEY_NEW]))
            self.assertEqual(gw.reload().status, 200)
            self.assertEqual((status(KEY_OLD), status(KEY_NEW)), (200, 200))
            gw.write_config(make_config(up.url, [KEY_NEW]))
            self.assertEqual(gw.reload().status, 200)
            self.assertEqual((status(KEY_OLD), status(KEY_NEW)), (401, 200))
            # A bad config (the same key twice) is refused and the last good one stays.
            gw.write_config(make_config(up.url, [KEY_NEW, KEY_NEW]))
            r = gw.reload()
            self.assertNotEqual(r.status, 200, r)
            self.assertNotIn(KEY_NEW, r.text)
            self.assertEqual(status(KEY_NEW), 200)


if __name__ == "__main__":
    unittest.main()
