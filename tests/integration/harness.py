"""Integration test harness: runs the real gateway binary against real local upstreams.

Everything listens on 127.0.0.1 with ephemeral ports. Every wait is bounded in time (and every
loop in count), so a broken gateway fails a test instead of hanging the suite. Processes,
servers and temp files are always cleaned up: `Gateway` and `Upstream` are context managers, and
a last-resort atexit hook kills any gateway still running.

Python 3.11 standard library only.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import http.client
import http.server
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from typing import Any, Callable, Iterable

HOST = "127.0.0.1"
DEFAULT_BIN = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "build", "gateway")
READY_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


def gateway_bin() -> str:
    """The binary under test (env GATEWAY_BIN); skips the test when it does not exist."""
    path = os.environ.get("GATEWAY_BIN", DEFAULT_BIN)
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise unittest.SkipTest(f"gateway binary not found: {path} (set GATEWAY_BIN)")
    return path


# A sanitizer build (README "Hardening") reports to stderr; the gateway may still answer every
# request (LeakSanitizer reports only at exit), so its stderr is checked when it stops.
_SANITIZER_REPORT = re.compile(r"ERROR: \w+Sanitizer|WARNING: ThreadSanitizer|"
                               r"SUMMARY: \w+Sanitizer|: runtime error: ")


def sanitizer_report(stderr: str) -> str | None:
    """The sanitizer report in a gateway's stderr (from its first line on), or None."""
    m = _SANITIZER_REPORT.search(stderr)
    if m is None:
        return None
    start = stderr.rfind("\n", 0, m.start()) + 1
    return stderr[start:start + 6000]


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02,
             what: str = "condition") -> Any:
    """Polls predicate until it returns a truthy value; raises AssertionError after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def free_port_closed() -> int:
    """A port that was bound and then closed: connecting to it is refused."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ------------------------------------------------------------------------------------------
# YAML: a small emitter for the config dicts the tests build (block style, JSON-quoted strings).

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


