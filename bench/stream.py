#!/usr/bin/env python3
"""Streaming a large body through the gateway (issue 3: "streaming a 1 GiB body through the
gateway grows its RSS by < 16 MiB").

    bench/run.sh --scenarios stream          (part of the default full run)
    bench/stream.py --gateway build/gateway --gib 1 [--out FILE]

What runs, all on 127.0.0.1 and all stopped at the end:
- an upstream written here (a thread per connection) that reads and counts a request body,
  chunked or not, and serves GET /download?bytes=N as N bytes of Content-Length body;
- the gateway with one worker, access log off, limits raised for the size;
- a client that uploads --gib GiB chunked (256 KiB chunks) to /upload and then downloads as
  much from /download, checking the byte counts on both sides.
The gateway's peak RSS (VmHWM, reset through /proc/PID/clear_refs after a warm-up request) is
compared with its RSS after the warm-up. Prints one line per direction and the growth, and
appends a JSON line {"type": "stream", ...} to --out. Exit status 1 when a count is wrong or
the gateway fails; socket timeouts and a deadline of --max-seconds bound the run.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from soak import free_ports, proc_sample, wait_http  # noqa: E402

CHUNK = 256 * 1024
TIMEOUT = 30.0


def read_head(f) -> tuple[str, dict[str, str]]:
    line = f.readline(65536).decode("latin-1")
    headers = {}
    while True:
        h = f.readline(65536)
        if h in (b"\r\n", b"\n", b""):
            break
        name, _, value = h.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return line, headers


def discard(f, n: int, buf: memoryview) -> None:
    """Reads and drops exactly n bytes."""
    while n:
        k = f.readinto(buf[:min(n, len(buf))])
        if not k:
            raise ConnectionError(f"body cut short with {n} bytes to go")
        n -= k


def drain_body(f, headers: dict[str, str], buf: memoryview) -> int:
    """Reads and discards a request body; returns its length."""
    if headers.get("transfer-encoding", "").lower() != "chunked":
        n = int(headers.get("content-length", "0"))
        discard(f, n, buf)
        return n
    total = 0
    while True:
        size = int(f.readline(1024).split(b";")[0], 16)
        if size == 0:
            while f.readline(1024) not in (b"\r\n", b"\n", b""):
                pass
            return total
        discard(f, size, buf)
        total += size
        f.readline(16)


def serve(conn: socket.socket) -> None:
    conn.settimeout(TIMEOUT)
    buf = memoryview(bytearray(CHUNK))
    zeros = bytes(CHUNK)
    with conn, conn.makefile("rb", buffering=CHUNK) as f:
        while True:
            line, headers = read_head(f)
            if not line:
                return
            target = line.split(" ")[1] if " " in line else "/"
            got = drain_body(f, headers, buf)
            if target.startswith("/download"):
                n = int(target.partition("bytes=")[2] or "0")
                conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {n}\r\n"
                             "Content-Type: application/octet-stream\r\n\r\n".encode())
                while n:
                    k = min(n, CHUNK)
                    conn.sendall(zeros[:k])
                    n -= k
            else:
                body = json.dumps({"received": got}).encode()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(body), body))


def start_upstream(port: int) -> socket.socket:
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(64)

    def accept_loop() -> None:
        while True:
            try:
                c, _ = ls.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(c,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    return ls


def write_config(tmp: str, gw_port: int, up_port: int, size: int) -> str:
    path = os.path.join(tmp, "gateway.yaml")
    with open(path, "w") as f:
        f.write(f"""server:
  listen: "127.0.0.1:{gw_port}"
  workers: 1
  limits: {{ max_body_bytes: {size + (1 << 20)}, idle_timeout: 60s }}
log: {{ level: warn, access: off }}
upstreams:
  up:
    targets: [{{ url: "http://127.0.0.1:{up_port}" }}]
    timeouts: {{ connect: 1s, response: 60s }}
