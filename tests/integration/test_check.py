"""`gateway --check -c FILE`: exit codes and `file:line:col: key.path: message` errors."""

from __future__ import annotations

import os
import re
import tempfile
import unittest

from tests.integration.harness import gateway_bin, make_self_signed, run_check

VALID = """\
server:
  listen: "127.0.0.1:0"
  limits:
    max_header_bytes: 16KiB
    header_timeout: 5s
admin:
  listen: "127.0.0.1:0"
log:
  level: info
  access: stdout
upstreams:
  crm:
    targets:
      - url: "http://127.0.0.1:9"
    timeouts: { connect: 1s, response: 2s }
routes:
  - name: get-order
    match: { path: "/api/orders/{id}", methods: [GET] }
    upstream: crm
    rewrite: { path: "/v2/orders/{id}" }
    timeout: 500ms
  - name: status
    match: { path: /status, methods: [GET] }
    respond: { status: 200, headers: { content-type: application/json }, body: '{"ok":true}' }
"""


def position(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based (line, col) of the start of the n-th occurrence of needle in text."""
    idx = -1
    for _ in range(occurrence):
        idx = text.index(needle, idx + 1)
    line = text.count("\n", 0, idx) + 1
    col = idx - (text.rfind("\n", 0, idx) + 1) + 1
    return line, col


class CheckTest(unittest.TestCase):
    maxDiff = 4000

    @classmethod
    def setUpClass(cls) -> None:
        gateway_bin()  # skip early when there is no binary

    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="gw-check-")
        self.addCleanup(self._tmp.cleanup)
        self.dir = self._tmp.name

    def write(self, text: str, name: str = "gateway.yaml") -> str:
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def check(self, text: str, env: dict | None = None):
        path = self.write(text)
        e = dict(os.environ)
        e.pop("GW_IT_UNSET_VARIABLE", None)
        e.update(env or {})
        return path, run_check(path, env=e, cwd=self.dir)

    def error_lines(self, proc) -> list[str]:
        return [l for l in proc.stderr.splitlines() if l.strip()]

    def assert_error(self, path: str, proc, line: int, cols: set[int], key_path: str,
                     contains: str | None = None) -> str:
        """Exit 1 and a line `<file>:<line>:<col>: <key_path>: message` with col in cols."""
        self.assertEqual(proc.returncode, 1,
                         f"expected exit 1, stdout={proc.stdout!r} stderr={proc.stderr!r}")
        name = re.escape(os.path.basename(path))
        pat = re.compile(r"^(?:.*/)?" + name + r":(\d+):(\d+): " + re.escape(key_path)
                         + r": (.+)$")
        lines = self.error_lines(proc)
        for l in lines:
            m = pat.match(l)
            if m and int(m.group(1)) == line and int(m.group(2)) in cols:
                if contains is not None:
                    self.assertIn(contains, m.group(3), l)
                return l
        self.fail(f"no error line `{os.path.basename(path)}:{line}:{sorted(cols)}: {key_path}: "
                  f"...` in stderr:\n{proc.stderr}")

    # ----------------------------------------------------------------------------------------
    def test_valid_config_exits_zero(self) -> None:
        path, proc = self.check(VALID)
        self.assertEqual(proc.returncode, 0, f"stderr: {proc.stderr}")
        for l in self.error_lines(proc):
            self.assertNotRegex(l, r":\d+:\d+: ", "a valid config printed an error line")

    def test_unknown_key(self) -> None:
        text = VALID.replace("    header_timeout: 5s\n",
                             "    header_timeout: 5s\n    max_hedaer_bytes: 1KiB\n")
        line, col = position(text, "max_hedaer_bytes")
        path, proc = self.check(text)
        self.assert_error(path, proc, line, {col, col + len("max_hedaer_bytes: ")},
                          "server.limits.max_hedaer_bytes")

    def test_unknown_key_in_route(self) -> None:
        text = VALID.replace("    timeout: 500ms\n", "    timeout: 500ms\n    upstram: crm\n")
        line, col = position(text, "upstram")
        path, proc = self.check(text)
        self.assert_error(path, proc, line, {col, col + len("upstram: ")}, "routes[0].upstram")

    def test_bad_duration_bare_number(self) -> None:
        text = VALID.replace("header_timeout: 5s", "header_timeout: 5")
        line, kcol = position(text, "header_timeout: 5")
        vcol = kcol + len("header_timeout: ")
        path, proc = self.check(text)
        self.assert_error(path, proc, line, {kcol, vcol}, "server.limits.header_timeout")

    def test_bad_duration_unit(self) -> None:
        text = VALID.replace("timeout: 500ms", "timeout: 5 parsecs")
        line, kcol = position(text, "timeout: 5 parsecs")
        path, proc = self.check(text)
        self.assert_error(path, proc, line, {kcol, kcol + len("timeout: ")}, "routes[0].timeout")

    def test_unset_env_variable(self) -> None:
        text = VALID.replace('      - url: "http://127.0.0.1:9"\n',
                             '      - url: "http://127.0.0.1:9"\n'
                             '    credentials:\n'
                             '      type: bearer\n'
                             '      token: "${GW_IT_UNSET_VARIABLE}"\n')
        line, kcol = position(text, "token: ")
        path, proc = self.check(text)
        err = self.assert_error(path, proc, line, {kcol, kcol + len("token: ")},
                                "upstreams.crm.credentials.token")
        self.assertIn("GW_IT_UNSET_VARIABLE", err)

    def test_missing_secret_file(self) -> None:
        missing = os.path.join(self.dir, "no-such-secret")
        text = VALID.replace('      - url: "http://127.0.0.1:9"\n',
                             '      - url: "http://127.0.0.1:9"\n'
                             '    credentials:\n'
                             '      type: bearer\n'
                             f'      token_file: {missing}\n')
        line, kcol = position(text, "token_file: ")
        path, proc = self.check(text)
        err = self.assert_error(path, proc, line, {kcol, kcol + len("token_file: ")},
                                "upstreams.crm.credentials.token_file")
        self.assertIn("no-such-secret", err)

    def test_env_variable_default_and_set(self) -> None:
        text = VALID.replace('"http://127.0.0.1:9"',
                             '"${GW_IT_UNSET_VARIABLE:-http://127.0.0.1:9}"')
        _, proc = self.check(text)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        text = VALID.replace('"http://127.0.0.1:9"', '"${GW_IT_SET_VARIABLE}"')
        _, proc = self.check(text, env={"GW_IT_SET_VARIABLE": "http://127.0.0.1:9"})
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_unknown_upstream(self) -> None:
        text = VALID.replace("    upstream: crm\n", "    upstream: crmm\n")
        line, kcol = position(text, "upstream: crmm")
        path, proc = self.check(text)
        err = self.assert_error(path, proc, line, {kcol, kcol + len("upstream: ")},
                                "routes[0].upstream")
        self.assertIn("crmm", err)
        self.assertIn("crm", err.replace("crmm", ""), "expected a 'did you mean' suggestion")

    def test_route_conflict(self) -> None:
        text = VALID + (
            "  - name: dup-order\n"
            "    match: { path: \"/api/orders/{id}\", methods: [GET] }\n"
            "    upstream: crm\n")
        path, proc = self.check(text)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        line2, _ = position(text, "- name: dup-order")
        line1, _ = position(text, "- name: get-order")
        lines = self.error_lines(proc)
        name = os.path.basename(path)
        hit = [l for l in lines if re.search(re.escape(name) + r":\d+:\d+: routes\[\d\]", l)]
        self.assertTrue(hit, f"no routes[...] error line in:\n{proc.stderr}")
        joined = "\n".join(hit)
        # The error sits on one of the two routes and names the other (or its line).
        at_line = {int(m) for m in re.findall(re.escape(name) + r":(\d+):", joined)}
        self.assertTrue(at_line & {line1, line1 + 1, line2, line2 + 1},
                        f"conflict error not on either route's lines ({line1}, {line2}): {joined}")
        self.assertTrue("get-order" in joined or "dup-order" in joined or str(line1) in joined,
                        f"conflict error names neither route: {joined}")

    def test_missing_cert_file(self) -> None:
        text = VALID.replace(
            '  listen: "127.0.0.1:0"\n  limits:',
            '  listen: "127.0.0.1:0"\n  tls:\n    cert_file: /nonexistent/gw-it/cert.pem\n'
            '    key_file: /nonexistent/gw-it/key.pem\n  limits:', 1)
        line, kcol = position(text, "cert_file:")
        path, proc = self.check(text)
        self.assert_error(path, proc, line, {kcol, kcol + len("cert_file: ")},
                          "server.tls.cert_file")

    def test_unreadable_cert_file(self) -> None:
        cert, key = make_self_signed(self.dir)
        garbage = os.path.join(self.dir, "garbage.pem")
        with open(garbage, "w") as f:
            f.write("this is not a certificate\n")
        os.chmod(garbage, 0o600)
        text = VALID.replace(
            '  listen: "127.0.0.1:0"\n  limits:',
            f'  listen: "127.0.0.1:0"\n  tls:\n    cert_file: {garbage}\n'
            f'    key_file: {key}\n  limits:', 1)
        line, kcol = position(text, "cert_file:")
        path, proc = self.check(text)
        self.assert_error(path, proc, line, {kcol, kcol + len("cert_file: ")},
                          "server.tls.cert_file")

    def test_good_cert_files_pass(self) -> None:
        cert, key = make_self_signed(self.dir)
        text = VALID.replace(
            '  listen: "127.0.0.1:0"\n  limits:',
            f'  listen: "127.0.0.1:0"\n  tls:\n    cert_file: {cert}\n'
            f'    key_file: {key}\n  limits:', 1)
        _, proc = self.check(text)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_bad_regex(self) -> None:
        text = VALID.replace('path: /status,', 'path: "~ ^/st(atus$",')
        line, _ = position(text, "~ ^/st(atus$")
        path, proc = self.check(text)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        name = re.escape(os.path.basename(path))
        self.assertRegex(proc.stderr, name + f":{line}:\\d+: routes\\[1\\]\\.match\\.path: ")

    def test_all_errors_reported(self) -> None:
        text = (VALID.replace("header_timeout: 5s", "header_timeout: 5")
                .replace("    upstream: crm\n", "    upstream: crmm\n"))
        l1, _ = position(text, "header_timeout: 5")
        l2, _ = position(text, "upstream: crmm")
        path, proc = self.check(text)
        self.assertEqual(proc.returncode, 1)
        name = re.escape(os.path.basename(path))
        self.assertRegex(proc.stderr, name + f":{l1}:\\d+: server\\.limits\\.header_timeout: ")
        self.assertRegex(proc.stderr, name + f":{l2}:\\d+: routes\\[0\\]\\.upstream: ")

    def test_route_with_both_upstream_and_respond(self) -> None:
        text = VALID.replace("    respond: {", "    upstream: crm\n    respond: {")
        path, proc = self.check(text)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertRegex(proc.stderr, re.escape(os.path.basename(path)) + r":\d+:\d+: routes\[1\]")

    def test_missing_file(self) -> None:
        missing = os.path.join(self.dir, "does-not-exist.yaml")
        proc = run_check(missing)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("does-not-exist.yaml", proc.stderr)

    def test_yaml_syntax_error(self) -> None:
        text = VALID.replace("  crm:\n", "  crm:\n   - [unclosed\n", 1)
        path, proc = self.check(text)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertRegex(proc.stderr, re.escape(os.path.basename(path)) + r":\d+:\d+: ")


if __name__ == "__main__":
    unittest.main()