def _yaml_scalar(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a valid YAML double-quoted scalar
    raise TypeError(f"cannot emit {type(v).__name__} as YAML")


def _yaml_key(k: Any) -> str:
    k = str(k)
    return k if _PLAIN_KEY.match(k) else json.dumps(k)


def _emit(v: Any, indent: int, out: list[str], prefix: str) -> None:
    """Emits v; prefix is what precedes it on its first line ("key:" or "- ")."""
    pad = " " * indent
    if isinstance(v, dict):
        if not v:
            out.append(f"{pad}{prefix} {{}}" if prefix else f"{pad}{{}}")
            return
        if prefix.endswith(":"):
            out.append(f"{pad}{prefix}")
            for k, item in v.items():
                _emit(item, indent + 2, out, _yaml_key(k) + ":")
            return
        first = True
        for k, item in v.items():
            if first and prefix == "- ":
                lines: list[str] = []
                _emit(item, indent + 2, lines, _yaml_key(k) + ":")
                lines[0] = f"{pad}- " + lines[0][indent + 2:]
                out.extend(lines)
            else:
                _emit(item, indent + 2 if prefix == "- " else indent, out, _yaml_key(k) + ":")
            first = False
        return
    if isinstance(v, (list, tuple)):
        if not v:
            out.append(f"{pad}{prefix} []" if prefix else f"{pad}[]")
            return
        if prefix:
            out.append(f"{pad}{prefix}")
        for item in v:
            _emit(item, indent + 2 if prefix else indent, out, "- ")
        return
    scalar = _yaml_scalar(v)
    if prefix == "- ":
        out.append(f"{pad}- {scalar}")
    elif prefix:
        out.append(f"{pad}{prefix} {scalar}")
    else:
        out.append(f"{pad}{scalar}")


def to_yaml(cfg: dict) -> str:
    out: list[str] = []
    for k, v in cfg.items():
        _emit(v, 0, out, _yaml_key(k) + ":")
    return "\n".join(out) + "\n"


def upstream_url(port: int, scheme: str = "http") -> str:
    return f"{scheme}://{HOST}:{port}"


def base_config(upstreams: dict | None = None, routes: list | None = None,
                server: dict | None = None, admin: dict | None = None,
                log: dict | None = None) -> dict:
    """A config dict with ephemeral listeners; sections are merged over the defaults."""
    cfg: dict = {
        "server": {"listen": f"{HOST}:0"},
        "admin": {"listen": f"{HOST}:0"},
        "log": {"level": "info", "access": "stdout"},
        "upstreams": upstreams or {},
        "routes": routes or [],
    }
    cfg["server"].update(server or {})
    cfg["admin"].update(admin or {})
    cfg["log"].update(log or {})
    return cfg


# ------------------------------------------------------------------------------------------
# Responses as the client saw them.

class _Headers:
    """Case-insensitive look-ups over self.headers, a list of (name, value) pairs."""

    headers: list[tuple[str, str]]

    def header(self, name: str, default: str | None = None) -> str | None:
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def has_header(self, name: str) -> bool:
        return bool(self.header_all(name))


class Response(_Headers):
    def __init__(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes,
                 version: str = "HTTP/1.1"):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.version = version

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def __repr__(self) -> str:
        return (f"<Response {self.status} {self.reason} headers={self.headers!r} "
                f"body={self.body[:300]!r}>")


def http_request(port: int, method: str = "GET", path: str = "/",
                 headers: dict | list | None = None, body: bytes | str | Iterable | None = None,
                 timeout: float = 10.0, host: str = HOST, context: ssl.SSLContext | None = None,
                 encode_chunked: bool = False) -> Response:
    """One request on a fresh connection through http.client."""
    if context is not None:
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        return request_on(conn, method, path, headers, body, encode_chunked)
    finally:
        conn.close()


def request_on(conn: http.client.HTTPConnection, method: str, path: str,
               headers: dict | list | None = None, body: Any = None,
               encode_chunked: bool = False) -> Response:
    """One request on an existing (possibly kept-alive) http.client connection."""
    hdrs = dict(headers or {}) if not isinstance(headers, list) else headers
    if isinstance(body, str):
        body = body.encode()
    if isinstance(hdrs, list):
        conn.putrequest(method, path, skip_accept_encoding=True,
                        skip_host=any(k.lower() == "host" for k, _ in hdrs))
        for k, v in hdrs:
            conn.putheader(k, v)
        if body is not None and not any(k.lower() == "content-length" for k, _ in hdrs):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
    else:
        conn.request(method, path, body=body, headers=hdrs, encode_chunked=encode_chunked)
    r = conn.getresponse()
    data = r.read()
    return Response(r.status, r.reason, list(r.getheaders()), data,
                    "HTTP/1.1" if r.version == 11 else "HTTP/1.0")


# ------------------------------------------------------------------------------------------
# Raw sockets: for requests http.client refuses to send, pipelining and timing behaviour.

class ConnectionClosed(Exception):
    pass


class RawConnection:
    """A client socket with a read buffer and a small, strict HTTP/1.x response parser."""

    def __init__(self, port: int, timeout: float = 5.0, host: str = HOST,
                 context: ssl.SSLContext | None = None, server_hostname: str | None = None):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        if context is not None:
            self.sock = context.wrap_socket(self.sock, server_hostname=server_hostname or host)
        self.timeout = timeout
        self.buf = b""

    def __enter__(self) -> "RawConnection":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def _recv_more(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("read deadline passed")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError) as e:
            raise ConnectionClosed(f"connection reset: {e}") from e
        except ssl.SSLError as e:
            raise ConnectionClosed(f"TLS error: {e}") from e
        if not chunk:
            raise ConnectionClosed("connection closed by peer")
        self.buf += chunk

    def _read_line(self, deadline: float, limit: int = 1 << 20) -> bytes:
        while b"\r\n" not in self.buf:
            if len(self.buf) > limit:
                raise AssertionError("line too long in response")
            self._recv_more(deadline)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _read_exact(self, n: int, deadline: float, sink: list[bytes] | None) -> int:
        got = 0
        while got < n:
            if not self.buf:
                self._recv_more(deadline)
            take = self.buf[: n - got]
            self.buf = self.buf[len(take):]
            got += len(take)
            if sink is not None:
                sink.append(take)
        return got

    def read_head(self, timeout: float | None = None) -> Response:
        """Reads a status line and headers (no body)."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        status_line = self._read_line(deadline).decode("latin-1")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise AssertionError(f"bad status line: {status_line!r}")
        headers: list[tuple[str, str]] = []
        for _ in range(1000):
            line = self._read_line(deadline)
            if not line:
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers.append((k.strip(), v.strip()))
        return Response(int(parts[1]), parts[2] if len(parts) > 2 else "", headers, b"",
                        parts[0])

    def read_response(self, method: str = "GET", timeout: float | None = None,
                      keep_body: bool = True, skip_interim: bool = True) -> Response:
        """Reads one complete response; 1xx interim responses are skipped unless asked."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        for _ in range(10):
            resp = self.read_head(max(0.001, deadline - time.monotonic()))
            if not (100 <= resp.status < 200 and skip_interim and resp.status != 101):
                break
        sink: list[bytes] | None = [] if keep_body else None
        size = self.read_body(resp, method, deadline, sink)
        resp.body = b"".join(sink) if sink is not None else b""
        resp.body_len = size  # type: ignore[attr-defined]
        return resp

    def read_body(self, resp: Response, method: str, deadline: float,
                  sink: list[bytes] | None) -> int:
        if method == "HEAD" or resp.status in (204, 304) or 100 <= resp.status < 200:
            return 0
        te = (resp.header("transfer-encoding") or "").lower()
        if "chunked" in te:
            total = 0
            for _ in range(10_000_000):
                size_line = self._read_line(deadline).split(b";")[0].strip()
                size = int(size_line, 16)
                if size == 0:
                    for _ in range(1000):  # trailers
                        if not self._read_line(deadline):
                            break
                    return total
                total += self._read_exact(size, deadline, sink)
                if self._read_line(deadline) != b"":
                    raise AssertionError("chunk not followed by CRLF")
            raise AssertionError("too many chunks")
        cl = resp.header("content-length")
        if cl is not None:
            return self._read_exact(int(cl), deadline, sink)
        # Delimited by close: what is already buffered is the start of the body.
        total = 0
        while True:
            total += len(self.buf)
            if sink is not None:
                sink.append(self.buf)
            self.buf = b""
            try:
                self._recv_more(deadline)
            except ConnectionClosed:
                break
        return total

    def wait_closed(self, timeout: float) -> float | None:
        """Reads (discarding) until the peer closes; returns seconds waited, None on timeout."""
        start = time.monotonic()
        deadline = start + timeout
        while True:
            try:
                self._recv_more(deadline)
                self.buf = b""
            except ConnectionClosed:
                return time.monotonic() - start
            except (socket.timeout, TimeoutError):
                return None
            except OSError:
                return time.monotonic() - start


def raw_request(port: int, data: bytes | str, method: str = "GET",
                timeout: float = 5.0) -> Response:
    """Sends raw bytes on a fresh connection and reads one response."""
    with RawConnection(port, timeout=timeout) as c:
        c.send(data)
        return c.read_response(method=method)


# ------------------------------------------------------------------------------------------
# The upstream: a threaded HTTP/1.1 server recording what it saw.

class SeenRequest(_Headers):
    """One request as the upstream received it."""

    def __init__(self, method: str, target: str, version: str, headers: list[tuple[str, str]],
                 peer: tuple[str, int]):
        self.method = method
        self.path = target  # path + query, as received
        self.version = version
        self.headers = headers
        self.peer = peer
        self.body: bytes | None = None
        self.body_complete = False
        self.body_stream: Iterable[bytes] | None = None  # when the upstream does not read bodies
        self.time = time.monotonic()

    def json_echo(self) -> dict:
        return {
            "method": self.method,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers},
            "body": (self.body or b"").decode("latin-1"),
            "body_len": len(self.body or b""),
        }

    def __repr__(self) -> str:
        return f"<SeenRequest {self.method} {self.path} headers={self.headers!r}>"


