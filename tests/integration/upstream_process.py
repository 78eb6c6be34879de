"""A test upstream in its own process, so a test can kill it (every connection dies with it)
and start it again on the same port.

Run: python3 upstream_process.py NAME [PORT]; it prints "listening PORT" once bound.
- GET /__count          -> {"requests": N, "health": H}  (not counted)
- GET /__mode?status=503&delay=0.2&health=500&retry_after=1  -> sets how it answers
                          (not counted; retry_after goes with answers other than 200)
- GET /healthz          -> the health status (200 unless set), counted in H
- anything else         -> the status set (200), after the delay set, with
                           {"name": NAME, "method": ..., "path": ..., "body_length": ...}
Standard library only.
"""

from __future__ import annotations

import http.server
import json
import sys
import threading
import time
import urllib.parse


class State:
    lock = threading.Lock()
    requests = 0
    health = 0
    status = 200
    delay = 0.0
    health_status = 200
    retry_after = ""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    name = "?"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _reply(self, status: int, body: dict, retry_after: str = "") -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        if retry_after:
            self.send_header("Retry-After", retry_after)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _handle(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if url.path == "/__count":
            with State.lock:
                return self._reply(200, {"requests": State.requests, "health": State.health})
        if url.path == "/__mode":
            q = dict(urllib.parse.parse_qsl(url.query))
            with State.lock:
                State.status = int(q.get("status", State.status))
                State.delay = float(q.get("delay", State.delay))
                State.health_status = int(q.get("health", State.health_status))
                State.retry_after = q.get("retry_after", State.retry_after)
            return self._reply(200, {"ok": True})
        if url.path == "/healthz":
            with State.lock:
                State.health += 1
                status = State.health_status
            return self._reply(status, {"name": self.name})
        with State.lock:
            State.requests += 1
            status, delay, retry_after = State.status, State.delay, State.retry_after
        if delay:
            time.sleep(delay)
        self._reply(status, {"name": self.name, "method": self.command, "path": self.path,
                             "body_length": len(body)}, retry_after if status != 200 else "")

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = _handle


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main() -> None:
    Handler.name = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    server = Server(("127.0.0.1", port), Handler)
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    main()
