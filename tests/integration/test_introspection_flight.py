"""Token introspection under a burst: concurrent requests carrying one token the gateway has
not seen make one call to the introspection endpoint, across both workers, and the answer is
then cached. The endpoint is written here (RFC 7662, client_secret_basic) so it can count its
calls and answer slowly: every request of the burst reaches the gateway while the first call
is still out."""

from __future__ import annotations

import base64
import threading
import time
import urllib.parse
import uuid

from tests.integration.harness import GatewayTestCase, SeenRequest, base_config

CLIENT_ID = "gw"
SECRET = "intro-secret-4711"
BURST = 20


class IntrospectionEndpoint:
    """POST /introspect: active for tokens starting with "good-", inactive for the rest; 503
    while `failing`. Each answer is held back `delay` seconds."""

    def __init__(self, test: GatewayTestCase, delay: float = 1.0):
        self.delay = delay
        self.failing = False
        self._lock = threading.Lock()
        self._calls: list[str] = []
        self.server = test.start_upstream(self._handle)
        self.url = self.server.url + "/introspect"

    def calls(self, token: str | None = None) -> int:
        with self._lock:
            return sum(1 for t in self._calls if token is None or t == token)

    def _handle(self, req: SeenRequest):
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
        if req.method != "POST" or req.header("authorization") != expected:
            return 401, {}, {"error": "invalid_client"}
        token = urllib.parse.parse_qs((req.body or b"").decode()).get("token", [""])[0]
        with self._lock:
            self._calls.append(token)
        time.sleep(self.delay)  # a slow provider
        if self.failing:
            return 503, {}, {"error": "temporarily_unavailable"}
        if not token.startswith("good-"):
            return 200, {}, {"active": False}
        return 200, {}, {"active": True, "sub": "svc-" + token[5:13], "scope": "orders:read"}


class IntrospectionFlightTest(GatewayTestCase):
    def start(self, ep: IntrospectionEndpoint, cache: str = "60s"):
        up = self.start_upstream()
        intro = {"type": "oauth2_introspection", "url": ep.url, "client_id": CLIENT_ID,
                 "client_secret": SECRET, "cache": cache, "timeout": "5s"}
        cfg = base_config(server={"workers": 2},
                          upstreams={"backend": {"targets": [{"url": up.url}]}},
                          routes=[{"name": "api", "match": {"path": "/api/*"},
                                   "upstream": "backend", "auth": ["intro"]}])
        cfg["authenticators"] = {"intro": intro}
        return self.start_gateway(cfg), up

    def burst(self, gw, token: str, n: int = BURST) -> list:
        """n requests with the token, each on its own connection, sent together."""
        start = threading.Barrier(n)
        results: list = [None] * n

        def one(i: int) -> None:
            start.wait(timeout=10)
            results[i] = gw.get(f"/api/orders/{i}", headers={"authorization": "Bearer " + token},
                                timeout=20)
        threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        self.assertNotIn(None, results, "a request of the burst did not finish")
        return results

    def test_a_burst_with_one_new_token_makes_one_call(self) -> None:
        ep = IntrospectionEndpoint(self)
        gw, up = self.start(ep)
        token = "good-" + uuid.uuid4().hex
        results = self.burst(gw, token)
        self.assertEqual([r.status for r in results], [200] * BURST, results)
        self.assertEqual(ep.calls(token), 1)
        seen = up.seen()
        self.assertEqual(len(seen), BURST)
        self.assertEqual({s.header("x-auth-subject") for s in seen}, {"svc-" + token[5:13]})
        self.assertEqual({s.header("authorization") for s in seen}, {None})
        # The answer is cached: later requests ask no one; another token makes its own call.
        self.assertEqual(gw.get("/api/x", headers={"authorization": "Bearer " + token}).status,
                         200)
        self.assertEqual(ep.calls(token), 1)
        other = "good-" + uuid.uuid4().hex
        self.assertEqual([r.status for r in self.burst(gw, other, 5)], [200] * 5)
        self.assertEqual(ep.calls(other), 1)
        self.assertEqual(ep.calls(), 2)

    def test_an_inactive_token_burst_is_refused_after_one_call(self) -> None:
        ep = IntrospectionEndpoint(self)
        gw, up = self.start(ep)
        token = "revoked-" + uuid.uuid4().hex
        for r in self.burst(gw, token):
            self.assert_error(r, 401, "invalid_token")
        self.assertEqual(ep.calls(token), 1)
        self.assertEqual(up.seen(), [])

    def test_a_failing_provider_is_asked_once_per_burst(self) -> None:
        ep = IntrospectionEndpoint(self)
        ep.failing = True
        gw, up = self.start(ep)
        token = "good-" + uuid.uuid4().hex
        for r in self.burst(gw, token):
            self.assert_error(r, 503, "auth_unavailable")
        self.assertEqual(ep.calls(token), 1)
        self.assertEqual(up.seen(), [])
        self.assertNotIn(SECRET, gw.stderr_text())
        # A failure is not remembered: once the provider is back, the next request passes.
        ep.failing = False
        ep.delay = 0
        r = gw.get("/api/x", headers={"authorization": "Bearer " + token})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(ep.calls(token), 2)

    def test_cache_0s_asks_for_every_request(self) -> None:
        ep = IntrospectionEndpoint(self, delay=0.2)
        gw, _ = self.start(ep, cache="0s")
        token = "good-" + uuid.uuid4().hex
        results = self.burst(gw, token, 5)
        self.assertEqual([r.status for r in results], [200] * 5)
        self.assertEqual(ep.calls(token), 5)  # each call is counted before it is answered


if __name__ == "__main__":
    import unittest
    unittest.main()