# A handler returns (status, headers, body) or None when it wrote the response itself through
# req.handler. headers: dict or list of pairs; body: bytes, str, dict/list (JSON) or an iterable
# of bytes (sent chunked unless a Content-Length header is given).
Reply = tuple


def echo_handler(req: SeenRequest) -> Reply:
    return 200, {"Content-Type": "application/json"}, req.json_echo()


class _UpstreamHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    # Headers and body go out in separate writes; with Nagle on, the body waits for the
    # gateway's delayed ACK (~40 ms a response), which only measures the test upstream.
    disable_nagle_algorithm = True
    server: "_UpstreamServer"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _body_iter(self) -> Iterable[bytes]:
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ConnectionError("eof in chunk size")
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    while True:
                        t = self.rfile.readline(65537)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    return
                left = size
                while left:
                    data = self.rfile.read(min(left, 65536))
                    if not data:
                        raise ConnectionError("eof in chunk")
                    left -= len(data)
                    yield data
                self.rfile.readline(3)
            return
        cl = self.headers.get("Content-Length")
        left = int(cl) if cl else 0
        while left > 0:
            data = self.rfile.read(min(left, 65536))
            if not data:
                raise ConnectionError("eof in body")
            left -= len(data)
            yield data

    def _handle(self) -> None:
        up = self.server.owner
        req = SeenRequest(self.command, self.path, self.request_version,
                          list(self.headers.items()), self.client_address)
        req.handler = self  # type: ignore[attr-defined]
        up._record_head(req)
        if up.read_body:
            try:
                req.body = b"".join(self._body_iter())
                req.body_complete = True
            except (ConnectionError, ValueError, OSError):
                req.body_complete = False
                self.close_connection = True
                return
        else:
            req.body_stream = self._body_iter()
        up._record(req)
        try:
            reply = up.handler(req)
        except Exception as e:  # a test handler bug: answer 599 so the test sees it
            reply = 599, {}, f"upstream handler raised {e!r}"
        if reply is None:
            return
        self._send_reply(req, *reply)

    def _send_reply(self, req: SeenRequest, status: int, headers: Any = None,
                    body: Any = b"") -> None:
        hdrs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            if not any(k.lower() == "content-type" for k, _ in hdrs):
                hdrs.append(("Content-Type", "application/json"))
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        names = {k.lower() for k, _ in hdrs}
        for k, v in hdrs:
            self.send_header(k, v)
        head_only = self.command == "HEAD" or status in (204, 304)
        if isinstance(body, (bytes, bytearray)):
            if "content-length" not in names and status not in (204, 304):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head_only:
                self.wfile.write(body)
            return
        chunked = "content-length" not in names
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        for part in body:
            if not part:
                continue
            if chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            else:
                self.wfile.write(part)
            self.wfile.flush()
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle
    do_TRACE = _handle


