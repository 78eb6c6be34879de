#!/usr/bin/env python3
"""Soak run of the gateway (issue 8): steady load for MINUTES while the config is reloaded every
few seconds and the upstream is restarted, to catch leaks of memory and descriptors.

    bench/run.sh --soak MINUTES [--workers N] [--gateway PATH] [--out FILE]
    (or directly: bench/soak.py --minutes M --gateway build/gateway --nginx PATH --wrk PATH)

What runs, all on 127.0.0.1 and all stopped at the end:
- an nginx upstream (/small: 200-byte JSON), killed and restarted on the same port every
  --restart-every seconds;
- the gateway with four routes (proxied, cached, rate limited, respond:), whose config file is
  rewritten (the respond body changes) and reloaded through POST /reload every --reload-every s;
- wrk with 64 connections rotating over the four paths for the whole run (bounded: -d, and a
  kill after MINUTES + 60 s).
Every --sample-every seconds it records the gateway's RSS, open descriptors and threads, and
/metrics request counts. At the end it prints RSS over time, descriptors at start and end (idle,
before and after the load), request and error counts, and writes JSON lines to --out.
Requests that fail while the upstream is down (502/503/504) are expected and counted apart;
a 4xx, a failed reload, a gateway that dies, or more open descriptors once idle after the load
than before it makes the exit status 1.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SMALL = json.dumps({"id": 1, "name": "soak item", "note": "x" * 150}, separators=(",", ":"))
WRK_LUA = r"""
local paths = {"/small", "/cached", "/limited", "/respond"}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
local codes = {}
response = function(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end
done = function(summary, latency, requests)
  io.write(string.format('WRKJSON {"requests":%d,"errors":{"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d},"p99_us":%d}\n', summary.requests,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout, latency:percentile(99)))
end
"""


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def http(method: str, url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_http(url: str, proc: subprocess.Popen, seconds: float = 10.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"soak: process for {url} exited ({proc.returncode})")
        try:
            if http("GET", url, 1.0)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"soak: {url} did not answer 200 within {seconds} s")


def proc_sample(pid: int) -> dict:
    out = {"rss_kib": 0, "fds": 0, "threads": 0}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                out["rss_kib"] = int(line.split()[1])
            elif line.startswith("Threads:"):
                out["threads"] = int(line.split()[1])
    out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    return out


def metric_sum(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of `name` whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        head, _, value = line.rpartition(" ")
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            total += float(value)
    return total


class Soak:
    def __init__(self, a: argparse.Namespace):
        self.a = a
        self.tmp = tempfile.mkdtemp(prefix="gateway-soak.")
        os.chmod(self.tmp, 0o755)
        self.up_port, self.gw_port, self.admin_port = free_ports(3)
        self.upstream: subprocess.Popen | None = None
        self.gateway: subprocess.Popen | None = None
        self.wrk: subprocess.Popen | None = None
        self.version = 0
        self.reloads = {"ok": 0, "failed": 0}
        self.restarts = 0
        self.samples: list[dict] = []
        self.out = open(a.out, "a")

    # -- processes ------------------------------------------------------------------------------
    def start_upstream(self) -> None:
        d = os.path.join(self.tmp, "upstream")
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""worker_processes 1; daemon off; pid {d}/nginx.pid;
error_log {d}/error.log warn; events {{ worker_connections 4096; }}
http {{ access_log off; client_body_temp_path {d}/b; proxy_temp_path {d}/p;
  fastcgi_temp_path {d}/f; uwsgi_temp_path {d}/u; scgi_temp_path {d}/s;
  keepalive_requests 1000000; default_type application/json;
  server {{ listen 127.0.0.1:{self.up_port} reuseport; location = /small {{ return 200 '{SMALL}'; }} }} }}
""")
        self.upstream = subprocess.Popen([self.a.nginx, "-p", d + "/", "-e", d + "/error.log",
                                          "-c", conf], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
        wait_http(f"http://127.0.0.1:{self.up_port}/small", self.upstream)

    def restart_upstream(self) -> None:
        assert self.upstream
        self.upstream.kill()  # SIGKILL of the master: its worker follows; open connections die
        self.upstream.wait(10)
        for _ in range(50):  # the worker may hold the port for a moment
            try:
                self.start_upstream()
                break
            except SystemExit:
                time.sleep(0.1)
        self.restarts += 1

    def write_config(self) -> None:
        self.version += 1
        cfg = f"""server:
  listen: "127.0.0.1:{self.gw_port}"
  workers: {self.a.workers}
  limits: {{ max_connections: 4096, idle_timeout: 60s }}
  drain_timeout: 1s
admin:
  listen: "127.0.0.1:{self.admin_port}"
log: {{ level: warn, access: off }}
upstreams:
  up:
    targets: [{{ url: "http://127.0.0.1:{self.up_port}" }}]
    timeouts: {{ connect: 1s, response: 5s }}
    # Idle upstream connections close soon, so the idle-after count of descriptors is
    # comparable with idle-before: any difference is a leak, not the pool.
    keepalive: {{ max_idle: 64, idle_timeout: 2s }}
routes:
  - name: small
    match: {{ path: /small, methods: [GET] }}
    upstream: up
  - name: cached
    match: {{ path: /cached, methods: [GET] }}
    upstream: up
    rewrite: {{ path: /small }}
    cache: {{ ttl: 1s }}
  - name: limited
    match: {{ path: /limited, methods: [GET] }}
    upstream: up
    rewrite: {{ path: /small }}
    rate_limit:
      - {{ key: ip, limit: 1000000000, window: 1s }}
  - name: respond
    match: {{ path: /respond, methods: [GET] }}
    respond: {{ status: 200, body: "config version {self.version}" }}
"""
        path = os.path.join(self.tmp, "gateway.yaml")
        with open(path + ".new", "w") as f:
            f.write(cfg)
        os.replace(path + ".new", path)  # never a half-written file for the gateway to read

    def start_gateway(self) -> None:
        self.write_config()
        self.gw_log = open(os.path.join(self.tmp, "gateway.log"), "w")
        self.gateway = subprocess.Popen([self.a.gateway, "-c",
                                         os.path.join(self.tmp, "gateway.yaml")],
                                        stdout=self.gw_log, stderr=subprocess.STDOUT)
        wait_http(f"http://127.0.0.1:{self.admin_port}/readyz", self.gateway)

    def start_wrk(self, seconds: int) -> None:
        lua = os.path.join(self.tmp, "soak.lua")
        with open(lua, "w") as f:
            f.write(WRK_LUA)
        self.wrk_out = open(os.path.join(self.tmp, "wrk.out"), "w")
        self.wrk = subprocess.Popen([self.a.wrk, "-t1", "-c64", f"-d{seconds}s", "--timeout", "5s",
                                     "--latency", "-s", lua, f"http://127.0.0.1:{self.gw_port}"],
                                    stdout=self.wrk_out, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        for p in (self.wrk, self.gateway, self.upstream):
            if p and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)

    # -- measuring ------------------------------------------------------------------------------
    def sample(self, phase: str, t0: float) -> dict:
        assert self.gateway
        s = proc_sample(self.gateway.pid)
        status, body = http("GET", f"http://127.0.0.1:{self.admin_port}/metrics")
        text = body.decode() if status == 200 else ""
        s.update(phase=phase, t_s=round(time.monotonic() - t0, 1),
                 requests=metric_sum(text, "gateway_requests_total"),
                 errors_5xx=metric_sum(text, "gateway_requests_total", status_class="5xx"),
                 errors_4xx=metric_sum(text, "gateway_requests_total", status_class="4xx"))
        self.samples.append(s)
        self.emit(dict(type="sample", **s))
        return s

    def emit(self, obj: dict) -> None:
        self.out.write(json.dumps(obj) + "\n")
        self.out.flush()

    def reload(self) -> None:
        self.write_config()
        status, body = http("POST", f"http://127.0.0.1:{self.admin_port}/reload", 10)
        self.reloads["ok" if status == 200 else "failed"] += 1
        if status != 200:
            print(f"soak: reload failed: {status} {body[:200]!r}", file=sys.stderr)

    # -- the run --------------------------------------------------------------------------------
    def run(self) -> int:
        seconds = max(10, int(self.a.minutes * 60))
        self.start_upstream()
        self.start_gateway()
        t0 = time.monotonic()
        idle_before = self.sample("idle-before", t0)
        self.start_wrk(seconds)
        end = time.monotonic() + seconds
        next_reload = time.monotonic() + self.a.reload_every
        next_restart = time.monotonic() + self.a.restart_every
        next_sample = time.monotonic() + self.a.sample_every
        while time.monotonic() < end and self.wrk and self.wrk.poll() is None:
            if self.gateway and self.gateway.poll() is not None:
                print(f"soak: the gateway exited ({self.gateway.returncode})", file=sys.stderr)
                break
            now = time.monotonic()
            if now >= next_reload:
                self.reload()
                next_reload = now + self.a.reload_every
            if now >= next_restart:
                self.restart_upstream()
                next_restart = now + self.a.restart_every
            if now >= next_sample:
                self.sample("load", t0)
                next_sample = now + self.a.sample_every
            time.sleep(0.2)
        assert self.wrk
        try:
            self.wrk.wait(max(5, end - time.monotonic() + 30))
        except subprocess.TimeoutExpired:
            self.wrk.kill()
            self.wrk.wait(5)
        gateway_alive = bool(self.gateway and self.gateway.poll() is None)
        if gateway_alive:
            time.sleep(4)  # wrk's connections close; idle upstream connections time out
            idle_after = self.sample("idle-after", t0)
        else:
            idle_after = None
        return self.report(idle_before, idle_after, gateway_alive)

    def report(self, before: dict, after: dict | None, alive: bool) -> int:
        self.wrk_out.flush()
        wrk = {}
        with open(self.wrk_out.name) as f:
            for line in f:
                if line.startswith("WRKJSON "):
                    wrk = json.loads(line[8:])
        load = [s for s in self.samples if s["phase"] == "load"]
        print(f"{'t s':>7} {'phase':<12} {'RSS MiB':>8} {'fds':>5} {'threads':>7} "
              f"{'requests':>10} {'5xx':>7}")
        for s in self.samples:
            print(f"{s['t_s']:>7} {s['phase']:<12} {s['rss_kib'] / 1024:>8.1f} {s['fds']:>5} "
                  f"{s['threads']:>7} {int(s['requests']):>10} {int(s['errors_5xx']):>7}")
        summary = {"type": "soak", "minutes": self.a.minutes, "workers": self.a.workers,
                   "gateway_alive": alive, "reloads": self.reloads,
                   "upstream_restarts": self.restarts, "wrk": wrk,
                   "idle_before": before, "idle_after": after,
                   "first_load": load[0] if load else None, "last_load": load[-1] if load else None}
        self.emit(summary)
        last = after if after else (load[-1] if load else before)
        bad_4xx = last["errors_4xx"] - before["errors_4xx"]
        print(f"\nreloads ok {self.reloads['ok']}, failed {self.reloads['failed']}; "
              f"upstream restarts {self.restarts}; wrk requests {wrk.get('requests')}, "
              f"socket errors {wrk.get('errors')}")
        if load:
            print(f"RSS under load: first sample {load[0]['rss_kib'] / 1024:.1f} MiB, last "
                  f"{load[-1]['rss_kib'] / 1024:.1f} MiB")
        if after:
            print(f"idle before load: RSS {before['rss_kib'] / 1024:.1f} MiB, fds {before['fds']}; "
                  f"idle after load: RSS {after['rss_kib'] / 1024:.1f} MiB, fds {after['fds']}")
        fd_leak = after is not None and after["fds"] > before["fds"]
        ok = alive and self.reloads["failed"] == 0 and bad_4xx == 0 and not fd_leak
        print("soak:", "ok" if ok else "FAILED (gateway died, a reload failed, 4xx answers, "
              "or more descriptors idle after the load than before)")
        return 0 if ok else 1


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, required=True)
    p.add_argument("--gateway", required=True)
    p.add_argument("--nginx", default="nginx")
    p.add_argument("--wrk", default="wrk")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--reload-every", type=float, default=5.0)
    p.add_argument("--restart-every", type=float, default=30.0)
    p.add_argument("--sample-every", type=float, default=10.0)
    p.add_argument("--out", default=f"bench/soak-{time.strftime('%Y%m%d-%H%M%S')}.jsonl")
    a = p.parse_args()
    soak = Soak(a)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(124))
    try:
        return soak.run()
    finally:
        soak.stop()
        print(f"soak: logs in {soak.tmp}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
