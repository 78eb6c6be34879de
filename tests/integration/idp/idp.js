// Identity provider for the integration tests: oauth2-mock-server's issuer (token endpoint,
// JWKS) on 127.0.0.1 with an ephemeral port, plus what the tests need around it:
//   - POST /introspect answers for the tokens this issuer signed (RFC 7662), counting calls
//     and checking the client's Basic credentials (the mock's own endpoint cannot read a form);
//   - commands on stdin, one JSON answer per line on stdout:
//       rotate   new RS256 key, old ones removed from the JWKS  -> {"kid": "..."}
//       revoke T introspection says inactive for token T      -> {"ok": true}
//       stats                                                  -> {"introspect": n, "jwks": n}
// The first stdout line is {"port": N}. Exits when stdin closes. An optional argument is the
// port to listen on (a test that starts the gateway before its provider); 0 by default.
'use strict';

const http = require('node:http');
const readline = require('node:readline');
const { OAuth2Server, JWKStore } = require('oauth2-mock-server');

const CLIENT = 'Basic ' + Buffer.from('gw:gw-secret').toString('base64');
const server = new OAuth2Server();
const revoked = new Set();
const counts = { introspect: 0, jwks: 0 };

// A fresh key store holding only the new key: the issuer signs with it and the JWKS lists it.
async function rotate() {
  const store = new JWKStore();
  const key = await store.generate('RS256');
  Object.defineProperty(server.issuer, 'keys', { get: () => store, configurable: true });
  return key.kid;
}

function introspect(req, res, body) {
  counts.introspect++;
  const reply = (status, obj) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(obj));
  };
  if (req.headers.authorization !== CLIENT) return reply(401, { error: 'invalid_client' });
  const token = new URLSearchParams(body).get('token') || '';
  const parts = token.split('.');
  if (parts.length !== 3 || revoked.has(token)) return reply(200, { active: false });
  let claims;
  try {
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
  } catch (e) {
    return reply(200, { active: false });
  }
  reply(200, { active: true, sub: claims.sub || 'client', scope: claims.scope,
               exp: claims.exp, client_id: 'app' });
}

function handle(req, res) {
  if (req.method === 'POST' && req.url === '/introspect') {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => introspect(req, res, body));
    return;
  }
  if (req.url === '/jwks') counts.jwks++;
  server.service.requestHandler(req, res);
}

async function command(line) {
  const [cmd, arg] = line.trim().split(/\s+/, 2);
  if (cmd === 'rotate') return { kid: await rotate() };
  if (cmd === 'revoke') { revoked.add(arg); return { ok: true }; }
  if (cmd === 'stats') return counts;
  return { error: 'unknown command' };
}

async function main() {
  await rotate();
  const http_server = http.createServer(handle);
  http_server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
    const port = http_server.address().port;
    server.issuer.url = `http://127.0.0.1:${port}`;
    process.stdout.write(JSON.stringify({ port }) + '\n');
  });
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', async (line) => {
    process.stdout.write(JSON.stringify(await command(line)) + '\n');
  });
  rl.on('close', () => process.exit(0));
}

main();
