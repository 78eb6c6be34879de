#!/usr/bin/env python3
"""Small helpers for bench/run.sh (python3 standard library only).

Subcommands:
  ports N                      print N distinct free TCP ports on 127.0.0.1
  wait-http URL [options]      poll URL until it answers 200 (exit 1 on timeout or pid death)
  idle-conns PORT N READY      open N keep-alive connections, one request each, hold them open
  ticks PID                    utime+stime clock ticks of PID and all its descendants
  mem PID hwm|rss              VmHWM or VmRSS in KiB, summed over PID and its descendants
  redis-calls PORT             EVALSHA calls served so far by the redis-server on PORT
  record [options]             turn one wrk run (our lua done() line) into a JSON result line
  jwt SECRET [options]         print an HS256 JWT signed with SECRET (for the jwt scenario)
"""
import argparse
import json
import os
import re
import sys
import time


def cmd_ports(a):
    import socket
    socks = []
    for _ in range(a.n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    print(" ".join(str(s.getsockname()[1]) for s in socks))
    for s in socks:
        s.close()


def alive(pid):
    if not pid:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except OSError:
        return False


def cmd_wait_http(a):
    """Retry GET URL until it answers 200 (and, with --expect-len, that many body bytes)."""
    import http.client
    import ssl
    from urllib.parse import urlsplit
    u = urlsplit(a.url)
    deadline = time.monotonic() + a.timeout
    last = "no attempt"
    while time.monotonic() < deadline:
        if not alive(a.pid):
            print(f"wait-http: process {a.pid} exited before {a.url} answered", file=sys.stderr)
            return 1
        try:
            if u.scheme == "https":
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                c = http.client.HTTPSConnection(u.hostname, u.port, timeout=2, context=ctx)
            else:
                c = http.client.HTTPConnection(u.hostname, u.port, timeout=2)
            headers = dict(h.split(": ", 1) for h in a.header)
            c.request("GET", u.path or "/", headers=headers)
            r = c.getresponse()
            body = r.read()
            c.close()
            if r.status == 200 and (a.expect_len is None or len(body) == a.expect_len):
                return 0
            last = f"status {r.status}, {len(body)} body bytes"
            if r.status != 503:  # 503: not ready yet, keep waiting; anything else is final
                break
        except (OSError, http.client.HTTPException) as e:
            last = str(e) or type(e).__name__
        time.sleep(0.05)
    print(f"wait-http: {a.url}: {last}", file=sys.stderr)
    return 1


def cmd_jwt(a):
    """An HS256 token (RFC 7519) made with the standard library's HMAC: no network, no key
    files; the gateway checks it with OpenSSL."""
    import base64
    import hashlib
    import hmac

    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    def part(obj):
        return b64(json.dumps(obj, separators=(",", ":")).encode())
    now = int(time.time())
    claims = {"iss": a.iss, "aud": a.aud, "sub": a.sub, "iat": now, "exp": now + a.ttl,
              "scope": "bench:read"}
    signing_input = part({"alg": "HS256", "typ": "JWT"}) + "." + part(claims)
    sig = hmac.new(a.secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    print(signing_input + "." + b64(sig))


def read_response(s, buf=b""):
    """Read one HTTP/1.1 response with Content-Length from socket s; return the status code."""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed before response head")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed inside body")
        rest += chunk
    return status


def cmd_idle_conns(a):
    """Open N connections, send one keep-alive request on each, read the answers, then write
    READY (a file) and hold every socket open until SIGTERM."""
    import resource
    import signal
    import socket
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = a.n + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(want, soft)), hard))
    req = f"GET {a.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    socks = []
    bad = 0
    for _ in range(a.n):
        s = socket.create_connection(("127.0.0.1", a.port), timeout=10)
        s.sendall(req)
        socks.append(s)
    for s in socks:
        try:
            if read_response(s) != 200:
                bad += 1
        except OSError:
            bad += 1
    with open(a.ready + ".tmp", "w") as f:
        f.write(f"{len(socks)} {bad}\n")
    os.rename(a.ready + ".tmp", a.ready)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    deadline = time.monotonic() + a.hold
    while time.monotonic() < deadline:
        time.sleep(0.2)
    return 0


