"""The redis: section through the real binary, against a real redis-server
(tests/integration/redis_server.py, which the rate-limit and cache tests reuse)."""

from __future__ import annotations

import os
import tempfile
import unittest

from tests.integration.harness import GatewayTestCase, base_config, run_check
from tests.integration.redis_server import RedisError, RedisServer


class RedisHelperTest(unittest.TestCase):
    def test_command_auth_select_kill_restart(self) -> None:
        with RedisServer(password="pw-123") as redis:
            self.assertEqual(redis.command("PING"), "PONG")
            self.assertEqual(redis.command("SET", "k", "v", db=2), "OK")
            self.assertIsNone(redis.command("GET", "k"))
            self.assertEqual(redis.command("GET", "k", db=2), "v")
            with self.assertRaises(RedisError):
                redis.command("INCR", "k", db=2)
            port = redis.port
            redis.kill()
            with self.assertRaises(OSError):
                redis.command("PING", timeout=1.0)
            redis.restart()
            self.assertEqual(redis.port, port)
            self.assertEqual(redis.command("PING"), "PONG")


class RedisSectionTest(GatewayTestCase):
    def test_gateway_runs_with_redis_section_and_exports_metrics(self) -> None:
        with RedisServer() as redis:
            cfg = base_config(routes=[{"name": "s", "match": {"path": "/s"},
                                       "respond": {"status": 200, "body": "ok"}}])
            cfg["redis"] = {"url": redis.url(db=1), "timeout": "100ms", "on_error": "deny",
                            "connections": 3}
            gw = self.start_gateway(cfg)
            self.assertEqual(gw.get("/s").status, 200)
            m = gw.metrics()
            for reason in ("timeout", "unavailable", "disconnected", "connect", "reply"):
                self.assertTrue(m.has("gateway_redis_errors_total", reason=reason), reason)
            self.assertTrue(m.has("gateway_redis_latency_seconds_bucket", le="+Inf"))
            self.assertTrue(m.has("gateway_redis_latency_seconds_count"))

    def test_bad_url_is_a_located_error_without_the_password(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "gateway.yaml")
            with open(path, "w") as f:
                f.write('server:\n  listen: "127.0.0.1:0"\n'
                        'redis:\n  url: "redis://:hunter2@127.0.0.1:6379/notadb"\n')
            r = run_check(path)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            out = r.stdout + r.stderr
            self.assertIn(f"{path}:4:8: redis.url: expected redis://", out)
            self.assertIn("database number", out)
            self.assertNotIn("hunter2", out)

    def test_password_from_env_and_file(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "gateway.yaml")
            with open(os.path.join(d, "redis_pw"), "w") as f:
                f.write("from-file")
            with open(path, "w") as f:
                f.write('server:\n  listen: "127.0.0.1:0"\n'
                        'redis:\n  url: "redis://${GW_REDIS_HOST}:6379/0"\n'
                        '  password_file: redis_pw\n')
            r = run_check(path, env=dict(os.environ, GW_REDIS_HOST="127.0.0.1"))
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertNotIn("from-file", r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