routes:
  - name: upload
    match: {{ path: /upload, methods: [POST] }}
    upstream: up
  - name: download
    match: {{ path: /download, methods: [GET] }}
    upstream: up
""")
    return path


def response(f) -> tuple[int, int, bytes]:
    """Status, body length and (for small bodies) the body; the large body is discarded."""
    line, headers = read_head(f)
    status = int(line.split(" ")[1])
    n = int(headers.get("content-length", "0"))
    if n <= 65536:
        return status, n, f.read(n)
    discard(f, n, memoryview(bytearray(1 << 20)))
    return status, n, b""


def upload(port: int, size: int) -> float:
    chunk = b"x" * CHUNK
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s, \
            s.makefile("rb") as f:
        s.sendall(b"POST /upload HTTP/1.1\r\nHost: bench\r\nTransfer-Encoding: chunked\r\n\r\n")
        frame = b"%x\r\n" % CHUNK + chunk + b"\r\n"
        for _ in range(size // CHUNK):
            s.sendall(frame)
        s.sendall(b"0\r\n\r\n")
        status, _, body = response(f)
    took = time.monotonic() - start
    if status != 200 or json.loads(body).get("received") != size:
        raise SystemExit(f"stream: upload answered {status} {body[:200]!r}, expected {size}")
    return took


def download(port: int, size: int) -> float:
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s, \
            s.makefile("rb") as f:
        s.sendall(f"GET /download?bytes={size} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
        status, n, _ = response(f)
    if status != 200 or n != size:
        raise SystemExit(f"stream: download answered {status} with {n} bytes, expected {size}")
    return time.monotonic() - start


def hwm_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--gateway", required=True)
    p.add_argument("--gib", type=float, default=1.0)
    p.add_argument("--out", default="")
    p.add_argument("--max-seconds", type=float, default=300)
    a = p.parse_args()
    size = int(a.gib * (1 << 30)) // CHUNK * CHUNK
    tmp = tempfile.mkdtemp(prefix="gateway-stream.")
    up_port, gw_port = free_ports(2)
    listener = start_upstream(up_port)
    gw = subprocess.Popen([a.gateway, "-c", write_config(tmp, gw_port, up_port, size)],
                          stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "gw.log"), "w"))
    # Bounded: the gateway is killed when the deadline passes, which fails the transfer.
    timer = threading.Timer(a.max_seconds, gw.kill)
    timer.start()
    try:
        wait_http(f"http://127.0.0.1:{gw_port}/download?bytes=10", gw)
        upload(gw_port, CHUNK)  # warm-up: buffers and the pooled connection exist
        before = proc_sample(gw.pid)["rss_kib"]
        with open(f"/proc/{gw.pid}/clear_refs", "w") as f:
            f.write("5")  # VmHWM := VmRSS, so the peak below is the transfer's
        up_s = upload(gw_port, size)
        down_s = download(gw_port, size)
        peak = hwm_kib(gw.pid)
        if gw.poll() is not None:
            raise SystemExit(f"stream: the gateway exited ({gw.returncode})")
    finally:
        timer.cancel()
        gw.terminate()
        try:
            gw.wait(5)
        except subprocess.TimeoutExpired:
            gw.kill()
        listener.close()
    mib = size / (1 << 20)
    rec = {"type": "stream", "proxy": "gateway", "bytes": size,
           "upload_mib_s": round(mib / up_s, 1), "download_mib_s": round(mib / down_s, 1),
           "rss_before_kib": before, "rss_peak_kib": peak, "growth_kib": max(0, peak - before),
           "ok": True}
    print(f"stream {mib:.0f} MiB: upload {rec['upload_mib_s']} MiB/s, download "
          f"{rec['download_mib_s']} MiB/s; gateway RSS {before / 1024:.1f} MiB before, peak "
          f"{peak / 1024:.1f} MiB (+{rec['growth_kib'] / 1024:.1f} MiB; target < 16 MiB)")
    if a.out:
        with open(a.out, "a") as f:
            f.write(json.dumps(rec, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
