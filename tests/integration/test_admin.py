"""The admin listener: health, readiness, metrics, routes, token, reload (POST and SIGHUP),
and reload under load."""

from __future__ import annotations

import http.client
import signal
import threading
import time
import unittest

from tests.integration.harness import (Gateway, GatewayTestCase, Upstream, base_config,
                                       http_request, request_on, wait_for)


def make_config(upstream_url: str, version: str, extra_route: bool = False,
                admin: dict | None = None) -> dict:
    routes = [
        {"name": "echo", "match": {"path": "/echo/*", "methods": ["GET", "POST"]},
         "upstream": "backend",
         "headers": {"response": {"set": {"x-config": version}}}},
        {"name": "status", "match": {"path": "/status", "methods": ["GET"]},
         "respond": {"status": 200, "headers": {"content-type": "text/plain"}, "body": version}},
        {"name": "hosted", "match": {"path": "/hosted", "host": "api.example.com"},
         "respond": {"status": 204}},
    ]
    if extra_route:
        routes.append({"name": "added", "match": {"path": "/added"},
                       "respond": {"status": 200, "body": "added"}})
    return base_config(upstreams={"backend": {"targets": [{"url": upstream_url}]}},
                       routes=routes, admin=admin)


class AdminTest(GatewayTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.up = Upstream()
        cls.addClassCleanup(cls.up.stop)
        cls.gw = Gateway(make_config(cls.up.url, "v0"))
        cls.addClassCleanup(cls.gw.stop)

    def setUp(self) -> None:
        self.up.clear()

    def set_config(self, version: str, **kw) -> None:
        self.gw.write_config(make_config(self.up.url, version, **kw))

    def reload_to(self, version: str, **kw) -> None:
        self.set_config(version, **kw)
        r = self.gw.reload()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.gw.get("/status").body, version.encode())

    # -- health ------------------------------------------------------------------------------
    def test_healthz(self) -> None:
        r = self.gw.admin("GET", "/healthz")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"status": "ok"})

    def test_readyz(self) -> None:
        r = self.gw.admin("GET", "/readyz")
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual(body["status"], "ready")
        # Each upstream's targets with their health and circuit (test_resilience_health).
        self.assertEqual([t["healthy"] for t in body["upstreams"]["backend"]], [True])

    def test_admin_not_on_public_port(self) -> None:
        for path in ("/healthz", "/metrics", "/routes"):
            with self.subTest(path=path):
                self.assert_error(self.gw.get(path), 404, "no_route")
        r = self.gw.request("POST", "/reload")
        self.assert_error(r, 404, "no_route")

    def test_unknown_admin_path(self) -> None:
        self.assertEqual(self.gw.admin("GET", "/nothing").status, 404)

    # -- metrics -----------------------------------------------------------------------------
    def test_metrics_count_requests(self) -> None:
        key = dict(route="echo", method="GET", status_class="2xx")
        m0 = self.gw.metrics()
        for i in range(3):
            self.assertEqual(self.gw.get(f"/echo/m{i}").status, 200)
        self.assertEqual(self.gw.request("POST", "/echo/m", body=b"x").status, 200)
        self.assertEqual(self.gw.get("/nope").status, 404)

        post = dict(route="echo", method="POST", status_class="2xx")

        # A request is counted once its answer is fully written, which may be a moment after
        # the client has read it: wait for all of them.
        def counted():
            m = self.gw.metrics()
            gets = m.value("gateway_requests_total", **key) - \
                m0.value("gateway_requests_total", **key)
            posts = m.value("gateway_requests_total", **post) - \
                m0.value("gateway_requests_total", **post)
            errors = m.value("gateway_requests_total", status_class="4xx") - \
                m0.value("gateway_requests_total", status_class="4xx")
            return m if gets >= 3 and posts >= 1 and errors >= 1 else None
        m1 = wait_for(counted, 10, 0.05, "gateway_requests_total to count every request")
        self.assertEqual(m1.value("gateway_requests_total", **key)
                         - m0.value("gateway_requests_total", **key), 3)
        self.assertEqual(m1.value("gateway_requests_total", **post)
                         - m0.value("gateway_requests_total", **post), 1)
        self.assertGreaterEqual(m1.value("gateway_requests_total", status_class="4xx")
                                - m0.value("gateway_requests_total", status_class="4xx"), 1)

        self.assertIn("# TYPE gateway_request_duration_seconds histogram", m1.text)
        inf = m1.find("gateway_request_duration_seconds_bucket", route="echo", le="+Inf")
        self.assertTrue(inf, "no +Inf bucket for route echo")
        self.assertGreaterEqual(inf[0][1], 4)
        buckets = m1.find("gateway_request_duration_seconds_bucket", route="echo")
        self.assertGreater(len(buckets), 3, "histogram has too few buckets")
        values = [v for _, v in sorted(
            buckets, key=lambda lv: float("inf") if lv[0]["le"] == "+Inf" else float(lv[0]["le"]))]
        self.assertEqual(values, sorted(values), "buckets are not cumulative")
        self.assertEqual(m1.value("gateway_request_duration_seconds_count", route="echo"),
                         inf[0][1])
        self.assertTrue(m1.has("gateway_request_duration_seconds_sum", route="echo"))

        up_inf = m1.find("gateway_upstream_duration_seconds_bucket", le="+Inf")
        self.assertTrue(up_inf, "no gateway_upstream_duration_seconds_bucket")
        self.assertGreaterEqual(sum(v for _, v in up_inf), 4)

    def test_metrics_active_connections(self) -> None:
        c = self.gw.connect()
        with c:
            c.send("GET /echo/hold HTTP/1.1\r\nHost: t\r\n\r\n")
            self.assertEqual(c.read_response().status, 200)
            m = self.gw.metrics()
            self.assertTrue(m.has("gateway_active_connections"), m.text[:2000])
            self.assertGreaterEqual(m.value("gateway_active_connections"), 1)

    def test_metrics_content_type(self) -> None:
        r = self.gw.admin("GET", "/metrics")
        self.assertEqual(r.status, 200)
        self.assertTrue((r.header("content-type") or "").startswith("text/plain"), r)

    # -- routes ------------------------------------------------------------------------------
    def test_routes_json(self) -> None:
        self.reload_to("v0")
        r = self.gw.admin("GET", "/routes")
        self.assertEqual(r.status, 200, r)
        routes = {rt["name"]: rt for rt in r.json()["routes"]}
        self.assertEqual(set(routes), {"echo", "status", "hosted"})
        self.assertEqual(routes["echo"]["path"], "/echo/*")
        self.assertEqual(set(routes["echo"]["methods"]), {"GET", "POST"})
        self.assertEqual(routes["echo"]["upstream"], "backend")
        self.assertEqual(routes["status"]["respond"], 200)
        self.assertEqual(routes["status"]["methods"], ["GET"])
        self.assertEqual(routes["hosted"]["host"], "api.example.com")
        self.assertEqual(routes["hosted"]["respond"], 204)

    # -- reload ------------------------------------------------------------------------------
    def test_post_reload_good(self) -> None:
        m0 = self.gw.metrics()
        self.set_config("v1", extra_route=True)
        r = self.gw.reload()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"status": "reloaded"})
        self.assertEqual(self.gw.get("/status").body, b"v1")
        self.assertEqual(self.gw.get("/added").body, b"added")
        self.assertEqual(self.gw.get("/echo/x").header("x-config"), "v1")
        names = {rt["name"] for rt in self.gw.admin("GET", "/routes").json()["routes"]}
        self.assertIn("added", names)
        m1 = self.gw.metrics()
        self.assertEqual(m1.value("gateway_config_reloads_total", result="success")
                         - m0.value("gateway_config_reloads_total", result="success"), 1)
        self.reload_to("v0")
        self.assert_error(self.gw.get("/added"), 404, "no_route")

    def test_post_reload_bad_keeps_old_config(self) -> None:
        self.reload_to("v3")
        m0 = self.gw.metrics()
        self.gw.write_config(
            'server:\n  listen: "127.0.0.1:0"\n  bogus_key: 1\nadmin:\n  listen: "127.0.0.1:0"\n'
            'routes:\n  - name: x\n    match: { path: /x }\n    upstream: nowhere\n')
        r = self.gw.reload()
        self.assertEqual(r.status, 400, r)
        err = r.json()["error"]
        self.assertEqual(err["code"], "reload_failed")
        self.assertTrue(err["message"], r)
        self.assertEqual(self.gw.get("/status").body, b"v3", "the old config stopped serving")
        self.assertEqual(self.gw.get("/echo/still").status, 200)
        m1 = self.gw.metrics()
        self.assertEqual(m1.value("gateway_config_reloads_total", result="failure")
                         - m0.value("gateway_config_reloads_total", result="failure"), 1)
        self.assertEqual(m1.value("gateway_config_reloads_total", result="success")
                         - m0.value("gateway_config_reloads_total", result="success"), 0)
        self.assertEqual(self.gw.admin("GET", "/readyz").status, 200)
        self.reload_to("v0")

    def test_reload_requires_post(self) -> None:
        r = self.gw.admin("GET", "/reload")
        self.assertIn(r.status, (404, 405), r)

    def test_sighup_reload(self) -> None:
        m0 = self.gw.metrics()
        self.set_config("v-hup")
        self.gw.signal(signal.SIGHUP)
        wait_for(lambda: self.gw.get("/status").body == b"v-hup", 10, 0.05, "SIGHUP reload")
        wait_for(lambda: self.gw.metrics().value("gateway_config_reloads_total", result="success")
                 - m0.value("gateway_config_reloads_total", result="success") == 1, 3, 0.05,
                 "reload success counter")
        self.assertIsNone(self.gw.proc.poll(), "the gateway exited on SIGHUP")
        self.reload_to("v0")

    def test_sighup_bad_config_keeps_running(self) -> None:
        self.reload_to("v4")
        m0 = self.gw.metrics()
        self.gw.write_config("server: [this is: not valid\n")
        self.gw.signal(signal.SIGHUP)
        wait_for(lambda: self.gw.metrics().value("gateway_config_reloads_total", result="failure")
                 - m0.value("gateway_config_reloads_total", result="failure") >= 1, 5, 0.05,
                 "reload failure counter after SIGHUP")
        self.assertIsNone(self.gw.proc.poll(), "the gateway exited on a bad SIGHUP reload")
        self.assertEqual(self.gw.get("/status").body, b"v4")
        self.reload_to("v0")

    def test_reload_under_load(self) -> None:
        versions = ["v0"] + [f"load-{i}" for i in range(1, 6)]
        self.reload_to("v0")
        stop = threading.Event()
        failures: list[str] = []
        counts = [0, 0]
        lock = threading.Lock()

        def fail(msg: str) -> None:
            with lock:
                failures.append(msg)

        def keepalive_client() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", self.gw.port, timeout=5)
            deadline = time.monotonic() + 90  # stop ends them first; a bound, not a pace
            try:
                for i in range(100_000):
                    if stop.is_set() or time.monotonic() > deadline:
                        return
                    try:
                        r = request_on(conn, "GET", f"/echo/load/{i}")
                        if r.status != 200 or r.header("x-config") not in versions:
                            fail(f"keep-alive: {r}")
                    except (OSError, http.client.HTTPException) as e:
                        fail(f"keep-alive: {e!r}")
                        conn.close()
                        conn = http.client.HTTPConnection("127.0.0.1", self.gw.port, timeout=5)
                    with lock:
                        counts[0] += 1
            finally:
                conn.close()

        def new_connection_client() -> None:
            deadline = time.monotonic() + 90  # stop ends them first; a bound, not a pace
            for _ in range(100_000):
                if stop.is_set() or time.monotonic() > deadline:
                    return
                try:
                    r = http_request(self.gw.port, "GET", "/status", timeout=5)
                    if r.status != 200 or r.body.decode() not in versions:
                        fail(f"new-connection: {r}")
                except (OSError, http.client.HTTPException) as e:
                    fail(f"new-connection: {e!r}")
                with lock:
                    counts[1] += 1

        def progress(what: str) -> None:
            # Both clients make progress on the current config (a stuck request shows here).
            with lock:
                start = list(counts)
            try:
                wait_for(lambda: counts[0] - start[0] >= 50 and counts[1] - start[1] >= 50,
                         20, 0.01, what)
            except AssertionError as e:
                with lock:
                    raise AssertionError(f"{e}; counts {start} -> {counts}; "
                                         f"failures so far: {failures}") from None

        threads = [threading.Thread(target=keepalive_client, daemon=True),
                   threading.Thread(target=new_connection_client, daemon=True)]
        for t in threads:
            t.start()
        try:
            for version in versions[1:]:
                progress(f"clients to make progress before reloading to {version}")
                self.set_config(version)
                r = self.gw.reload()
                self.assertEqual(r.status, 200, r)
            progress("clients to make progress after the last reload")
        finally:
            stop.set()
            for t in threads:
                t.join(10)
        self.assertEqual(failures, [], f"{len(failures)} failures in {sum(counts)} requests")
        self.assertEqual(self.gw.get("/status").body, b"load-5")
        self.assertGreater(sum(counts), 500)
        self.reload_to("v0")


