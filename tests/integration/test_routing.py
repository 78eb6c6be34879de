"""Routing: exact/param/prefix/regex paths, precedence, 404/405, host and header matching,
respond routes, rewrites and path normalisation."""

from __future__ import annotations

import unittest

from tests.integration.harness import Gateway, GatewayTestCase, Upstream, base_config


def respond(status: int, body: str, headers: dict | None = None) -> dict:
    r: dict = {"status": status, "body": body}
    if headers:
        r["headers"] = headers
    return r


class RoutingTest(GatewayTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.up = Upstream()
        cls.addClassCleanup(cls.up.stop)
        cfg = base_config(
            upstreams={"backend": {"targets": [{"url": cls.up.url}]}},
            routes=[
                {"name": "exact", "match": {"path": "/exact"}, "upstream": "backend"},
                {"name": "user", "match": {"path": "/users/{id}", "methods": ["GET"]},
                 "upstream": "backend", "rewrite": {"path": "/v2/users/{id}"}},
                {"name": "user-me", "match": {"path": "/users/me", "methods": ["GET"]},
                 "respond": respond(200, "me")},
                {"name": "order-item", "match": {"path": "/orders/{oid}/items/{iid}"},
                 "upstream": "backend", "rewrite": {"path": "/items/{iid}/of/{oid}"}},
                {"name": "static", "match": {"path": "/static/*"}, "upstream": "backend",
                 "rewrite": {"strip_prefix": "/static"}},
                {"name": "static-special", "match": {"path": "/static/special/*"},
                 "respond": respond(200, "special")},
                {"name": "regex", "match": {"path": "~ ^/re/[0-9]+$"},
                 "respond": respond(200, "regex")},
                {"name": "host-api", "match": {"path": "/hosted", "host": "api.example.com"},
                 "respond": respond(200, "api")},
                {"name": "host-wild", "match": {"path": "/hosted", "host": "*.example.org"},
                 "respond": respond(200, "wild")},
                {"name": "tenant", "match": {"path": "/tenant", "headers": {"x-tenant": "acme"}},
                 "respond": respond(200, "acme")},
                {"name": "multi", "match": {"path": "/multi", "methods": ["GET", "POST"]},
                 "respond": respond(200, "multi")},
                {"name": "public", "match": {"path": "/public/*"}, "upstream": "backend"},
                {"name": "admin-deny", "match": {"path": "/admin"},
                 "respond": respond(403, '{"denied":true}',
                                    {"content-type": "application/json"})},
                {"name": "mock", "match": {"path": "/sandbox/status", "methods": ["GET"]},
                 "respond": respond(201, '{"ok":true}',
                                    {"content-type": "application/json", "x-mock": "yes"})},
            ])
        cls.gw = Gateway(cfg)
        cls.addClassCleanup(cls.gw.stop)

    def setUp(self) -> None:
        self.up.clear()

    def get(self, path: str, headers: dict | None = None, method: str = "GET"):
        return self.gw.request(method, path, headers)

    def assert_upstream_path(self, resp, path: str, method: str = "GET") -> None:
        self.assertEqual(resp.status, 200, resp)
        seen = self.up.wait_requests(1)
        self.assertEqual(len(seen), 1, seen)
        self.assertEqual(seen[0].path, path)
        self.assertEqual(seen[0].method, method)
        self.assertEqual(resp.json()["path"], path)

    def assert_not_proxied(self) -> None:
        self.assertEqual(self.up.seen_heads(), [], "the upstream should not have been called")

    # -- path kinds --------------------------------------------------------------------------
    def test_exact(self) -> None:
        self.assert_upstream_path(self.get("/exact"), "/exact")

    def test_exact_keeps_query(self) -> None:
        self.assert_upstream_path(self.get("/exact?a=1&b=two%20x"), "/exact?a=1&b=two%20x")

    def test_exact_does_not_match_longer_path(self) -> None:
        self.assert_error(self.get("/exact/more"), 404, "no_route")
        self.assert_not_proxied()

    def test_param_with_rewrite(self) -> None:
        self.assert_upstream_path(self.get("/users/42"), "/v2/users/42")

    def test_two_params_rewrite(self) -> None:
        self.assert_upstream_path(self.get("/orders/o-7/items/i-9", method="PUT"),
                                  "/items/i-9/of/o-7", "PUT")

    def test_param_is_one_segment(self) -> None:
        self.assert_error(self.get("/users/1/2"), 404, "no_route")
        self.assert_not_proxied()

    def test_exact_beats_param(self) -> None:
        r = self.get("/users/me")
        self.assertEqual((r.status, r.body), (200, b"me"), r)
        self.assert_not_proxied()

    def test_prefix_with_strip_prefix(self) -> None:
        self.assert_upstream_path(self.get("/static/css/site.css?v=3"), "/css/site.css?v=3")

    def test_longer_prefix_wins(self) -> None:
        r = self.get("/static/special/thing")
        self.assertEqual((r.status, r.body), (200, b"special"), r)
        self.assert_not_proxied()

    def test_regex(self) -> None:
        r = self.get("/re/12345")
        self.assertEqual((r.status, r.body), (200, b"regex"), r)
        self.assert_error(self.get("/re/abc"), 404, "no_route")

    # -- 404 / 405 ---------------------------------------------------------------------------
    def test_no_route(self) -> None:
        self.assert_error(self.get("/nothing/here"), 404, "no_route")
        self.assert_not_proxied()

    def test_method_not_allowed_single(self) -> None:
        r = self.get("/users/42", method="POST")
        self.assert_error(r, 405, "method_not_allowed")
        allow = {m.strip() for m in (r.header("allow") or "").split(",")}
        self.assertIn("GET", allow, r)
        self.assertNotIn("POST", allow, r)
        self.assert_not_proxied()

    def test_method_not_allowed_lists_all(self) -> None:
        r = self.get("/multi", method="DELETE")
        self.assert_error(r, 405, "method_not_allowed")
        allow = {m.strip() for m in (r.header("allow") or "").split(",")}
        self.assertTrue({"GET", "POST"} <= allow, r)
        r = self.get("/multi", method="POST")
        self.assertEqual((r.status, r.body), (200, b"multi"), r)

    # -- host and headers --------------------------------------------------------------------
    def test_host_exact(self) -> None:
        r = self.get("/hosted", {"Host": "api.example.com"})
        self.assertEqual((r.status, r.body), (200, b"api"), r)

    def test_host_case_and_port_ignored(self) -> None:
        r = self.get("/hosted", {"Host": "API.Example.com:8443"})
        self.assertEqual((r.status, r.body), (200, b"api"), r)

    def test_host_wildcard(self) -> None:
        r = self.get("/hosted", {"Host": "eu.example.org"})
        self.assertEqual((r.status, r.body), (200, b"wild"), r)

    def test_host_mismatch_is_404(self) -> None:
        self.assert_error(self.get("/hosted", {"Host": "other.test"}), 404, "no_route")

    def test_header_match(self) -> None:
        r = self.get("/tenant", {"X-Tenant": "acme"})
        self.assertEqual((r.status, r.body), (200, b"acme"), r)
        self.assert_error(self.get("/tenant", {"X-Tenant": "globex"}), 404, "no_route")
        self.assert_error(self.get("/tenant"), 404, "no_route")

    # -- respond -----------------------------------------------------------------------------
    def test_respond_route(self) -> None:
        r = self.get("/sandbox/status", {"X-Request-Id": "mock-req-1"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json(), {"ok": True})
        self.assertEqual(r.header("content-type"), "application/json")
        self.assertEqual(r.header("x-mock"), "yes")
        self.assertEqual(r.header("x-request-id"), "mock-req-1")
        self.assert_not_proxied()

    def test_respond_route_has_request_id(self) -> None:
        r = self.get("/sandbox/status")
        self.assertTrue(r.header("x-request-id"), r)

    # -- normalisation -----------------------------------------------------------------------
    def test_dot_dot_cannot_escape_to_other_route(self) -> None:
        # /public/../admin is /admin: it gets the admin route's rules, not the public proxy.
        for path in ("/public/../admin", "/public/%2e%2e/admin", "/public/%2E%2E/admin",
                     "/public/./../admin"):
            with self.subTest(path=path):
                r = self.gw.raw(f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                self.assertEqual(r.status, 403, r)
                self.assertEqual(r.json(), {"denied": True})
        self.assert_not_proxied()

    def test_dot_segment_is_removed_before_proxying(self) -> None:
        r = self.gw.raw("GET /public/./a/b/../c HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.wait_requests(1)[0].path, "/public/a/c")

    def test_percent_encoded_unreserved_decoded(self) -> None:
        r = self.gw.raw("GET /%65xact HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.wait_requests(1)[0].path, "/exact")

    def test_climbing_above_root_stays_at_root(self) -> None:
        # Either refused (400) or clamped at the root (RFC 3986 5.2.4): then it is /admin and
        # gets the admin route's rules. Never proxied as something else.
        for path in ("/../admin", "/public/../../admin"):
            with self.subTest(path=path):
                r = self.gw.raw(f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                if r.status == 400:
                    self.assert_error(r, 400, "bad_request")
                else:
                    self.assertEqual((r.status, r.json()), (403, {"denied": True}), r)
        self.assert_not_proxied()

    def test_encoded_slash_is_400(self) -> None:
        r = self.gw.raw("GET /public%2f..%2fadmin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        self.assertIn(r.status, (400, 404), r)
        self.assertNotEqual(r.status, 403, r)
        self.assert_not_proxied()


if __name__ == "__main__":
    unittest.main()