def tree(pid):
    """pid and all its descendants (nginx: master and workers)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(d))
        except (OSError, ValueError, IndexError):
            pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cmd_ticks(a):
    total = 0
    for p in tree(a.pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            # after "(comm)": state=0 ... utime=11 stime=12 (fields 14 and 15 of proc(5))
            # process-wide: they include every thread, live or exited
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    print(total)


def cmd_redis_calls(a):
    """EVALSHA calls a redis-server has served so far (INFO commandstats), 0 if none."""
    import socket
    with socket.create_connection(("127.0.0.1", a.port), timeout=5) as s:
        s.sendall(b"*2\r\n$4\r\nINFO\r\n$12\r\ncommandstats\r\n")
        data = b""
        while True:  # one bulk string: "$<length>\r\n<bytes>\r\n"
            head = data.find(b"\r\n")
            if head > 0 and len(data) >= head + 2 + int(data[1:head]) + 2:
                break
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    m = re.search(rb"cmdstat_evalsha:calls=(\d+)", data)
    print(int(m.group(1)) if m else 0)


def cmd_mem(a):
    key = "VmHWM:" if a.kind == "hwm" else "VmRSS:"
    total = 0
    for p in tree(a.pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith(key):
                        total += int(line.split()[1])
        except OSError:
            pass
    print(total)


def cmd_record(a):
    wrk = None
    with open(a.wrk_out, errors="replace") as f:
        for line in f:
            if line.startswith("WRKJSON "):
                wrk = json.loads(line[len("WRKJSON "):])
    rec = {"type": "run", "scenario": a.scenario, "proxy": a.proxy, "round": a.round,
           "duration_s": a.duration, "connections": a.connections}
    if wrk is None:
        rec.update(ok=False, error=f"no wrk result (exit {a.wrk_rc})")
    else:
        n = wrk["requests"]
        secs = wrk["duration_us"] / 1e6
        ticks = a.ticks_after - a.ticks_before
        e = wrk["errors"]
        rec.update(
            rps=round(n / secs, 1) if secs > 0 else 0.0,
            p50_us=wrk["latency_us"]["p50"], p90_us=wrk["latency_us"]["p90"],
            p99_us=wrk["latency_us"]["p99"], p999_us=wrk["latency_us"]["p999"],
            cpu_us_per_req=round(ticks / a.clk_tck * 1e6 / n, 2) if n else None,
            cpu_ticks=ticks, clk_tck=a.clk_tck, rss_peak_kib=a.hwm_kib,
            requests=n, errors=e, wrk_rc=a.wrk_rc)
        if a.redis_ticks_after is not None and n:
            # the redis-server behind a `store: redis` route: its CPU is part of each request's,
            # and requests per EVALSHA show how well decisions are batched
            redis = a.redis_ticks_after - a.redis_ticks_before
            rec["redis_cpu_us_per_req"] = round(redis / a.clk_tck * 1e6 / n, 2)
            calls = a.redis_calls_after - a.redis_calls_before
            rec["requests_per_evalsha"] = round(n / calls, 2) if calls else None
        problems = []
        if n == 0:
            problems.append("no requests completed")
        if e["status"]:
            problems.append(f"{e['status']} non-2xx/3xx answers")
        if e["connect"]:
            problems.append(f"{e['connect']} connect errors")
        if e["timeout"]:
            problems.append(f"{e['timeout']} timeouts")
        # with keep-alive a read/write error means a broken connection; with Connection: close
        # wrk may count the server's close as a read error, so only large counts matter there
        rw = e["read"] + e["write"]
        if rw and (a.scenario != "newconn" or rw > n // 100):
            problems.append(f"{rw} read/write errors")
        rec["ok"] = not problems
        if problems:
            rec["error"] = "; ".join(problems)
    print(json.dumps(rec, separators=(",", ":")))
    if rec["ok"]:
        print(f"{rec['rps']:,.0f} req/s  p50 {rec['p50_us'] / 1000:.2f} ms  "
              f"p99 {rec['p99_us'] / 1000:.2f} ms  {rec['cpu_us_per_req']} CPU us/req  "
              f"peak RSS {rec['rss_peak_kib'] / 1024:.1f} MiB"
              + (f"  redis {rec['redis_cpu_us_per_req']} CPU us/req, "
                 f"{rec['requests_per_evalsha']} req/EVALSHA"
                 if "redis_cpu_us_per_req" in rec else ""), file=sys.stderr)
    else:
        print(rec["error"], file=sys.stderr)
    return 0 if rec["ok"] else 1


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("ports"); s.add_argument("n", type=int); s.set_defaults(f=cmd_ports)
    s = sub.add_parser("wait-http"); s.add_argument("url")
    s.add_argument("--timeout", type=float, default=10); s.add_argument("--pid", type=int)
    s.add_argument("--expect-len", type=int)
    s.add_argument("--header", action="append", default=[], help="'Name: value', repeatable")
    s.set_defaults(f=cmd_wait_http)
    s = sub.add_parser("jwt"); s.add_argument("secret")
    s.add_argument("--iss", required=True); s.add_argument("--aud", required=True)
    s.add_argument("--sub", required=True); s.add_argument("--ttl", type=int, default=86400)
    s.set_defaults(f=cmd_jwt)
    s = sub.add_parser("idle-conns"); s.add_argument("port", type=int)
    s.add_argument("n", type=int); s.add_argument("ready")
    s.add_argument("--path", default="/small"); s.add_argument("--hold", type=float, default=120)
    s.set_defaults(f=cmd_idle_conns)
    s = sub.add_parser("ticks"); s.add_argument("pid", type=int); s.set_defaults(f=cmd_ticks)
    s = sub.add_parser("mem"); s.add_argument("pid", type=int)
    s.add_argument("kind", choices=["hwm", "rss"]); s.set_defaults(f=cmd_mem)
    s = sub.add_parser("record")
    for k in ("scenario", "proxy", "wrk-out"):
        s.add_argument("--" + k, required=True)
    for k in ("round", "duration", "connections", "ticks-before", "ticks-after", "clk-tck",
              "hwm-kib", "wrk-rc"):
        s.add_argument("--" + k, type=int, required=True)
    s.add_argument("--redis-ticks-before", type=int)
    s.add_argument("--redis-ticks-after", type=int)
    s.add_argument("--redis-calls-before", type=int)
    s.add_argument("--redis-calls-after", type=int)
    s.set_defaults(f=cmd_record)
    s = sub.add_parser("redis-calls"); s.add_argument("port", type=int)
    s.set_defaults(f=cmd_redis_calls)
    a = p.parse_args()
    sys.exit(a.f(a) or 0)


if __name__ == "__main__":
    main()
