"""Upstream credentials of type oauth2_client_credentials, end to end: a real token endpoint
(written here, on the harness's recording HTTP server) that checks the client's credentials and
counts the tokens it issues, and a recording upstream that checks the bearer token it gets.

Covered: one token fetch for 200 concurrent requests over several connections and two workers
(single flight), client_secret_basic and client_secret_post, refresh on expiry, an upstream 401
(one refresh, one retry, with the same body when the proxy kept it; a second 401 goes to
the caller; a body above the kept-body bound is not sent twice), the token endpoint failing
(502 JSON, one attempt per backoff, healthy after), a reload that keeps the token and a rotated
secret file picked up on reload, and that neither the secret nor a token shows up in logs,
/metrics, /routes or error bodies.
"""

from __future__ import annotations

import base64
import http.client
import tempfile
import threading
import time
import urllib.parse
import uuid
from typing import Callable

from tests.integration.harness import (HOST, GatewayTestCase, SeenRequest, Upstream,
                                       base_config, free_port_closed, make_self_signed,
                                       request_on, wait_for)

CLIENT_ID = "gw-client"
# Characters that must be form-encoded, so the endpoint's decoding is part of the check.
SECRET = "s3cr:et/+%&=1"
SCOPES = ["orders.read", "orders:write"]


class TokenEndpoint:
    """POST /token of the client-credentials grant. Issues "at-<run>-<n>" tokens, checks the
    client id, secret, grant type and scope, and can be told to fail or to issue short-lived
    tokens. `delay` holds each answer back a little so concurrent requests pile up behind the
    gateway's one fetch."""

    def __init__(self, secret: str = SECRET, expires_in: int | None = 3600,
                 delay: float = 0.2, tls: tuple[str, str] | None = None):
        self.secret = secret
        self.expires_in = expires_in
        self.delay = delay
        self.fail_status: int | None = None
        self.prefix = f"at-{uuid.uuid4().hex[:8]}-"
        self.issued: list[str] = []
        self.methods: list[str] = []  # "basic" or "post" per accepted request
        self.refused = 0
        self._lock = threading.Lock()
        self.server = Upstream(self._handle, tls=tls)
        self.url = f"{self.server.url}/oauth/token"

    def stop(self) -> None:
        self.server.stop()

    @property
    def issued_count(self) -> int:
        with self._lock:
            return len(self.issued)

    def _client(self, req: SeenRequest, form: dict) -> tuple[str, str, str] | None:
        auth = req.header("authorization")
        if auth:
            if not auth.startswith("Basic "):
                return None
            raw = base64.b64decode(auth[6:]).decode()
            user, _, password = raw.partition(":")
            # RFC 6749 2.3.1: both parts were form-encoded before base64.
            return urllib.parse.unquote_plus(user), urllib.parse.unquote_plus(password), "basic"
        if "client_id" in form and "client_secret" in form:
            return form["client_id"][0], form["client_secret"][0], "post"
        return None

    def _handle(self, req: SeenRequest):
        time.sleep(self.delay)
        if self.fail_status is not None:
            return self.fail_status, {}, {"error": "temporarily_unavailable"}
        if req.method != "POST" or req.path != "/oauth/token":
            return 404, {}, {"error": "not_found"}
        if req.header("content-type") != "application/x-www-form-urlencoded":
            return 400, {}, {"error": "invalid_request"}
        form = urllib.parse.parse_qs((req.body or b"").decode(), keep_blank_values=True)
        client = self._client(req, form)
        if client is None or client[0] != CLIENT_ID or client[1] != self.secret:
            with self._lock:
                self.refused += 1
            return 401, {"WWW-Authenticate": "Basic"}, {"error": "invalid_client"}
        if form.get("grant_type") != ["client_credentials"] or form.get("scope") != [
                " ".join(SCOPES)]:
            return 400, {}, {"error": "invalid_request"}
        with self._lock:
            token = f"{self.prefix}{len(self.issued) + 1}"
            self.issued.append(token)
            self.methods.append(client[2])
        body = {"access_token": token, "token_type": "Bearer"}
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        return 200, {"Cache-Control": "no-store"}, body


def bearer_upstream(rejects: Callable[[str], bool] = lambda token: False) -> Upstream:
    """An upstream that answers 401 to the bearer tokens `rejects` names, 200 to the others,
    and echoes the token it got in X-Seen-Token."""
    def handler(req: SeenRequest):
        auth = req.header("authorization") or ""
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
        if not token or rejects(token):
            return 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}, {"denied": token}
        return 200, {"X-Seen-Token": token}, {"ok": True, "path": req.path}
    return Upstream(handler)