class _Recorder:
    """What an upstream saw: request heads as they arrive, complete requests after their body.
    Subclasses set self._cond, self.requests and self.heads and call _record* from their
    serving threads."""

    _cond: threading.Condition
    requests: list[SeenRequest]
    heads: list[SeenRequest]
    kind = "upstream"

    def _record_head(self, req: SeenRequest) -> None:
        with self._cond:
            self.heads.append(req)
            self._cond.notify_all()

    def _record(self, req: SeenRequest) -> None:
        with self._cond:
            self.requests.append(req)
            self._cond.notify_all()

    def clear(self) -> None:
        with self._cond:
            self.requests.clear()
            self.heads.clear()

    def seen(self) -> list[SeenRequest]:
        with self._cond:
            return list(self.requests)

    def seen_heads(self) -> list[SeenRequest]:
        with self._cond:
            return list(self.heads)

    def wait_requests(self, n: int, timeout: float = 5.0) -> list[SeenRequest]:
        """Waits until at least n complete requests were seen; returns them all."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.requests) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{self.kind} saw {len(self.requests)} requests, expected {n}")
                self._cond.wait(left)
            return list(self.requests)



class _UpstreamServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    owner: "Upstream"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Resets, timeouts and failed TLS handshakes are expected when testing a proxy's
        # error paths; anything else is a harness bug worth seeing.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class Upstream(_Recorder):
    """A recording HTTP/1.1 upstream on 127.0.0.1:0.

    handler(req) -> (status, headers, body) decides each answer (default: 200 JSON echo).
    `requests` holds requests whose body was read completely; `heads` every request head seen.
    With read_body=False the handler gets req.body_stream and must consume it.
    With tls=(cert_file, key_file) it serves HTTPS. port: a fixed port, e.g. to restart an
    upstream that was stopped where the gateway expects it.
    """

    def __init__(self, handler: Callable[[SeenRequest], Reply | None] = echo_handler,
                 read_body: bool = True, tls: tuple[str, str] | None = None, port: int = 0):
        self.handler = handler
        self.read_body = read_body
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self.requests: list[SeenRequest] = []
        self.heads: list[SeenRequest] = []
        self.server = _UpstreamServer((HOST, port), _UpstreamHandler)
        self.server.owner = self
        if tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls[0], tls[1])
            # Handshake lazily (on first read, in the connection's thread), so a client that
            # fails verification never blocks or breaks the accept loop.
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True,
                                                 do_handshake_on_connect=False)
        self.port = self.server.server_address[1]
        self.url = upstream_url(self.port, "https" if tls else "http")
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        self._stopped = False

    def __enter__(self) -> "Upstream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def last(self) -> SeenRequest:
        reqs = self.seen()
        if not reqs:
            raise AssertionError("upstream saw no request")
        return reqs[-1]


# ------------------------------------------------------------------------------------------
# A raw-socket upstream: minimal HTTP/1.1 by hand, for connection-level behaviour (closing idle
# keep-alive connections, answering before reading the body, counting TCP connections, pacing).

class UpstreamConn:
    """One accepted upstream connection, as seen from the raw upstream's side."""

    def __init__(self, owner: "RawUpstream", sock: socket.socket, peer: tuple[str, int],
                 index: int):
        self.owner = owner
        self.sock = sock
        self.peer = peer
        self.index = index  # 0-based accept order
        self.buf = b""
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _recv_more(self, deadline: float) -> bool:
        """Reads more into buf; False on EOF/reset/stop. Raises socket.timeout past deadline."""
        while True:
            if self.owner.stopped:
                return False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("upstream read deadline passed")
            self.sock.settimeout(min(remaining, 0.2))
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                continue
            except OSError:
                return False
            if not chunk:
                return False
            self.buf += chunk
            return True

    def _line(self, deadline: float) -> bytes | None:
        for _ in range(100000):
            if b"\r\n" in self.buf:
                line, self.buf = self.buf.split(b"\r\n", 1)
                return line
            if len(self.buf) > 1 << 20 or not self._recv_more(deadline):
                return None
        return None

    def read_head(self, timeout: float = 10.0) -> SeenRequest | None:
        """Reads a request head; None when the peer closed (or sent garbage) first."""
        deadline = time.monotonic() + timeout
        line = self._line(deadline)
        if not line:
            return None
        parts = line.decode("latin-1").split(" ")
        if len(parts) != 3:
            return None
        headers: list[tuple[str, str]] = []
        for _ in range(1000):
            h = self._line(deadline)
            if h is None:
                return None
            if not h:
                break
            k, _, v = h.decode("latin-1").partition(":")
            headers.append((k.strip(), v.strip()))
        req = SeenRequest(parts[0], parts[1], parts[2], headers, self.peer)
        req.conn_index = self.index  # type: ignore[attr-defined]
        self.owner._record_head(req)
        return req

    def read_body(self, req: SeenRequest, timeout: float = 10.0) -> bool:
        """Reads the whole body into req.body (Content-Length or chunked); records req."""
        deadline = time.monotonic() + timeout
        out: list[bytes] = []
        te = (req.header("transfer-encoding") or "").lower()
        ok = True
        if "chunked" in te:
            ok = False
            for _ in range(1_000_000):
                size_line = self._line(deadline)
                if size_line is None:
                    break
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    for _ in range(1000):
                        t = self._line(deadline)
                        if not t:
                            break
                    ok = True
                    break
                while len(self.buf) < size + 2:
                    if not self._recv_more(deadline):
                        break
                if len(self.buf) < size + 2:
                    break
                out.append(self.buf[:size])
                self.buf = self.buf[size + 2:]
        else:
            left = int(req.header("content-length") or "0")
            while len(self.buf) < left:
                if not self._recv_more(deadline):
                    ok = False
                    break
            take = min(left, len(self.buf))
            out.append(self.buf[:take])
            self.buf = self.buf[take:]
        req.body = b"".join(out)
        req.body_complete = ok
        if ok:
            self.owner._record(req)
        return ok

    def send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def send_response(self, status: int, headers: dict | list | None = None,
                      body: bytes | str = b"", reason: str = "X") -> None:
        if isinstance(body, str):
            body = body.encode()
        hdrs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
        if not any(k.lower() in ("content-length", "transfer-encoding") for k, _ in hdrs):
            hdrs.append(("Content-Length", str(len(body))))
        head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs)
        self.send(head.encode("latin-1") + b"\r\n" + body)

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass


