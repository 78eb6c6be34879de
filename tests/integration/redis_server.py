"""A real redis-server for integration tests (rate limits and cache with store: redis).

RedisServer starts `redis-server` on 127.0.0.1 on a free port (bound, closed, then given to
Redis; a collision makes Redis exit and another port is tried), in a temp directory, without
persistence. It is a context manager; stop() is TERM then KILL, kill() simulates a crash, and
restart() brings Redis back on the same port. `command()` is a tiny blocking RESP client for
checking what the gateway stored. Every wait is bounded.

Python 3.11 standard library only; needs the redis-server package (install-deps.sh test).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from typing import Any

from tests.integration.harness import HOST, free_port_closed, wait_for

REDIS_BIN = shutil.which("redis-server") or "/usr/bin/redis-server"
START_ATTEMPTS = 5


class RedisError(Exception):
    """An error reply (-ERR ...) from Redis."""


class RedisServer:
    def __init__(self, password: str | None = None, extra: list[str] | None = None,
                 start: bool = True):
        self._tmp = tempfile.TemporaryDirectory(prefix="gw-redis-")
        self.dir = self._tmp.name
        self.password = password
        self.extra = list(extra or [])
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        if start:
            self.start()

    # -- lifecycle --------------------------------------------------------------------------

    def _args(self, port: int) -> list[str]:
        args = [REDIS_BIN, "--bind", HOST, "--port", str(port), "--save", "",
                "--appendonly", "no", "--dir", self.dir, "--daemonize", "no",
                "--loglevel", "warning", "--logfile", os.path.join(self.dir, "redis.log")]
        if self.password:
            args += ["--requirepass", self.password]
        return args + self.extra

    def _start_on(self, port: int) -> bool:
        self.proc = subprocess.Popen(self._args(port), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:  # exited: most likely the port was taken
                self.proc = None
                return False
            try:
                with socket.create_connection((HOST, port), timeout=0.5):
                    self.port = port
                    return True
            except OSError:
                time.sleep(0.02)
        self.kill()
        return False

    def start(self) -> "RedisServer":
        for _ in range(START_ATTEMPTS):
            if self._start_on(free_port_closed()):
                return self
        raise AssertionError("redis-server did not start")

    def restart(self) -> None:
        """Kills Redis (if running) and starts it again on the same port."""
        assert self.port is not None
        self.kill()
        for _ in range(START_ATTEMPTS):
            if self._start_on(self.port):
                return
            time.sleep(0.1)
        raise AssertionError(f"redis-server did not restart on port {self.port}")

    def kill(self) -> None:
        """SIGKILL: Redis disappears with its connections open, as in a crash."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
            self.proc = None
        self._tmp.cleanup()

    def __enter__(self) -> "RedisServer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- use --------------------------------------------------------------------------------

    def url(self, db: int = 0, password: bool = True) -> str:
        auth = f":{self.password}@" if self.password and password else ""
        return f"redis://{auth}{HOST}:{self.port}/{db}"

    def command(self, *args: str | bytes | int, db: int = 0, timeout: float = 5.0) -> Any:
        """Runs one command on a fresh connection (AUTH/SELECT first) and returns the reply."""
        with socket.create_connection((HOST, self.port), timeout=timeout) as s:
            f = s.makefile("rb")
            pre: list[tuple] = []
            if self.password:
                pre.append(("AUTH", self.password))
            if db:
                pre.append(("SELECT", db))
            for cmd in pre + [args]:
                s.sendall(_encode(cmd))
                reply = _read_reply(f)
            return reply

    def wait_key(self, key: str, db: int = 0, timeout: float = 5.0) -> Any:
        return wait_for(lambda: self.command("GET", key, db=db), timeout, what=f"key {key}")


def _encode(args: tuple) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def _read_reply(f: Any) -> Any:
    line = f.readline()
    if not line:
        raise ConnectionError("redis closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RedisError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2].decode(errors="replace")
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_read_reply(f) for _ in range(n)]
    raise ConnectionError(f"unexpected reply {line!r}")