def gateway_config(upstream_url: str, token_url: str, **credentials) -> dict:
    creds = {"type": "oauth2_client_credentials", "token_url": token_url,
             "client_id": CLIENT_ID, "client_secret_file": "secret", "scopes": SCOPES}
    creds.update(credentials)
    return base_config(
        server={"workers": 2},
        upstreams={"partner": {"targets": [{"url": upstream_url}], "credentials": creds}},
        routes=[{"name": "partner", "match": {"path": "/p/*"}, "upstream": "partner",
                 "rewrite": {"strip_prefix": "/p"}}])


def tokens_seen(up: Upstream) -> list[str]:
    return [(r.header("authorization") or "")[len("Bearer "):] for r in up.seen()]


class OAuth2ClientTest(GatewayTestCase):
    def start_endpoint(self, **kw) -> TokenEndpoint:
        ep = TokenEndpoint(**kw)
        self.addCleanup(ep.stop)
        return ep

    def start_bearer_upstream(self, rejects: Callable[[str], bool] = lambda t: False):
        up = bearer_upstream(rejects)
        self.addCleanup(up.stop)
        return up

    def start(self, up: Upstream, ep: TokenEndpoint | None, token_url: str | None = None,
              secret: str = SECRET, **credentials):
        cfg = gateway_config(up.url, token_url or ep.url, **credentials)
        return self.start_gateway(cfg, files={"secret": secret + "\n"})

    def assert_fetch_metrics(self, gw, ok: int, error: int, rejections: int) -> None:
        m = gw.metrics()
        fetches = "gateway_upstream_token_fetches_total"
        self.assertEqual(m.value(fetches, upstream="partner", result="ok"), ok, m.text)
        self.assertEqual(m.value(fetches, upstream="partner", result="error"), error, m.text)
        self.assertEqual(m.value("gateway_upstream_token_rejections_total", upstream="partner"),
                         rejections, m.text)

    def assert_no_secrets(self, gw, *also: str) -> None:
        """Neither the client secret (raw, form-encoded or in a Basic header) nor the given
        tokens appear in any log line, /metrics or /routes."""
        quoted = urllib.parse.quote(SECRET, safe="")
        basic = base64.b64encode(f"{CLIENT_ID}:{quoted}".encode()).decode()
        texts = {"stderr": gw.stderr_text(), "stdout": gw.stdout_text(),
                 "metrics": gw.admin("GET", "/metrics").text,
                 "routes": gw.admin("GET", "/routes").text}
        for name, text in texts.items():
            for secret in (SECRET, quoted, basic) + also:
                self.assertNotIn(secret, text, f"{secret!r} leaked into {name}")

    # -- single flight ------------------------------------------------------------------------
    def test_concurrent_requests_cause_one_token_fetch(self) -> None:
        ep = self.start_endpoint()
        up = self.start_bearer_upstream()
        gw = self.start(up, ep)
        self.assertEqual(ep.issued_count, 0, "no token is fetched before a request needs it")
        clients, per_client = 20, 10
        statuses: list[int] = []
        lock = threading.Lock()

        def client(i: int) -> None:
            conn = http.client.HTTPConnection(HOST, gw.port, timeout=30)
            try:
                for j in range(per_client):
                    r = request_on(conn, "GET", f"/p/orders/{i}-{j}")
                    with lock:
                        statuses.append(r.status)
            finally:
                conn.close()

        threads = [threading.Thread(target=client, args=(i,), daemon=True)
                   for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        self.assertEqual(len(statuses), clients * per_client)
        self.assertEqual(statuses, [200] * (clients * per_client))
        self.assertEqual(ep.issued_count, 1, ep.issued)
        self.assertEqual(ep.methods, ["basic"])
        seen = tokens_seen(up)
        self.assertEqual(len(seen), clients * per_client)
        self.assertEqual(set(seen), {ep.issued[0]})
        self.assert_fetch_metrics(gw, ok=1, error=0, rejections=0)
        self.assert_no_secrets(gw, ep.issued[0])

    def test_client_secret_post(self) -> None:
        ep = self.start_endpoint()
        up = self.start_bearer_upstream()
        gw = self.start(up, ep, auth_method="client_secret_post")
        r = gw.get("/p/x")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(ep.methods, ["post"])
        token_request = ep.server.last()
        self.assertFalse(token_request.has_header("authorization"))
        self.assertEqual(r.header("x-seen-token"), ep.issued[0])

    def test_https_token_endpoint_with_its_own_ca(self) -> None:
        tmp = tempfile.TemporaryDirectory(prefix="gw-oauth2-")
        self.addCleanup(tmp.cleanup)
        cert, key = make_self_signed(tmp.name)
        ep = self.start_endpoint(delay=0, tls=(cert, key))
        self.assertTrue(ep.url.startswith("https://"))
        up = self.start_bearer_upstream()
        gw = self.start(up, ep, tls={"ca_file": cert})
        r = gw.get("/p/x")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("x-seen-token"), ep.issued[0])
        # Without that CA the endpoint's certificate is not trusted: no token, 502.
        untrusting = self.start(up, ep)
        self.assert_error(untrusting.get("/p/x"), 502, "upstream_unavailable")
        self.assertEqual(ep.issued_count, 1)

    # -- expiry --------------------------------------------------------------------------------
    def test_expiry_leads_to_a_refresh(self) -> None:
        ep = self.start_endpoint(expires_in=1, delay=0)
        up = self.start_bearer_upstream()
        gw = self.start(up, ep)
        self.assertEqual(gw.get("/p/a").status, 200)
        self.assertEqual(tokens_seen(up), [ep.prefix + "1"])

        def refreshed() -> bool:
            r = gw.get("/p/b")
            self.assertEqual(r.status, 200, r)
            return r.header("x-seen-token") == ep.prefix + "2"
        wait_for(refreshed, timeout=10, interval=0.05, what="a refreshed token upstream")
        self.assertGreaterEqual(ep.issued_count, 2)
        # Tokens are used in the order they were issued, each one a while (cached).
        seen = tokens_seen(up)
        self.assertEqual(seen, sorted(seen, key=lambda t: int(t.rsplit("-", 1)[1])))

    # -- upstream 401 --------------------------------------------------------------------------
    def test_upstream_401_refreshes_and_retries_once(self) -> None:
        ep = self.start_endpoint(delay=0)
        up = self.start_bearer_upstream(rejects=lambda t: t == ep.prefix + "1")
        gw = self.start(up, ep)
        r = gw.get("/p/orders?x=1")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["path"], "/orders?x=1")
        self.assertEqual(ep.issued_count, 2)
        self.assertEqual(tokens_seen(up), [ep.prefix + "1", ep.prefix + "2"])
        # The new token is cached: the next request needs no fetch.
        self.assertEqual(gw.get("/p/orders").status, 200)
        self.assertEqual(ep.issued_count, 2)
        self.assert_fetch_metrics(gw, ok=2, error=0, rejections=1)

    def test_second_401_goes_to_the_caller(self) -> None:
        ep = self.start_endpoint(delay=0)
        up = self.start_bearer_upstream(rejects=lambda t: True)
        gw = self.start(up, ep)
        r = gw.get("/p/orders")
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.json(), {"denied": ep.prefix + "2"})
        self.assertEqual(r.header("www-authenticate"), 'Bearer error="invalid_token"')
        self.assertEqual(tokens_seen(up), [ep.prefix + "1", ep.prefix + "2"])
        self.assertEqual(ep.issued_count, 2)
        self.assert_fetch_metrics(gw, ok=2, error=0, rejections=2)

    def test_401_to_a_post_with_a_body_is_sent_again_with_the_same_bytes(self) -> None:
        ep = self.start_endpoint(delay=0)
        up = self.start_bearer_upstream(rejects=lambda t: t == ep.prefix + "1")
        gw = self.start(up, ep)
        body = b'{"order":{"id":7,"lines":["a","b"]},"note":"caf\xc3\xa9"}'
        r = gw.request("POST", "/p/orders", body=body,
                       headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("x-seen-token"), ep.prefix + "2")
        self.assertEqual(tokens_seen(up), [ep.prefix + "1", ep.prefix + "2"])
        for seen in up.seen():
            self.assertEqual(seen.method, "POST")
            self.assertEqual(seen.path, "/orders")
            self.assertEqual(seen.body, body)
            self.assertEqual(seen.header("content-type"), "application/json")
        self.assert_fetch_metrics(gw, ok=2, error=0, rejections=1)

    def test_401_to_a_chunked_body_within_the_bound_is_sent_again(self) -> None:
        ep = self.start_endpoint(delay=0)
        up = self.start_bearer_upstream(rejects=lambda t: t == ep.prefix + "1")
        gw = self.start(up, ep)
        parts = [b"x" * 1000, b"y" * 2000, b"z"]
        r = gw.request("POST", "/p/upload", body=iter(parts), encode_chunked=True,
                       headers={"Transfer-Encoding": "chunked"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual([s.body for s in up.seen()], [b"".join(parts)] * 2)
        self.assertEqual(tokens_seen(up), [ep.prefix + "1", ep.prefix + "2"])

    def test_401_to_a_body_above_the_kept_bound_goes_to_the_caller(self) -> None:
        ep = self.start_endpoint(delay=0)
        up = self.start_bearer_upstream(rejects=lambda t: t == ep.prefix + "1")
        gw = self.start(up, ep)
        big = b"b" * (64 * 1024 + 1)  # one byte past the proxy's kept-body bound
        r = gw.request("POST", "/p/orders", body=big,
                       headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.json(), {"denied": ep.prefix + "1"})
        self.assertEqual(len(up.seen()), 1, "a body that was not kept is never sent twice")
        self.assertEqual(up.last().body, big)
        # The refused token was dropped: the caller's retry gets a new one.
        r = gw.request("POST", "/p/orders", body=big)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(tokens_seen(up), [ep.prefix + "1", ep.prefix + "2"])
        self.assert_fetch_metrics(gw, ok=2, error=0, rejections=1)

    # -- token endpoint failures ---------------------------------------------------------------
    def test_token_endpoint_failing_gives_502_then_recovers(self) -> None:
        ep = self.start_endpoint(delay=0)
        ep.fail_status = 503
        up = self.start_bearer_upstream()
        gw = self.start(up, ep)
        for i in range(10):
            err = self.assert_error(gw.get(f"/p/{i}"), 502, "upstream_unavailable")
            self.assertNotIn(SECRET, err["message"])
        self.assertEqual(up.seen(), [], "no request goes upstream without a token")
        # The failure is remembered (1s, then 2s, 4s ...): no attempt per request. Usually one
        # attempt; a very slow machine may pass the first 1s backoff during the ten requests.
        self.assertLessEqual(len(ep.server.seen()), 2)
        self.assertEqual(gw.admin("GET", "/healthz").status, 200)
        # The log line reaches the test through a pipe a thread reads: wait for it.
        wait_for(lambda: "upstream token fetch failed" in gw.stderr_text(),
                 what="the fetch failure logged")
        ep.fail_status = None

        def recovered() -> bool:
            return gw.get("/p/again").status == 200
        wait_for(recovered, timeout=10, interval=0.1, what="a token after the endpoint recovered")
        self.assertEqual(ep.issued_count, 1)
        self.assert_no_secrets(gw, ep.issued[0])

    def test_token_endpoint_unreachable_gives_502(self) -> None:
        up = self.start_bearer_upstream()
        gw = self.start(up, None, token_url=f"http://{HOST}:{free_port_closed()}/token")
        self.assert_error(gw.get("/p/x"), 502, "upstream_unavailable")
        self.assertEqual(up.seen(), [])
        self.assertEqual(gw.admin("GET", "/readyz").status, 200)

    def test_refused_client_credentials_give_502_without_the_secret(self) -> None:
        ep = self.start_endpoint(secret="another-secret", delay=0)
        up = self.start_bearer_upstream()
        gw = self.start(up, ep)
        err = self.assert_error(gw.get("/p/x"), 502, "upstream_unavailable")
        self.assertNotIn(SECRET, err["message"])
        self.assertEqual(ep.refused, 1)
        self.assert_fetch_metrics(gw, ok=0, error=1, rejections=0)
        wait_for(lambda: "invalid_client" in gw.stderr_text(), what="the fetch failure logged")
        self.assert_no_secrets(gw)

    # -- reload --------------------------------------------------------------------------------
    def test_reload_keeps_the_token_and_picks_up_a_rotated_secret(self) -> None:
        ep = self.start_endpoint(delay=0)
        up = self.start_bearer_upstream()
        gw = self.start(up, ep)
        self.assertEqual(gw.get("/p/1").header("x-seen-token"), ep.prefix + "1")
        # Same settings: the cached token survives the reload.
        self.assertEqual(gw.reload().status, 200)
        self.assertEqual(gw.get("/p/2").header("x-seen-token"), ep.prefix + "1")
        self.assertEqual(ep.issued_count, 1)
        # Rotate: the endpoint now only knows the new secret, the file holds it.
        new_secret = "rotated-" + uuid.uuid4().hex
        ep.secret = new_secret
        with open(f"{gw.dir}/secret", "w") as f:
            f.write(new_secret + "\n")
        self.assertEqual(gw.reload().status, 200)
        r = gw.get("/p/3")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("x-seen-token"), ep.prefix + "2")
        self.assertEqual(ep.refused, 0)
        self.assert_no_secrets(gw, new_secret, ep.prefix + "1", ep.prefix + "2")


if __name__ == "__main__":
    import unittest
    unittest.main()
