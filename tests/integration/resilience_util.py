"""Helpers for the resilience tests: upstream processes that can be killed and restarted,
and a gateway config with one balanced upstream."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import unittest
import urllib.parse
from typing import Any

from tests.integration.harness import (HOST, Gateway, base_config, http_request, request_on,
                                      wait_for)

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "upstream_process.py")


class UpstreamProcess:
    """tests/integration/upstream_process.py in its own process (see there for its API)."""

    def __init__(self, name: str, port: int = 0):
        self.name = name
        self.port = port
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, SCRIPT, self.name, str(self.port)],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("listening "):
            self.kill()
            raise AssertionError(f"upstream {self.name} did not start: {line!r}")
        self.port = int(line.split()[1])

    def kill(self) -> None:
        """SIGKILL: the port closes and every open connection dies with the process."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        if self.proc:
            self.proc.wait(timeout=10)
            if self.proc.stdout:
                self.proc.stdout.close()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def _get(self, path: str) -> dict:
        r = http_request(self.port, "GET", path, timeout=5)
        if r.status != 200:
            raise AssertionError(f"{self.name} {path}: {r.status}")
        return r.json()

    def count(self) -> int:
        return self._get("/__count")["requests"]

    def health_count(self) -> int:
        return self._get("/__count")["health"]

    def mode(self, **kw: Any) -> None:
        self._get("/__mode?" + urllib.parse.urlencode(kw))


class ResilienceCase(unittest.TestCase):
    maxDiff = 4000

    def upstream(self, name: str) -> UpstreamProcess:
        up = UpstreamProcess(name)
        self.addCleanup(up.kill)
        return up

    def gateway(self, upstreams: list[UpstreamProcess], workers: int = 2,
                weights: list[int] | None = None, **upstream_keys: Any) -> Gateway:
        targets = []
        for i, up in enumerate(upstreams):
            t: dict = {"url": up.url}
            if weights:
                t["weight"] = weights[i]
            targets.append(t)
        cfg = base_config(
            upstreams={"svc": dict(targets=targets, timeouts={"connect": "1s",
                                                               "response": "5s"},
                                   **upstream_keys)},
            routes=[{"name": "svc", "match": {"path": "/svc/*"}, "upstream": "svc"}],
            server={"workers": workers}, log={"access": "off"})
        gw = Gateway(cfg)
        self.addCleanup(gw.stop)
        return gw

    @staticmethod
    def names(gw: Gateway, n: int, method: str = "GET", body: bytes | None = None) -> list:
        """n requests on one kept-alive connection; for each, the answering upstream's name,
        or the status when it was not 200."""
        out = []
        assert gw.port is not None
        conn = http.client.HTTPConnection(HOST, gw.port, timeout=10)
        try:
            for _ in range(n):
                r = request_on(conn, method, "/svc/x", body=body)
                out.append(r.json()["name"] if r.status == 200 else r.status)
        finally:
            conn.close()
        return out

    def target_metric(self, gw: Gateway, name: str, up: UpstreamProcess) -> float:
        found = gw.metrics().find(name, upstream="svc", target=up.url)
        self.assertEqual(len(found), 1, f"{name} for {up.url}")
        return found[0][1]

    def wait_target_metric(self, gw: Gateway, name: str, up: UpstreamProcess, want: float,
                           timeout: float = 10.0) -> None:
        wait_for(lambda: self.target_metric(gw, name, up) == want, timeout, 0.05,
                 f"{name}{{target={up.url}}} == {want}")


def parallel(fn: Any, threads: int) -> list:
    """Runs fn(i) in `threads` threads; returns their results (exceptions re-raised)."""
    results: list = [None] * threads
    errors: list = []

    def run(i: int) -> None:
        try:
            results[i] = fn(i)
        except BaseException as e:  # noqa: BLE001 - re-raised below
            errors.append(e)

    ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=120)
    if errors:
        raise errors[0]
    return results


def readyz_targets(gw: Gateway) -> dict:
    r = gw.admin("GET", "/readyz")
    return {t["target"]: t for t in json.loads(r.text)["upstreams"]["svc"]}