def raw_echo_serve(conn: UpstreamConn) -> None:
    """Default RawUpstream behaviour: keep-alive, answer each request 200 with its body."""
    for _ in range(1000):
        req = conn.read_head()
        if req is None or not conn.read_body(req):
            return
        conn.send_response(200, {"Content-Type": "application/octet-stream",
                                 "X-Conn-Index": str(conn.index)}, req.body or b"")


class RawUpstream(_Recorder):
    """A raw-socket HTTP/1.1 upstream on 127.0.0.1:0; serve(conn) runs in a thread per accepted
    connection (the connection is closed when it returns). Counts accepted connections and
    records requests like Upstream (`heads`, `requests`)."""

    kind = "raw upstream"

    def __init__(self, serve: Callable[[UpstreamConn], None] = raw_echo_serve):
        self.serve = serve
        self.stopped = False
        self._cond = threading.Condition()
        self.requests: list[SeenRequest] = []
        self.heads: list[SeenRequest] = []
        self.conns: list[UpstreamConn] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((HOST, 0))
        self.sock.listen(128)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.url = upstream_url(self.port)
        self._threads: list[threading.Thread] = []
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def __enter__(self) -> "RawUpstream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def accepted(self) -> int:
        with self._cond:
            return len(self.conns)

    def _accept_loop(self) -> None:
        while not self.stopped:
            try:
                s, peer = self.sock.accept()
            except (socket.timeout, TimeoutError):
                continue
            except OSError:
                return
            with self._cond:
                conn = UpstreamConn(self, s, peer, len(self.conns))
                self.conns.append(conn)
                self._cond.notify_all()
            t = threading.Thread(target=self._run, args=(conn,), daemon=True)
            t.start()
            self._threads.append(t)

    def _run(self, conn: UpstreamConn) -> None:
        try:
            self.serve(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        self._thread.join(timeout=5)
        try:
            self.sock.close()
        except OSError:
            pass
        for c in list(self.conns):
            c.close()
        for t in self._threads:
            t.join(timeout=2)


# ------------------------------------------------------------------------------------------
# The gateway process.

_live_processes: set[subprocess.Popen] = set()


@atexit.register
def _kill_leftovers() -> None:
    for p in list(_live_processes):
        if p.poll() is None:
            p.kill()


class GatewayStartError(AssertionError):
    pass


class Gateway:
    """Runs the gateway with a temp config; context manager; stop() = TERM, then KILL.

    config: YAML text or a dict (emitted with to_yaml). Extra files for the config can be put in
    `self.dir` (a temp dir) before start, or passed as files={name: text}; `{dir}` in a string
    config is replaced by that dir.
    """

    def __init__(self, config: str | dict, env: dict | None = None, unset_env: Iterable[str] = (),
                 admin_token: str | None = None, files: dict | None = None,
                 wait_ready: bool = True, start: bool = True):
        self._tmp = tempfile.TemporaryDirectory(prefix="gw-it-")
        self.dir = self._tmp.name
        self.config_path = os.path.join(self.dir, "gateway.yaml")
        for name, text in (files or {}).items():
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text)
        if admin_token is None and isinstance(config, dict):
            admin_token = (config.get("admin") or {}).get("token") or None
        self.admin_token = admin_token
        self.env = dict(os.environ)
        for k in unset_env:
            self.env.pop(k, None)
        self.env.update(env or {})
        self.write_config(config)
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.admin_port: int | None = None
        self.stdout_lines: list[str] = []
        self.stderr_lines: list[str] = []
        self._cond = threading.Condition()
        self._readers: list[threading.Thread] = []
        self.returncode: int | None = None
        self._sanitizer_checked = False
        if start:
            try:
                self.start(wait_ready=wait_ready)
            except BaseException:
                self.stop()
                raise

    # -- config ------------------------------------------------------------------------------
    def write_config(self, config: str | dict) -> None:
        text = to_yaml(config) if isinstance(config, dict) else config.replace("{dir}", self.dir)
        tmp = self.config_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.config_path)  # atomic: a reload never reads half a file

    # -- process -----------------------------------------------------------------------------
    def start(self, wait_ready: bool = True) -> None:
        self.proc = subprocess.Popen([gateway_bin(), "-c", self.config_path],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=self.env, cwd=self.dir)
        _live_processes.add(self.proc)
        for stream, sink, parse in ((self.proc.stdout, self.stdout_lines, False),
                                    (self.proc.stderr, self.stderr_lines, True)):
            t = threading.Thread(target=self._reader, args=(stream, sink, parse), daemon=True)
            t.start()
            self._readers.append(t)
        if wait_ready:
            self._wait_ports()
            self.wait_ready()

    def _reader(self, stream: Any, sink: list[str], parse: bool) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._cond:
                sink.append(line)
                if parse:
                    self._parse_listening(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def _parse_listening(self, line: str) -> None:
        try:
            obj = json.loads(line)
        except ValueError:
            return
        if not isinstance(obj, dict) or obj.get("msg") != "listening":
            return
        addr = str(obj.get("address", ""))
        try:
            port = int(addr.rsplit(":", 1)[1])
        except (IndexError, ValueError):
            return
        if obj.get("listener") == "admin":
            if self.admin_port is None:
                self.admin_port = port
        elif obj.get("listener") == "public":
            if self.port is None:
                self.port = port

    def _wait_ports(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        with self._cond:
            while self.port is None or self.admin_port is None:
                if self.proc.poll() is not None:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.1))
        if self.port is None or self.admin_port is None:
            raise GatewayStartError(
                f"gateway did not report both listeners (public={self.port}, "
                f"admin={self.admin_port}, exit={self.proc.poll()}); stderr:\n"
                + self.stderr_text()[-4000:])

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise GatewayStartError(f"gateway exited with {self.proc.returncode}; stderr:\n"
                                        + self.stderr_text()[-4000:])
            try:
                r = self.admin("GET", "/readyz", timeout=2)
                if r.status == 200:
                    return
                last = r.status
            except OSError as e:
                last = repr(e)
            time.sleep(0.05)
        raise GatewayStartError(f"/readyz not 200 within {timeout}s (last: {last}); stderr:\n"
                                + self.stderr_text()[-4000:])

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait_exit(self, timeout: float) -> int | None:
        """Waits for the process to exit; returns its code or None on timeout."""
        assert self.proc is not None
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self._join_readers()
        return self.returncode

    def _join_readers(self) -> None:
        for t in self._readers:
            t.join(timeout=2)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, wait up to timeout, then SIGKILL. Returns the exit code. Idempotent."""
        p = self.proc
        if p is not None:
            if p.poll() is None:
                try:
                    p.send_signal(signal.SIGTERM)
                    p.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=5)
            self.returncode = p.returncode
            self._join_readers()
            for s in (p.stdout, p.stderr):
                try:
                    s.close()
                except Exception:
                    pass
            _live_processes.discard(p)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        report = None if self._sanitizer_checked else sanitizer_report(self.stderr_text())
        self._sanitizer_checked = p is not None
        if report is not None:
            raise AssertionError("the gateway's sanitizer reported:\n" + report)
        return self.returncode

    def __enter__(self) -> "Gateway":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.stop()
        if exc_type is not None and self.stderr_lines:
            sys.stderr.write("--- gateway stderr (last lines) ---\n"
                             + "\n".join(self.stderr_lines[-30:]) + "\n")

    # -- output ------------------------------------------------------------------------------
    def stdout_text(self) -> str:
        with self._cond:
            return "\n".join(self.stdout_lines)

    def stderr_text(self) -> str:
        with self._cond:
            return "\n".join(self.stderr_lines)

    def stdout_json(self) -> list[dict]:
        out = []
        with self._cond:
            lines = list(self.stdout_lines)
        for line in lines:
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                out.append(obj)
        return out

    def access_logs(self) -> list[dict]:
        return [o for o in self.stdout_json() if "request_id" in o and "status" in o]

    def wait_access_log(self, request_id: str, timeout: float = 5.0) -> dict:
        def find() -> dict | None:
            for o in self.access_logs():
                if o.get("request_id") == request_id:
                    return o
            return None
        return wait_for(find, timeout, what=f"access log line for {request_id}")

    # -- requests ----------------------------------------------------------------------------
    def request(self, method: str = "GET", path: str = "/", headers: Any = None,
                body: Any = None, timeout: float = 10.0, **kw: Any) -> Response:
        assert self.port is not None
        return http_request(self.port, method, path, headers, body, timeout, **kw)

    def get(self, path: str, headers: Any = None, **kw: Any) -> Response:
        return self.request("GET", path, headers, **kw)

    def raw(self, data: bytes | str, method: str = "GET", timeout: float = 5.0) -> Response:
        assert self.port is not None
        return raw_request(self.port, data, method, timeout)

    def connect(self, timeout: float = 5.0) -> RawConnection:
        assert self.port is not None
        return RawConnection(self.port, timeout)

    def admin(self, method: str = "GET", path: str = "/", headers: dict | None = None,
              body: Any = None, timeout: float = 5.0, token: str | None = None) -> Response:
        assert self.admin_port is not None
        hdrs = dict(headers or {})
        tok = token if token is not None else self.admin_token
        if tok and not any(k.lower() == "authorization" for k in hdrs):
            hdrs["Authorization"] = f"Bearer {tok}"
        return http_request(self.admin_port, method, path, hdrs, body, timeout)

    def metrics(self) -> "Metrics":
        r = self.admin("GET", "/metrics")
        if r.status != 200:
            raise AssertionError(f"/metrics answered {r.status}: {r.text}")
        return Metrics(r.text)

    def reload(self) -> Response:
        return self.admin("POST", "/reload")

    # -- process stats -----------------------------------------------------------------------
    def proc_status(self, key: str) -> int:
        """A /proc/PID/status value in KiB (VmRSS, VmHWM)."""
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        raise KeyError(key)


# ------------------------------------------------------------------------------------------
# Prometheus text.

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class Metrics:
    def __init__(self, text: str):
        self.text = text
        self.samples: list[tuple[str, dict, float]] = []
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            m = _SAMPLE.match(line)
            if not m:
                continue
            labels = dict(_LABEL.findall(m.group(3) or ""))
            self.samples.append((m.group(1), labels, float(m.group(4))))

    def find(self, name: str, **labels: str) -> list[tuple[dict, float]]:
        return [(l, v) for n, l, v in self.samples
                if n == name and all(l.get(k) == want for k, want in labels.items())]

    def value(self, name: str, **labels: str) -> float:
        """Sum of the matching samples (0 when none)."""
        return sum(v for _, v in self.find(name, **labels))

    def has(self, name: str, **labels: str) -> bool:
        return bool(self.find(name, **labels))


# ------------------------------------------------------------------------------------------
# Misc helpers.

def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_self_signed(directory: str, cn: str = "localhost") -> tuple[str, str]:
    """Creates cert.pem/key.pem in directory with the openssl CLI; returns their paths."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    cmd = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}",
           "-days", "1", "-keyout", key, "-out", cert,
           "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
    r = subprocess.run(cmd, capture_output=True, timeout=60)
    if r.returncode != 0:
        raise unittest.SkipTest(f"openssl failed: {r.stderr.decode(errors='replace')}")
    return cert, key


