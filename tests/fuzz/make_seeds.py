#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/ (checked in; rerun to regenerate).

Seeds are small, valid and almost-valid inputs so the fuzzers start deep in each parser. Keys
for the JWKS/PEM seeds are generated here (public halves only are kept); the HS256 tokens are
signed with the secret jwt_fuzz.cpp verifies with. Regression inputs (crashes found) live next to
the seeds as crash-*: this script never removes them.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import random
import re
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
SECRET = b"fuzz-secret-0123456789abcdef0123"  # jwt_fuzz.cpp kSecret


def write(target: str, seeds: list[bytes | str]) -> None:
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    for name in os.listdir(d):
        if name.startswith("seed-"):
            os.remove(os.path.join(d, name))
    for s in seeds:
        data = s.encode() if isinstance(s, str) else s
        with open(os.path.join(d, "seed-" + hashlib.sha1(data).hexdigest()[:12]), "wb") as f:
            f.write(data)


def config_seeds() -> list[str]:
    with open(os.path.join(ROOT, "config", "gateway.yaml")) as f:
        seeds = [f.read()]
    with open(os.path.join(ROOT, "README.md")) as f:
        seeds += re.findall(r"```yaml\n(.*?)```", f.read(), re.S)
    up = "upstreams:\n  u:\n    targets: [{url: \"http://127.0.0.1:9\"}]\n"
    route = "routes:\n  - name: r\n    match: {path: \"/a/*\"}\n    upstream: u\n"
    seeds += [
        "", "server: {listen: \"127.0.0.1:0\"}\n", up + route,
        up + route + "    rewrite: {strip_prefix: /a}\n    timeout: 5s\n",
        up + "routes:\n  - name: p\n    match: {path: \"/i/{id}\", methods: [GET]}\n"
             "    upstream: u\n    rewrite: {path: \"/v/{id}\"}\n",
        up + "routes:\n  - name: x\n    match: {path: \"~ ^/v[0-9]+$\", host: \"*.ex.com\"}\n"
             "    respond: {status: 204}\n",
        up + route + "    cache: {ttl: 10s, vary: [accept]}\n"
                     "    rate_limit: {requests: 10, per: 1s, key: client_ip}\n",
        up + route + "    ip: {allow: [\"10.0.0.0/8\", \"::1\"], deny: [\"10.9.0.0/16\"]}\n",
        "server:\n  limits: {header_timeout: 10, max_body_bytes: 1XiB}\n",
        "server:\n  listen: [\"[::1]:0\", \"0.0.0.0:65536\"]\n  trusted_proxies: [10/8]\n",
        "admin: {token: \"${GW_UNSET_VAR}\", token_file: /nonexistent}\n",
        "include: [\"missing/*.yaml\"]\n", "routes: [1, 2, {name: 3}]\n",
        "a: &x [*x]\n", "server: {listen: [[[[[[[[[[]]]]]]]]]]}\n", "\t- bad: indentation\n",
        "upstreams: {u: {targets: [{url: \"ftp://x\"}], credentials: {type: bearer}}}\n",
        "consumers:\n  - name: c\n    api_keys: [{key: \"k-0123456789abcdef\"}]\n"
        "authenticators:\n  keys: {type: api_key, header: x-api-key}\n",
        "redis: {url: \"redis://:pw@127.0.0.1:6379/0\", timeout: 50ms}\n",
        "log: {level: loud, access: off}\ncache: {max_bytes: -1}\n",
    ]
    return seeds


def router_seeds() -> list[bytes]:
    rng = random.Random(8)
    seeds = [bytes(rng.randrange(256) for _ in range(n)) for n in (8, 16, 32, 64, 128, 256)]
    # Readable text spends bytes on paths: "/", "{", "}" and "*" show up in the patterns.
    seeds += [b"\x03" + b"/api/{id}/x\x00/api/42/x?q\x00h\x00\x01\x02\x00\x01",
              b"\x02/a/*\x00/a/b/../c\x00\x05\x00\x01",
              b"\x04~ ^/v[0-9]+$\x00/v12\x00/v1/../v2\x00\x02\x03",
              b"/{a}/{b}\x00/{b}/{a}\x00/x/y\x00/%2e%2e/x\x00\x07\x01\x00"]
    return seeds