class AdminTokenTest(GatewayTestCase):
    TOKEN = "adm-secret-token-123"

    @classmethod
    def setUpClass(cls) -> None:
        cls.up = Upstream()
        cls.addClassCleanup(cls.up.stop)
        cls.gw = Gateway(make_config(cls.up.url, "v0", admin={"token": cls.TOKEN}))
        cls.addClassCleanup(cls.gw.stop)

    def test_requests_without_token_are_401(self) -> None:
        for method, path in (("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"),
                             ("GET", "/routes"), ("POST", "/reload")):
            with self.subTest(path=path):
                r = http_request(self.gw.admin_port, method, path)
                self.assertEqual(r.status, 401, r)
                self.assertNotIn(self.TOKEN, r.text)

    def test_wrong_token_is_401(self) -> None:
        for auth in ("Bearer wrong", "Bearer " + self.TOKEN[:-1], "Basic " + self.TOKEN,
                     self.TOKEN, "Bearer " + self.TOKEN + "x"):
            with self.subTest(auth=auth):
                r = http_request(self.gw.admin_port, "GET", "/metrics",
                                 {"Authorization": auth})
                self.assertEqual(r.status, 401, r)

    def test_right_token(self) -> None:
        r = http_request(self.gw.admin_port, "GET", "/healthz",
                         {"Authorization": f"Bearer {self.TOKEN}"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"status": "ok"})
        self.assertEqual(self.gw.admin("GET", "/metrics").status, 200)
        self.assertEqual(self.gw.reload().status, 200)

    def test_public_port_needs_no_admin_token(self) -> None:
        self.assertEqual(self.gw.get("/status").status, 200)

    def test_token_not_logged(self) -> None:
        http_request(self.gw.admin_port, "GET", "/metrics", {"Authorization": "Bearer wrong"})
        self.gw.admin("GET", "/metrics")
        self.assertNotIn(self.TOKEN, self.gw.stdout_text() + self.gw.stderr_text())


if __name__ == "__main__":
    unittest.main()
