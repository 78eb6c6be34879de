"""Response caching (route cache:, memory store): hit, miss, expiry, Cache-Control from both
sides, Vary, conditional requests and revalidation, collapsing, stale-if-error, purge, the
memory bound and the counters, all through the real binary against an upstream that counts
its calls."""

from __future__ import annotations

import threading
import time
import unittest
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

from tests.integration.harness import Gateway, GatewayTestCase, Upstream, base_config


class Origin:
    """An upstream whose answers are driven by the query: cc= (Cache-Control), etag=, lm=
    (Last-Modified), vary=, status=, cookie=1, size= (body bytes), chunked=1, sleep= (seconds).
    The body names the path and how many times the upstream served it, so a cached answer is
    recognisable. `failing` makes every answer a 503."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[str, int] = {}
        self.failing = False
        self.up = Upstream(self.handle)

    def count(self, path: str) -> int:
        with self.lock:
            return self.counts.get(path, 0)

    def handle(self, req):
        parsed = urllib.parse.urlsplit(req.path)
        q = dict(urllib.parse.parse_qsl(parsed.query))
        with self.lock:
            n = self.counts[req.path] = self.counts.get(req.path, 0) + 1
        if self.failing:
            return 503, {"Content-Type": "text/plain"}, "down"
        if "sleep" in q:
            time.sleep(float(q["sleep"]))
        headers = [("Content-Type", "text/plain")]
        for key, name in (("cc", "Cache-Control"), ("etag", "ETag"), ("lm", "Last-Modified"),
                          ("vary", "Vary")):
            if key in q:
                headers.append((name, q[key]))
        if q.get("close"):  # not pooled: a stopped upstream then refuses the next call
            headers.append(("Connection", "close"))
        if q.get("cookie"):
            headers.append(("Set-Cookie", "session=abc"))
        etag = q.get("etag")
        if etag and req.header("if-none-match") == etag:
            return 304, headers, b""
        lang = req.header("x-lang", "")
        body = f"{parsed.path} #{n} {lang}".encode()
        if "size" in q:
            body = body + b"x" * (int(q["size"]) - len(body))
        if q.get("chunked"):
            return int(q.get("status", 200)), headers, iter([body[i:i + 4096]
                                                            for i in range(0, len(body), 4096)])
        return int(q.get("status", 200)), headers, body


def cache_config(origin_url: str, spare_url: str, max_bytes: str = "64MiB") -> dict:
    cfg = base_config(
        upstreams={"origin": {"targets": [{"url": origin_url}]},
                   "spare": {"targets": [{"url": spare_url}]}},
        routes=[
            {"name": "items", "match": {"path": "/items/*", "methods": ["GET", "POST"]},
             "upstream": "origin", "cache": {"ttl": "30s"}},
            {"name": "short", "match": {"path": "/short/*"}, "upstream": "origin",
             "cache": {"ttl": "1s"}},
            {"name": "negotiated", "match": {"path": "/negotiated/*"}, "upstream": "origin",
             "cache": {"ttl": "30s", "vary": ["Accept"]}},
            {"name": "small", "match": {"path": "/small/*"}, "upstream": "origin",
             "cache": {"ttl": "30s", "max_body": "1KiB"}},
            {"name": "stale", "match": {"path": "/stale/*"}, "upstream": "spare",
             "cache": {"ttl": "1s", "stale_if_error": "5m"}},
            {"name": "plain", "match": {"path": "/plain/*"}, "upstream": "origin"},
            {"name": "explicit", "match": {"path": "/explicit/*"}, "upstream": "origin",
             "cache": {}},
        ],
        server={"workers": 2})
    cfg["cache"] = {"max_bytes": max_bytes}
    return cfg


class CacheTest(GatewayTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.origin = Origin()
        cls.addClassCleanup(cls.origin.up.stop)
        cls.spare = Origin()
        cls.addClassCleanup(cls.spare.up.stop)
        cls.gw = Gateway(cache_config(cls.origin.up.url, cls.spare.up.url))
        cls.addClassCleanup(cls.gw.stop)

    def get(self, path: str, headers=None, method: str = "GET"):
        return self.gw.request(method, path, headers)

    def assert_cache(self, resp, value: str) -> None:
        self.assertEqual(resp.header("x-cache"), value, resp)

    # -- hit and miss ------------------------------------------------------------------------
    def test_miss_then_hit_with_age(self) -> None:
        first = self.get("/items/a")
        self.assertEqual(first.status, 200, first)
        self.assert_cache(first, "MISS")
        second = self.get("/items/a")
        self.assert_cache(second, "HIT")
        self.assertEqual(second.body, first.body)
        self.assertEqual(second.header("content-type"), "text/plain")
        self.assertIsNotNone(second.header("age"))
        self.assertGreaterEqual(int(second.header("age")), 0)
        self.assertTrue(second.header("x-request-id"))
        self.assertNotEqual(second.header("x-request-id"), first.header("x-request-id"))
        self.assertEqual(self.origin.count("/items/a"), 1)

    def test_head_is_answered_from_the_get_entry(self) -> None:
        full = self.get("/items/head")
        head = self.get("/items/head", method="HEAD")
        self.assert_cache(head, "HIT")
        self.assertEqual(head.body, b"")
        self.assertEqual(int(head.header("content-length")), len(full.body))
        self.assertEqual(self.origin.count("/items/head"), 1)

    def test_query_parameter_order_makes_one_entry(self) -> None:
        self.assert_cache(self.get("/items/q?a=1&b=2"), "MISS")
        self.assert_cache(self.get("/items/q?b=2&a=1"), "HIT")
        self.assert_cache(self.get("/items/q?a=1&b=3"), "MISS")

    def test_entry_expires_after_ttl(self) -> None:
        self.assert_cache(self.get("/short/e"), "MISS")
        self.assert_cache(self.get("/short/e"), "HIT")
        time.sleep(1.2)
        again = self.get("/short/e")
        self.assert_cache(again, "MISS")
        self.assertIn(b"#2", again.body)
        self.assertEqual(self.origin.count("/short/e"), 2)

    def test_upstream_max_age_overrides_route_ttl(self) -> None:
        path = "/items/maxage?cc=max-age%3D1"
        self.assert_cache(self.get(path), "MISS")
        self.assert_cache(self.get(path), "HIT")
        time.sleep(1.2)
        self.assert_cache(self.get(path), "MISS")

    def test_without_ttl_only_upstream_freshness_counts(self) -> None:
        self.assert_not_stored("/explicit/silent")
        path = "/explicit/told?cc=max-age%3D60"
        self.assert_cache(self.get(path), "MISS")
        self.assert_cache(self.get(path), "HIT")

    def test_head_miss_goes_upstream_and_stores_nothing(self) -> None:
        r = self.get("/items/headfirst", method="HEAD")
        self.assertEqual(r.status, 200)
        self.assert_cache(r, "MISS")
        self.assert_cache(self.get("/items/headfirst"), "MISS")
        self.assert_cache(self.get("/items/headfirst", method="HEAD"), "HIT")

    def test_unsafe_methods_bypass(self) -> None:
        r = self.gw.request("POST", "/items/post", body=b"x")
        self.assert_cache(r, "BYPASS")
        r = self.gw.request("POST", "/items/post", body=b"x")
        self.assert_cache(r, "BYPASS")
        self.assertEqual(self.origin.count("/items/post"), 2)

    def test_route_without_cache_has_no_x_cache(self) -> None:
        r = self.get("/plain/x")
        self.assertEqual(r.status, 200)
        self.assertIsNone(r.header("x-cache"))

    # -- what is not stored ------------------------------------------------------------------
    def assert_not_stored(self, path: str) -> None:
        self.assert_cache(self.get(path), "MISS")
        self.assert_cache(self.get(path), "MISS")
        self.assertEqual(self.origin.count(path), 2, path)

    def test_no_store_private_cookie_and_errors_are_not_stored(self) -> None:
        self.assert_not_stored("/items/ns?cc=no-store")
        self.assert_not_stored("/items/pv?cc=private%2C%20max-age%3D60")
        self.assert_not_stored("/items/ck?cookie=1")
        self.assert_not_stored("/items/err?status=500")
        self.assert_not_stored("/items/star?vary=*")

    def test_404_is_stored(self) -> None:
        self.assert_cache(self.get("/items/gone?status=404"), "MISS")
        r = self.get("/items/gone?status=404")
        self.assertEqual(r.status, 404)
        self.assert_cache(r, "HIT")

    def test_client_no_store_bypasses_and_no_cache_goes_upstream(self) -> None:
        self.assert_cache(self.get("/items/cl"), "MISS")
        self.assert_cache(self.get("/items/cl", {"Cache-Control": "no-store"}), "BYPASS")
        r = self.get("/items/cl", {"Cache-Control": "no-cache"})
        self.assert_cache(r, "MISS")
        self.assertIn(b"#3", r.body)
        # The revalidated answer replaced the entry.
        self.assertIn(b"#3", self.get("/items/cl").body)

    def test_large_responses_stream_through_uncached(self) -> None:
        for path in ("/small/big?size=100000", "/small/bigc?size=100000&chunked=1"):
            for _ in range(2):
                r = self.get(path)
                self.assertEqual(r.status, 200)
                self.assertEqual(len(r.body), 100000)
                self.assert_cache(r, "MISS")
        self.assert_cache(self.get("/small/tiny?size=500"), "MISS")
        self.assert_cache(self.get("/small/tiny?size=500"), "HIT")

    # -- Vary --------------------------------------------------------------------------------
    def test_route_vary_header_is_part_of_the_key(self) -> None:
        self.assert_cache(self.get("/negotiated/v", {"Accept": "text/a"}), "MISS")
        self.assert_cache(self.get("/negotiated/v", {"Accept": "text/b"}), "MISS")
        self.assert_cache(self.get("/negotiated/v", {"Accept": "text/a"}), "HIT")
        self.assertEqual(self.origin.count("/negotiated/v"), 2)

    def test_upstream_vary_keeps_one_entry_per_variant(self) -> None:
        path = "/items/uv?vary=X-Lang"
        en = self.get(path, {"X-Lang": "en"})
        fr = self.get(path, {"X-Lang": "fr"})
        self.assert_cache(en, "MISS")
        self.assert_cache(fr, "MISS")
        en2 = self.get(path, {"X-Lang": "en"})
        fr2 = self.get(path, {"X-Lang": "fr"})
        self.assert_cache(en2, "HIT")
        self.assert_cache(fr2, "HIT")
        self.assertTrue(en2.body.endswith(b" en"), en2)
        self.assertTrue(fr2.body.endswith(b" fr"), fr2)
        self.assertEqual(self.origin.count(path), 2)

    # -- conditional requests ----------------------------------------------------------------
    def test_if_none_match_gets_304_from_the_cache(self) -> None:
        path = '/items/etag?etag=%22v1%22'
        self.assert_cache(self.get(path), "MISS")
        r = self.get(path, {"If-None-Match": '"v1"'})
        self.assertEqual(r.status, 304, r)
        self.assert_cache(r, "HIT")
        self.assertEqual(r.header("etag"), '"v1"')
        self.assertEqual(r.body, b"")
        r = self.get(path, {"If-None-Match": '"other"'})
        self.assertEqual(r.status, 200)
        self.assertEqual(self.origin.count(path), 1)

    def test_if_modified_since_gets_304_from_the_cache(self) -> None:
        lm = "Tue, 01 Jan 2030 00:00:00 GMT"
        path = "/items/lm?lm=" + urllib.parse.quote(lm)
        self.assert_cache(self.get(path), "MISS")
        r = self.get(path, {"If-Modified-Since": "Wed, 02 Jan 2030 00:00:00 GMT"})
        self.assertEqual(r.status, 304, r)
        r = self.get(path, {"If-Modified-Since": "Mon, 31 Dec 2029 00:00:00 GMT"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.origin.count(path), 1)

    def test_stale_entry_is_revalidated_with_its_etag(self) -> None:
        # no-cache: stored, but every use asks the upstream, which answers 304.
        path = '/items/reval?etag=%22r1%22&cc=no-cache'
        first = self.get(path)
        self.assert_cache(first, "MISS")
        self.origin.up.clear()
        second = self.get(path)
        self.assertEqual(second.status, 200)
        self.assert_cache(second, "REVALIDATED")
        self.assertEqual(second.body, first.body)
        seen = self.origin.up.wait_requests(1)
        self.assertEqual(seen[-1].header("if-none-match"), '"r1"')
        self.assertEqual(self.origin.count(path), 2)

    # -- collapsing --------------------------------------------------------------------------
    def test_concurrent_misses_make_one_upstream_call(self) -> None:
        path = "/items/collapse?sleep=0.5"
        with ThreadPoolExecutor(max_workers=100) as pool:
            results = list(pool.map(lambda _: self.get(path), range(100)))
        self.assertEqual([r.status for r in results], [200] * 100)
        self.assertEqual({r.body for r in results}, {b"/items/collapse #1 "})
        self.assertEqual(self.origin.count(path), 1)
        self.assertEqual(sum(r.header("x-cache") == "MISS" for r in results), 1)

    def test_followers_of_an_uncacheable_answer_go_upstream(self) -> None:
        path = "/items/nocollapse?sleep=0.3&cc=no-store"
        with ThreadPoolExecutor(max_workers=5) as pool:
            results = list(pool.map(lambda _: self.get(path), range(5)))
        self.assertEqual([r.status for r in results], [200] * 5)
        self.assertEqual(self.origin.count(path), 5)

    # -- stale-if-error ----------------------------------------------------------------------
    def test_stale_copy_stands_in_for_upstream_failure(self) -> None:
        first = self.get("/stale/s")
        self.assert_cache(first, "MISS")
        time.sleep(1.2)  # past the 1s ttl
        self.spare.failing = True
        try:
            r = self.get("/stale/s")
        finally:
            self.spare.failing = False
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, first.body)
        self.assert_cache(r, "STALE")
        self.assertIn("111", r.header("warning", ""))
        # Without a stale copy the failure shows.
        self.spare.failing = True
        try:
            self.assertEqual(self.get("/stale/never").status, 503)
        finally:
            self.spare.failing = False

    # -- admin -------------------------------------------------------------------------------
    def test_purge_by_route_prefix_and_all(self) -> None:
        for p in ("/items/p1/a", "/items/p2/a", "/short/p3"):
            self.assert_cache(self.get(p), "MISS")
            self.assert_cache(self.get(p), "HIT")
        r = self.gw.admin("DELETE", "/cache?prefix=/items/p1/")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"purged": 1})
        self.assert_cache(self.get("/items/p1/a"), "MISS")
        self.assert_cache(self.get("/items/p2/a"), "HIT")
        r = self.gw.admin("DELETE", "/cache?route=short")
        self.assertGreaterEqual(r.json()["purged"], 1)
        self.assert_cache(self.get("/short/p3"), "MISS")
        self.assert_cache(self.get("/items/p2/a"), "HIT")
        r = self.gw.admin("DELETE", "/cache")
        self.assertGreaterEqual(r.json()["purged"], 2)
        self.assert_cache(self.get("/items/p2/a"), "MISS")
        self.assertEqual(self.gw.admin("DELETE", "/cache?colour=red").status, 400)

    def test_metrics_count_hits_misses_and_bypasses(self) -> None:
        before = self.gw.metrics()
        self.get("/negotiated/m")
        self.get("/negotiated/m")
        self.get("/negotiated/m", {"Cache-Control": "no-store"})
        after = self.gw.metrics()
        for name, delta in (("gateway_cache_hits_total", 1), ("gateway_cache_misses_total", 1),
                            ("gateway_cache_bypass_total", 1)):
            self.assertEqual(after.value(name, route="negotiated") -
                             before.value(name, route="negotiated"), delta, name)
        self.assertGreater(after.value("gateway_cache_bytes"), 0)

    def test_reload_keeps_entries(self) -> None:
        self.assert_cache(self.get("/items/reload"), "MISS")
        self.gw.write_config(cache_config(self.origin.up.url, self.spare.up.url))
        self.assertEqual(self.gw.reload().status, 200)
        self.assert_cache(self.get("/items/reload"), "HIT")


if __name__ == "__main__":
    unittest.main()
