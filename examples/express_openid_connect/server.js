'use strict';
/*
 * An Express app signing people in with Auth0's express-openid-connect.
 *
 * Only the glue is ours: settings from the environment, the provider's CA trusted for the
 * library's calls, three pages and a JSON endpoint. Every OpenID Connect decision is the
 * library's default: it asks for an ID token alone (response_type=id_token), posted back
 * (response_mode=form_post), with a nonce and state in a transaction cookie; it checks the ID
 * token against the provider's keys and keeps the session in a cookie encrypted with `secret`;
 * it serves /login, /logout and the callback itself. The settings are those of the library's
 * Getting Started (idpLogout: sign-out goes on to the provider's end-session endpoint) and its
 * "require authentication for specific routes" example (authRequired: false, requiresAuth() on
 * /account), so the home and signed-out pages are public.
 *
 *   OIDC_DISCOVERY_URL=https://127.0.0.1:8443/<tenant>/v2.0/.well-known/openid-configuration \
 *   OIDC_CLIENT_ID=... OIDC_REDIRECT_URI=http://localhost:3000/callback \
 *   OIDC_POST_LOGOUT_REDIRECT_URI=http://localhost:3000/signed-out \
 *   OIDC_CA_FILE=/path/to/ca.pem node server.js --port 3000
 *
 * OIDC_CLIENT_SECRET is passed on when given; the library's default (ID token) flow makes no
 * token request and does not use it.
 */

const crypto = require('node:crypto');
const fs = require('node:fs');
const tls = require('node:tls');

const express = require('express');
const { auth, requiresAuth } = require('express-openid-connect');
const undici = require('undici');

const DEFAULT_PORT = 3000;
const REQUIRED = ['OIDC_DISCOVERY_URL', 'OIDC_CLIENT_ID', 'OIDC_REDIRECT_URI'];

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function urlOf(env, name) {
  try {
    return new URL(env[name]);
  } catch {
    return fail(`${name} is not an absolute URL: ${env[name]}`);
  }
}

function caOf(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    return fail(`OIDC_CA_FILE cannot be read: ${err.message}`);
  }
}

function settingsFromEnv(env, argv) {
  const missing = REQUIRED.filter((name) => !env[name]);
  if (missing.length) fail(`missing environment variable(s): ${missing.join(', ')}`);
  const portFlag = argv.indexOf('--port');
  const rawPort = portFlag >= 0 ? argv[portFlag + 1] : (env.PORT || String(DEFAULT_PORT));
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`bad port: ${rawPort}`);
  urlOf(env, 'OIDC_DISCOVERY_URL');
  const redirectUri = urlOf(env, 'OIDC_REDIRECT_URI');
  const postLogout = env.OIDC_POST_LOGOUT_REDIRECT_URI
    ? urlOf(env, 'OIDC_POST_LOGOUT_REDIRECT_URI') : null;
  return {
    discoveryUrl: env.OIDC_DISCOVERY_URL,
    clientId: env.OIDC_CLIENT_ID,
    clientSecret: env.OIDC_CLIENT_SECRET || undefined,
    baseUrl: redirectUri.origin,
    callbackPath: redirectUri.pathname,
    postLogoutRedirectUri: postLogout ? postLogout.href : '',
    signedOutPath: postLogout ? postLogout.pathname : '/signed-out',
    ca: env.OIDC_CA_FILE ? caOf(env.OIDC_CA_FILE) : '',
    host: env.HOST || '127.0.0.1',
    port,
  };
}

/* The provider's CA, trusted in addition to Node's own roots, for every call the library makes
 * (discovery, keys): its `customFetch` option, with undici as in the library's own proxy
 * example. */
function fetchTrusting(ca) {
  if (!ca) return undefined;
  const dispatcher = new undici.Agent({ connect: { ca: [...tls.rootCertificates, ca] } });
  return (url, options) => undici.fetch(url, { ...options, dispatcher });
}

function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
<nav><a href="/">Home</a> · <a href="/account">Account</a> · <a href="/me">/me</a></nav>
<main>${body}</main>
</body>
</html>`;
}

function createApp(settings) {
  const app = express();
  app.use(auth({
    issuerBaseURL: settings.discoveryUrl,
    baseURL: settings.baseUrl,
    clientID: settings.clientId,
    clientSecret: settings.clientSecret,
    secret: crypto.randomBytes(32).toString('hex'),
    idpLogout: true,
    authRequired: false,
    routes: {
      callback: settings.callbackPath,
      postLogoutRedirect: settings.postLogoutRedirectUri,
    },
    customFetch: fetchTrusting(settings.ca),
  }));

  const nameOf = (user) => user.name || user.preferred_username || user.sub;

  app.get('/', (req, res) => {
    const title = 'express-openid-connect example';
    const body = req.oidc.isAuthenticated()
      ? `<h1>${title}</h1>
<p>Signed in as <strong id="signed-in-as">${escapeHtml(nameOf(req.oidc.user))}</strong></p>
<p><a href="/logout">Sign out</a></p>`
      : `<h1>${title}</h1>
<p id="signed-out">Not signed in.</p>
<p><a href="/login">Sign in</a></p>`;
    res.send(page(title, body));
  });

  app.get('/account', requiresAuth(), (req, res) => {
    const user = req.oidc.user;
    res.send(page('Account', `<h1>Account</h1>
<p>Signed in as <strong id="signed-in-as">${escapeHtml(nameOf(user))}</strong></p>
<p id="username">${escapeHtml(user.preferred_username)}</p>
<p><a href="/logout">Sign out</a></p>`));
  });

  app.get('/me', (req, res) => {
    if (!req.oidc.isAuthenticated()) {
      res.status(401).json({ error: 'not signed in' });
      return;
    }
    const user = req.oidc.user;
    res.json({ name: user.name, preferred_username: user.preferred_username, sub: user.sub });
  });

  app.get(settings.signedOutPath, (req, res) => {
    res.send(page('Signed out', '<h1>You are signed out</h1>\n<p><a href="/account">Sign in again</a></p>'));
  });

  return app;
}

function main() {
  const settings = settingsFromEnv(process.env, process.argv.slice(2));
  let app;
  try {
    app = createApp(settings);
  } catch (err) {
    fail(`express-openid-connect refused its settings: ${err.message}`);
  }
  const server = app.listen(settings.port, settings.host, () => {
    const { port } = server.address();
    process.stdout.write(`listening on http://${settings.host}:${port}\n`);
  });
  server.on('error', (err) => fail(`cannot listen on ${settings.host}:${settings.port}: ${err.message}`));
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
