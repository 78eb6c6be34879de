"""The route `cors:` section through the binary: preflights answered by the gateway (before auth,
never reaching the upstream), the headers of actual responses, and refusals."""

from __future__ import annotations

import unittest

from tests.integration.harness import Gateway, GatewayTestCase, Upstream, base_config

APP = "https://app.example.com"
KEY = "cors-test-key-0123456789"


def vary_handler(req):
    return 200, {"Content-Type": "application/json", "Vary": "Accept",
                 "Access-Control-Allow-Origin": "https://upstream-says.example"}, req.json_echo()


class CorsTest(GatewayTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.up = Upstream(vary_handler)
        cls.addClassCleanup(cls.up.stop)
        cfg = base_config(
            upstreams={"backend": {"targets": [{"url": cls.up.url}]}},
            routes=[
                {"name": "orders",
                 "match": {"path": "/orders/*", "methods": ["GET", "POST", "DELETE"]},
                 "upstream": "backend", "auth": ["keys"],
                 "cors": {"origins": [APP, "https://*.partner.example"],
                          "methods": ["GET", "POST"],  # DELETE: not from browsers
                          "headers": ["content-type", "x-api-key"],
                          "expose_headers": ["x-request-id"], "credentials": True,
                          "max_age": "10m"}},
                {"name": "public", "match": {"path": "/public/*"}, "upstream": "backend",
                 "cors": {"origins": ["*"]}},
                {"name": "blocked", "match": {"path": "/blocked/*", "methods": ["GET"]},
                 "upstream": "backend", "ip": {"deny": ["127.0.0.0/8"]},
                 "cors": {"origins": [APP]}},
                {"name": "plain", "match": {"path": "/plain/*", "methods": ["GET"]},
                 "upstream": "backend"},
                # A broader route for any method, which would take an OPTIONS to /shadow/api/x.
                {"name": "shadow-api", "match": {"path": "/shadow/api/*", "methods": ["GET"]},
                 "upstream": "backend", "cors": {"origins": ["*"]}},
                {"name": "shadow-all", "match": {"path": "/shadow/*"}, "upstream": "backend"},
            ])
        cfg["consumers"] = [{"name": "web", "api_keys": [KEY]}]
        cfg["authenticators"] = {"keys": {"type": "api_key", "header": "X-Api-Key"}}
        cls.gw = Gateway(cfg)
        cls.addClassCleanup(cls.gw.stop)

    def setUp(self) -> None:
        self.up.clear()

    def preflight(self, path: str, origin: str, method: str, headers: str = ""):
        h = {"Origin": origin, "Access-Control-Request-Method": method}
        if headers:
            h["Access-Control-Request-Headers"] = headers
        return self.gw.request("OPTIONS", path, headers=h)

    def test_preflight_answered_before_auth_without_the_upstream(self) -> None:
        r = self.preflight("/orders/1", APP, "POST", "Content-Type, X-Api-Key")
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        self.assertEqual(r.header("access-control-allow-origin"), APP)
        self.assertEqual(r.header("access-control-allow-methods"), "GET, POST")
        self.assertEqual(r.header("access-control-allow-headers"), "content-type, x-api-key")
        self.assertEqual(r.header("access-control-allow-credentials"), "true")
        self.assertEqual(r.header("access-control-max-age"), "600")
        self.assertIn("Origin", r.header("vary"))
        self.assertTrue(r.header("x-request-id"))
        self.assertEqual(self.up.seen(), [])

    def test_wildcard_subdomain_origin(self) -> None:
        r = self.preflight("/orders/1", "https://shop.partner.example", "GET")
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.header("access-control-allow-origin"), "https://shop.partner.example")

    def test_preflight_refusals(self) -> None:
        for origin, method, headers, word in [
                ("https://evil.example", "GET", "", "https://evil.example"),
                (APP, "DELETE", "", "DELETE"),
                (APP, "GET", "X-Secret", "x-secret")]:
            r = self.preflight("/orders/1", origin, method, headers)
            err = self.assert_error(r, 403, "cors_forbidden")
            self.assertIn(word.lower(), err["message"].lower())
            self.assertFalse(r.has_header("access-control-allow-origin"))
        # A method no route serves there: the router's 405, as for any request.
        r = self.preflight("/orders/1", APP, "PATCH")
        self.assert_error(r, 405, "method_not_allowed")
        self.assertEqual(self.up.seen(), [])

    def test_actual_request_gets_the_headers_and_still_needs_auth(self) -> None:
        r = self.gw.get("/orders/1", {"Origin": APP})
        err = self.assert_error(r, 401, "missing_credentials")
        self.assertTrue(err)
        # The browser may read the 401: the page learns it must log in.
        self.assertEqual(r.header("access-control-allow-origin"), APP)
        self.assertEqual(self.up.seen(), [])

        r = self.gw.get("/orders/1", {"Origin": APP, "X-Api-Key": KEY})
        self.assertEqual(r.status, 200, r)
        # The gateway's answer replaces the upstream's own CORS header.
        self.assertEqual(r.header_all("access-control-allow-origin"), [APP])
        self.assertEqual(r.header("access-control-allow-credentials"), "true")
        self.assertEqual(r.header("access-control-expose-headers"), "x-request-id")
        self.assertEqual(r.header("vary"), "Accept, Origin")
        self.assertEqual(self.up.last().header("origin"), APP)  # the upstream sees it too

    def test_other_origin_goes_on_without_cors_headers(self) -> None:
        r = self.gw.get("/orders/1", {"Origin": "https://evil.example", "X-Api-Key": KEY})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("access-control-allow-origin"),
                         "https://upstream-says.example")  # untouched: not ours to answer
        self.assertEqual(r.header("vary"), "Accept, Origin")

    def test_any_origin(self) -> None:
        r = self.preflight("/public/x", "https://anyone.example", "PUT", "X-Custom")
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.header("access-control-allow-origin"), "*")
        self.assertEqual(r.header("access-control-allow-methods"), "PUT")
        self.assertEqual(r.header("access-control-allow-headers"), "X-Custom")
        self.assertFalse(r.has_header("access-control-allow-credentials"))
        r = self.gw.get("/public/x", {"Origin": "https://anyone.example"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("access-control-allow-origin"), "*")
        self.assertEqual(r.header("vary"), "Accept")  # "*" does not depend on the origin

    def test_preflight_goes_to_the_cors_route_not_a_broader_one(self) -> None:
        # OPTIONS alone would match /shadow/* (any method); the preflight asks about GET,
        # which /shadow/api/* serves: that route's cors answers.
        r = self.preflight("/shadow/api/x", "https://anyone.example", "GET")
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.header("access-control-allow-origin"), "*")
        self.assertEqual(self.up.seen(), [])
        # An OPTIONS that is not a preflight goes to /shadow/*, and so upstream.
        r = self.gw.request("OPTIONS", "/shadow/api/x")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.up.last().method, "OPTIONS")

    def test_ip_filter_runs_before_the_preflight(self) -> None:
        r = self.preflight("/blocked/x", APP, "GET")
        self.assert_error(r, 403, "ip_forbidden")

    def test_options_without_cors_keeps_its_405(self) -> None:
        r = self.preflight("/plain/x", APP, "GET")
        self.assert_error(r, 405, "method_not_allowed")
        self.assertEqual(r.header("allow"), "GET")
        # Not a preflight (no Access-Control-Request-Method): the route's methods decide.
        r = self.gw.request("OPTIONS", "/orders/1", headers={"Origin": APP})
        self.assertEqual(r.status, 405, r)


class CorsReloadTest(GatewayTestCase):
    def test_reload_changes_the_allowed_origins(self) -> None:
        up = self.start_upstream()

        def cfg(origin: str) -> dict:
            return base_config(
                upstreams={"backend": {"targets": [{"url": up.url}]}},
                routes=[{"name": "r", "match": {"path": "/r/*", "methods": ["GET"]},
                         "upstream": "backend", "cors": {"origins": [origin]}}])

        gw = self.start_gateway(cfg(APP))
        r = gw.request("OPTIONS", "/r/x", headers={"Origin": APP,
                                                   "Access-Control-Request-Method": "GET"})
        self.assertEqual(r.status, 204, r)
        gw.write_config(cfg("https://new.example.com"))
        self.assertEqual(gw.reload().status, 200)
        r = gw.request("OPTIONS", "/r/x", headers={"Origin": APP,
                                                   "Access-Control-Request-Method": "GET"})
        self.assert_error(r, 403, "cors_forbidden")


if __name__ == "__main__":
    unittest.main()