def _openssl(args: list[str]) -> None:
    r = subprocess.run(["openssl"] + args, capture_output=True, timeout=60)
    if r.returncode != 0:
        raise unittest.SkipTest(f"openssl {args[0]} failed: {r.stderr.decode(errors='replace')}")


def make_ca_and_client(directory: str, name: str = "client") -> tuple[str, str, str]:
    """A CA (NAME-ca.pem) and a client certificate it signed (NAME.pem, NAME-key.pem), made with
    the openssl CLI in directory; returns (ca_cert, client_cert, client_key)."""
    ca_cert = os.path.join(directory, f"{name}-ca.pem")
    ca_key = os.path.join(directory, f"{name}-ca-key.pem")
    cert = os.path.join(directory, f"{name}.pem")
    key = os.path.join(directory, f"{name}-key.pem")
    csr = os.path.join(directory, f"{name}.csr")
    ext = os.path.join(directory, f"{name}.ext")
    _openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name} test CA",
              "-days", "1", "-keyout", ca_key, "-out", ca_cert,
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    _openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
              "-keyout", key, "-out", csr])
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=clientAuth\n")
    _openssl(["x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial",
              "-days", "1", "-out", cert, "-extfile", ext])
    return ca_cert, cert, key


def run_check(config_path: str, env: dict | None = None, timeout: float = 20.0,
              cwd: str | None = None) -> subprocess.CompletedProcess:
    """`gateway --check -c FILE`; returns the completed process (text output)."""
    r = subprocess.run([gateway_bin(), "--check", "-c", config_path], capture_output=True,
                       text=True, timeout=timeout, env=env if env is not None else os.environ,
                       cwd=cwd)
    report = sanitizer_report(r.stderr)
    if report is not None:
        raise AssertionError("gateway --check: the sanitizer reported:\n" + report)
    return r


