'use strict';
/*
 * A static server for a single-page app on MSAL.js (@azure/msal-browser).
 *
 * Only glue: it serves the page (one index.html for every route of the app), its script, MSAL's
 * UMD bundle from node_modules, and config.js, the settings from the environment. The browser
 * does the rest: MSAL.js starts the sign-in, redeems the code at the provider's token endpoint
 * itself (cross-origin, PKCE, no secret) and keeps the tokens. The provider must list the
 * redirect URI as a single-page app's (Graph `spa.redirectUris`). The page is also served at the
 * paths of the redirect URI and the post-logout redirect URI. `npm ci` here first: it installs
 * MSAL's bundle, without which the server refuses to start.
 *
 *   OIDC_AUTHORITY=https://localhost:8443/<tenant> OIDC_CLIENT_ID=... \
 *   OIDC_REDIRECT_URI=http://127.0.0.1:3000/auth/callback \
 *   OIDC_POST_LOGOUT_REDIRECT_URI=http://127.0.0.1:3000/signed-out \
 *   SUPPORT_CONTACT=helpdesk@contoso.example node server.js --port 3000
 */

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const DEFAULT_PORT = 3000;
const REQUIRED = ['OIDC_AUTHORITY', 'OIDC_CLIENT_ID', 'OIDC_REDIRECT_URI'];
const ROUTES = ['/', '/login', '/account', '/logout', '/signed-out'];
const BUNDLE = path.join(__dirname, 'node_modules/@azure/msal-browser/lib/msal-browser.js');

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function urlOf(env, name) {
  try {
    return new URL(env[name]);
  } catch {
    return fail(`${name} is not a URL: ${env[name]}`);
  }
}

function settingsFromEnv(env, argv) {
  const missing = REQUIRED.filter((name) => !env[name]);
  if (missing.length) fail(`missing environment variable(s): ${missing.join(', ')}`);
  const portFlag = argv.indexOf('--port');
  const rawPort = portFlag >= 0 ? argv[portFlag + 1] : (env.PORT || String(DEFAULT_PORT));
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`bad port: ${rawPort}`);
  return {
    browser: {
      authority: env.OIDC_AUTHORITY,
      clientId: env.OIDC_CLIENT_ID,
      redirectUri: env.OIDC_REDIRECT_URI,
      postLogoutRedirectUri: env.OIDC_POST_LOGOUT_REDIRECT_URI || '',
      knownAuthorities: [urlOf(env, 'OIDC_AUTHORITY').host],
      supportContact: env.SUPPORT_CONTACT || '',
    },
    callbackPath: urlOf(env, 'OIDC_REDIRECT_URI').pathname,
    signedOutPath: env.OIDC_POST_LOGOUT_REDIRECT_URI
      ? urlOf(env, 'OIDC_POST_LOGOUT_REDIRECT_URI').pathname : '/signed-out',
    host: env.HOST || '127.0.0.1',
    port,
  };
}

function files(settings) {
  const here = (name) => ({ file: path.join(__dirname, name) });
  const page = { ...here('index.html'), type: 'text/html; charset=utf-8' };
  const json = JSON.stringify(settings.browser).replace(/</g, '\\u003c');
  const config = `window.spaConfig = ${json};\n`;
  const table = {
    '/app.js': { ...here('app.js'), type: 'text/javascript; charset=utf-8' },
    '/msal-browser.js': { file: BUNDLE, type: 'text/javascript; charset=utf-8' },
    '/config.js': { body: config, type: 'text/javascript; charset=utf-8' },
  };
  for (const route of [...ROUTES, settings.callbackPath, settings.signedOutPath]) {
    table[route] = page;
  }
  return table;
}

function serve(table) {
  return (req, res) => {
    const entry = table[new URL(req.url, 'http://app').pathname];
    if (!entry || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(entry ? 405 : 404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(entry ? 'Method Not Allowed' : 'Not Found');
      return;
    }
    let body = entry.body;
    if (body === undefined) {
      try {
        body = fs.readFileSync(entry.file);
      } catch (err) {
        process.stderr.write(`cannot read ${entry.file}: ${err.message}\n`);
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('Internal Server Error');
        return;
      }
    }
    res.writeHead(200, { 'Content-Type': entry.type, 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

function main() {
  const settings = settingsFromEnv(process.env, process.argv.slice(2));
  if (!fs.existsSync(BUNDLE)) {
    fail('MSAL.js is not installed (no node_modules/@azure/msal-browser beside server.js): '
         + 'run npm ci in examples/msal_spa first');
  }
  const server = http.createServer(serve(files(settings)));
  server.on('error', (err) => {
    fail(`cannot listen on ${settings.host}:${settings.port}: ${err.message}`);
  });
  server.listen(settings.port, settings.host, () => {
    const { port } = server.address();
    process.stdout.write(`listening on http://${settings.host}:${port}\n`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