def head_seeds() -> list[str]:
    def req(line: str, *headers: str) -> str:
        return line + "\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n"
    return [
        req("GET /api/users?x=1 HTTP/1.1", "Host: api.example.com"),
        req("GET /items/7/parts/9 HTTP/1.1", "Host: a.example.com:8080",
            "X-Forwarded-For: 1.2.3.4, 10.0.0.1", "X-Request-Id: abc-123",
            "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        req("POST /api/x HTTP/1.1", "Host: t", "Content-Length: 4",
            "Transfer-Encoding: chunked") + "0\r\n\r\n",
        req("GET /re/abc HTTP/1.0", "Connection: keep-alive, X-Hop", "X-Hop: 1", "TE: trailers"),
        req("GET /exact HTTP/1.1", "Host: [::1]:80", "Upgrade: websocket",
            "Connection: Upgrade"),
        req("GET /a/../api/%2e%2e/%41b?k=s HTTP/1.1", "Host: x", "Cookie: a=b",
            "X-Remove-Me: 1"),
        req("GET http://evil/ HTTP/1.1", "Host: evil"),
        req("GET /a%2fb HTTP/1.1", "Host: t"), req("OPTIONS * HTTP/1.1", "Host: t"),
        req("DELETE /api/./x//y HTTP/1.1", "Host: t", "Forwarded: for=1.2.3.4",
            "X-Real-IP: 1.2.3.4", "X-Forwarded-Proto: https", "X-Forwarded-Host: h"),
        req("GET /api/redirect?k=s&k=s HTTP/1.1", "Host: t", "X-Forwarded-For: ::1, garbage"),
        req("GET /x HTTP/1.1", "Host: t", "Host: u"),
        req("PATCH /items/%7e/parts/%20 HTTP/1.1", "Host: t", "Expect: 100-continue"),
    ]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64_int(n: int) -> str:
    return b64(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def hs256(header: dict, claims: dict) -> str:
    signing = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    return signing + "." + b64(hmac.new(SECRET, signing.encode(), hashlib.sha256).digest())


def jwt_seeds() -> list[str]:
    now = 1_700_000_000  # jwt_fuzz.cpp kNow
    good = {"iss": "https://issuer.example", "aud": "gateway", "sub": "alice",
            "exp": now + 60, "nbf": now - 60, "scope": "read write"}
    seeds = [hs256({"alg": "HS256", "kid": "hs"}, good),
             hs256({"alg": "HS256"}, dict(good, aud=["x", "gateway"], scp=["a", "b"])),
             hs256({"alg": "HS256"}, dict(good, exp=now - 100)),
             hs256({"alg": "HS256"}, {"sub": "no-exp"}),
             hs256({"alg": "HS256"}, dict(good, exp=1e300, nbf="soon")),
             hs256({"alg": "HS256", "crit": ["b64"]}, good),
             hs256({"alg": "none"}, good).rsplit(".", 1)[0] + ".",
             hs256({"alg": "HS256"}, {"a": [[[[[[[[[[]]]]]]]]]]})]
    sig = b64(bytes(range(64)))
    for alg in ("RS256", "PS384", "ES256", "ES384", "EdDSA", "HS512", "RS512"):
        seeds.append(b64(json.dumps({"alg": alg, "kid": "rsa"}).encode()) + "." +
                     b64(json.dumps(good).encode()) + "." + sig)
    seeds += ["a.b.c", "..", "e30.e30.", "eyJhbGciOjF9.e30.AA"]
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    p256 = ec.generate_private_key(ec.SECP256R1()).public_key()
    ed = ed25519.Ed25519PrivateKey.generate().public_key()
    n = rsa_key.public_numbers()
    p = p256.public_numbers()
    ed_raw = ed.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwks = {"keys": [
        {"kty": "RSA", "kid": "r", "use": "sig", "alg": "RS256", "n": b64_int(n.n),
         "e": b64_int(n.e)},
        {"kty": "EC", "kid": "e", "crv": "P-256", "x": b64(p.x.to_bytes(32, "big")),
         "y": b64(p.y.to_bytes(32, "big"))},
        {"kty": "OKP", "kid": "d", "crv": "Ed25519", "x": b64(ed_raw)},
        {"kty": "oct", "k": "c2VjcmV0"}]}
    seeds += [json.dumps(jwks), json.dumps({"keys": jwks["keys"][1:2]}),
              json.dumps({"keys": [dict(jwks["keys"][1], y=b64(bytes(32)))]}),
              '{"keys":[]}', '{"keys":{}}', "{}"]
    for key in (rsa_key, p256, ed):
        seeds.append(key.public_bytes(serialization.Encoding.PEM,
                                      serialization.PublicFormat.SubjectPublicKeyInfo).decode())
    seeds.append("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    return seeds


def cache_seeds() -> list[str]:
    return [
        "max-age=60, public\n\naccept-encoding, Accept\n\"a\", W/\"b\"\n"
        "Sun, 06 Nov 1994 08:49:37 GMT\n\"b\"",
        "no-cache, no-store\nno-cache\n*\n*\nSunday, 06-Nov-94 08:49:37 GMT\nW/\"x\"",
        "s-maxage=\"120\", private=\"set-cookie, x\", must-revalidate\n\nx\n\n"
        "Sun Nov  6 08:49:37 1994\n",
        "max-age=99999999999999999999, max-age=1\n\n , ,accept,\n\"a\"\n\n\"a\"",
        "max-age=-1, s-maxage=abc, no-cache=\"a\nno-cache\n\n\n\n",
        "proxy-revalidate,,,=,max-age\n\nVARY\n\nMon, 32 Foo 2024 99:99:99 GMT\n",
        "max-age=0\n\n\n\n\n", "\n\n\n\n\n", "a=1&b=2&a=0&&c=\n",
    ]


def cidr_seeds() -> list[str]:
    return ["10.0.0.0/8\n10.1.2.3", "10.1.2.3/8\n11.0.0.1", "192.168.1.1", "0.0.0.0/0\n::1",
            "fd00::/8\n::ffff:10.0.0.1", "::ffff:10.0.0.0/104\n10.0.0.1", "::/0\n::",
            "::1/128", "1.2.3.4/33", "10.0.0.0/", "/8", "fe80::1%eth0/64", "10.0.0.1/08",
            "127.0.0.1:8080", "[::1]:0", "[::1]:65536", "host.example:443", "1.2.3.4/4294967328",
            "10.0.0.0/8 \n10.0.0.1", "10.0.0.1\x00junk"]


def response_seeds() -> list[str]:
    # Two bytes of settings first (response_reader_fuzz.cpp): arrival size and buffer, HEAD.
    te = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    bodies = [
        "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: application/json\r\n"
        "Content-Length: 5\r\nConnection: keep-alive\r\n\r\nhello",
        te + "5\r\nhello\r\n1;a=b;c=\"d\\\"e\"\r\nx\r\n0\r\nX-T: 1\r\n\r\n",
        "HTTP/1.0 200 OK\r\nConnection: keep-alive, X-A\r\nX-A: 1\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nServer: x\r\n\r\nuntil the close",
        "HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
        "HTTP/1.1 503 \r\nRetry-After: 5\r\nContent-Length: 2, 2\r\n\r\nno",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        # Cases the fuzz target found: repeated names apart, framing or Connection in trailers.
        "HTTP/1.1 200 OK\r\nSet-Cookie: a\r\nX: 5\r\nset-cookie: b\r\n\r\nhello",
        te + "0\r\nTransfer-Encoding: chunked\r\n\r\n",
        te + "0\r\nConnection: close\r\n\r\n",
        te + "3 ;a ; b = c\r\nabc\r\n0;a \r\n\r\n",
    ]
    return [settings + b for b in bodies for settings in ("\x00\x00", "\x31\x00", "\xf3\x01")]


def main() -> int:
    write("config", config_seeds())
    write("router", router_seeds())
    write("request_head", head_seeds())
    write("jwt", jwt_seeds())
    write("cache_control", cache_seeds())
    write("cidr", cidr_seeds())
    write("response_reader", response_seeds())
    return 0


if __name__ == "__main__":
    sys.exit(main())