class GatewayTestCase(unittest.TestCase):
    """Small conveniences shared by the test files."""

    maxDiff = 4000

    def start_upstream(self, handler: Callable = echo_handler, **kw: Any) -> Upstream:
        up = Upstream(handler, **kw)
        self.addCleanup(up.stop)
        return up

    def start_gateway(self, config: str | dict, **kw: Any) -> Gateway:
        gw = Gateway(config, **kw)
        self.addCleanup(self._stop_gateway, gw)
        return gw

    def _stop_gateway(self, gw: Gateway) -> None:
        gw.stop()

    def assert_error(self, resp: Response, status: int, code: str) -> dict:
        """The gateway's JSON error shape; returns the error object."""
        self.assertEqual(resp.status, status, resp)
        self.assertIn("application/json", resp.header("content-type", ""), resp)
        body = resp.json()
        self.assertIsInstance(body, dict, resp)
        self.assertIn("error", body, resp)
        err = body["error"]
        self.assertEqual(err.get("code"), code, resp)
        self.assertIsInstance(err.get("message"), str, resp)
        self.assertTrue(err.get("message"), resp)
        rid = resp.header("x-request-id")
        self.assertTrue(rid, f"no X-Request-Id on {resp}")
        self.assertEqual(err.get("request_id"), rid, resp)
        return err
