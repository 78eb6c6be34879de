"""A real identity provider for the token-authentication tests: oauth2-mock-server (npm,
pinned in idp/package-lock.json, installed by `scripts/install-deps.sh test`) driven by
idp/idp.js on 127.0.0.1 with an ephemeral port. It issues RS256 tokens from /token, serves
/jwks, answers /introspect, rotates its key and counts calls on command.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import unittest
import urllib.parse
import urllib.request
from typing import Any

from tests.integration.harness import HOST

IDP_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "idp")
CLIENT_ID = "gw"
CLIENT_SECRET = "gw-secret"  # what idp.js accepts at /introspect
TIMEOUT = 30.0
# Node loads oauth2-mock-server's modules and makes an RSA key before it answers: well under a
# second on a quiet machine, but a CI run once saw four starts in a row pass 10 s on two cores
# shared with compilers. A slow start is not what these tests check.
START_TIMEOUT = 90.0


class IdentityProvider:
    def __init__(self, port: int = 0) -> None:
        """port: 0 for an ephemeral one; a fixed one for a provider that comes up after the
        gateway that uses it."""
        node = shutil.which("node")
        if node is None or not os.path.isdir(os.path.join(IDP_DIR, "node_modules")):
            raise unittest.SkipTest("node or oauth2-mock-server missing: "
                                    "run scripts/install-deps.sh test")
        self._proc = subprocess.Popen([node, "idp.js", str(port)], cwd=IDP_DIR,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.port = int(self._answer(START_TIMEOUT)["port"])
        self.issuer = f"http://{HOST}:{self.port}"

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self._lines.put(line)

    def _answer(self, timeout: float = TIMEOUT) -> dict:
        try:
            return json.loads(self._lines.get(timeout=timeout))
        except queue.Empty:
            raise AssertionError("identity provider did not answer") from None

    def _command(self, line: str) -> dict:
        assert self._proc.stdin is not None
        self._proc.stdin.write(line + "\n")
        self._proc.stdin.flush()
        return self._answer()

    def url(self, path: str) -> str:
        return self.issuer + path

    def token(self, scope: str = "orders:read", aud: str = "orders") -> str:
        """An access token from the provider's token endpoint (client_credentials)."""
        body = urllib.parse.urlencode({"grant_type": "client_credentials", "scope": scope,
                                       "aud": aud}).encode()
        req = urllib.request.Request(self.url("/token"), data=body, method="POST")
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            return json.load(resp)["access_token"]

    def rotate(self) -> str:
        """A new signing key; the old one leaves the JWKS. Returns the new kid."""
        return self._command("rotate")["kid"]

    def revoke(self, token: str) -> None:
        self._command("revoke " + token)

    def stats(self) -> dict[str, int]:
        return self._command("stats")

    def stop(self) -> None:
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()  # idp.js exits when its stdin closes
            try:
                self._proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=TIMEOUT)
        if self._proc.stdout is not None:
            self._proc.stdout.close()

    def __enter__(self) -> "IdentityProvider":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
