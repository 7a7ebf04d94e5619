'use strict';
/*
 * An Express app signing people in with Passport's OpenID Connect strategy
 * (passport-openidconnect).
 *
 * Only the glue is ours: settings from the environment, the provider's discovery document read
 * once at start-up (the strategy takes its endpoints as options and does no discovery), four
 * pages and a JSON endpoint. Every OpenID Connect decision (scope handling, state, nonce, PKCE,
 * which ID-token checks run, what a failed sign-in answers) is the strategy's default.
 * Sign-out follows the strategy author's own example app: end the local session, then send the
 * browser to the provider's end-session endpoint (the strategy has no sign-out of its own).
 *
 *   OIDC_DISCOVERY_URL=https://127.0.0.1:8443/<tenant>/v2.0/.well-known/openid-configuration \
 *   OIDC_CLIENT_ID=... OIDC_CLIENT_SECRET=... \
 *   OIDC_REDIRECT_URI=http://localhost:3000/auth/callback \
 *   OIDC_POST_LOGOUT_REDIRECT_URI=http://localhost:3000/signed-out \
 *   OIDC_CA_FILE=/path/to/ca.pem node server.js --port 3000
 */

const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const tls = require('node:tls');

const express = require('express');
const session = require('express-session');
const passport = require('passport');
const OpenIDConnectStrategy = require('passport-openidconnect');

const DEFAULT_PORT = 3000;
const REQUIRED = ['OIDC_DISCOVERY_URL', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_REDIRECT_URI'];

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
  urlOf(env, 'OIDC_REDIRECT_URI');
  if (env.OIDC_POST_LOGOUT_REDIRECT_URI) urlOf(env, 'OIDC_POST_LOGOUT_REDIRECT_URI');
  return {
    discoveryUrl: env.OIDC_DISCOVERY_URL,
    clientId: env.OIDC_CLIENT_ID,
    clientSecret: env.OIDC_CLIENT_SECRET,
    redirectUri: env.OIDC_REDIRECT_URI,
    postLogoutRedirectUri: env.OIDC_POST_LOGOUT_REDIRECT_URI || '',
    caFile: env.OIDC_CA_FILE || '',
    ca: env.OIDC_CA_FILE ? caOf(env.OIDC_CA_FILE) : '',
    host: env.HOST || '127.0.0.1',
    port,
  };
}

/* The provider's CA, trusted in addition to Node's own roots, for the strategy's token calls
 * and the discovery request. */
function agentFor(ca) {
  if (!ca) return undefined;
  return new https.Agent({ ca: [...tls.rootCertificates, ca] });
}

/* Node's codes for a certificate chain it cannot verify. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_UNTRUSTED',
]);

function trustHint(err, settings) {
  if (!UNTRUSTED.has(err.code)) return '';
  return settings.caFile
    ? ` (is OIDC_CA_FILE ${settings.caFile} the CA the mock printed?)`
    : ' (set OIDC_CA_FILE to the CA the mock printed)';
}

function getJson(url, agent) {
  return new Promise((resolve, reject) => {
    const client = new URL(url).protocol === 'https:' ? https : http;
    const options = client === https ? { agent, timeout: 10000 } : { timeout: 10000 };
    const request = client.get(url, options, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => {
        if (response.statusCode !== 200) {
          reject(new Error(`${url} answered ${response.statusCode}`));
          return;
        }
        try {
          resolve(JSON.parse(body));
        } catch (err) {
          reject(new Error(`${url} is not JSON: ${err.message}`));
        }
      });
    });
    request.on('timeout', () => request.destroy(new Error(`${url} timed out`)));
    request.on('error', reject);
  });
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

function createApp(settings, metadata, agent) {
  passport.use(new OpenIDConnectStrategy({
    issuer: metadata.issuer,
    authorizationURL: metadata.authorization_endpoint,
    tokenURL: metadata.token_endpoint,
    userInfoURL: metadata.userinfo_endpoint,
    clientID: settings.clientId,
    clientSecret: settings.clientSecret,
    callbackURL: settings.redirectUri,
    scope: ['profile'],
    agent,
  }, (issuer, profile, done) => done(null, {
    id: profile.id,
    name: profile.displayName,
    username: profile.username,
    issuer,
  })));
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user, done) => done(null, user));

  const app = express();
  app.use(session({
    secret: crypto.randomBytes(32).toString('hex'),
    resave: false,
    saveUninitialized: false,
  }));
  app.use(passport.authenticate('session'));

  const callbackPath = new URL(settings.redirectUri).pathname;
  const signedOutPath = settings.postLogoutRedirectUri
    ? new URL(settings.postLogoutRedirectUri).pathname : '/signed-out';

  app.get('/', (req, res) => {
    const body = req.user
      ? `<h1>Passport OpenID Connect example</h1>
<p>Signed in as <strong id="signed-in-as">${escapeHtml(req.user.name)}</strong></p>
<p><a href="/logout">Sign out</a></p>`
      : `<h1>Passport OpenID Connect example</h1>
<p id="signed-out">Not signed in.</p>
<p><a href="/login">Sign in</a></p>`;
    res.send(page('Passport OpenID Connect example', body));
  });

  app.get('/login', passport.authenticate('openidconnect'));
  app.get(callbackPath, passport.authenticate('openidconnect', {
    successReturnToOrRedirect: '/account',
  }));

  app.get('/account', (req, res) => {
    if (!req.user) {
      req.session.returnTo = req.originalUrl;
      res.redirect('/login');
      return;
    }
    res.send(page('Account', `<h1>Account</h1>
<p>Signed in as <strong id="signed-in-as">${escapeHtml(req.user.name)}</strong></p>
<p id="username">${escapeHtml(req.user.username)}</p>
<p><a href="/logout">Sign out</a></p>`));
  });

  app.get('/me', (req, res) => {
    if (!req.user) {
      res.status(401).json({ error: 'not signed in' });
      return;
    }
    res.json({ name: req.user.name, preferred_username: req.user.username, sub: req.user.id });
  });

  app.get('/logout', (req, res, next) => {
    req.logout((err) => {
      if (err) { next(err); return; }
      const endSession = metadata.end_session_endpoint;
      if (!endSession) {
        res.redirect(signedOutPath);
        return;
      }
      const target = new URL(endSession);
      target.searchParams.set('client_id', settings.clientId);
      if (settings.postLogoutRedirectUri) {
        target.searchParams.set('post_logout_redirect_uri', settings.postLogoutRedirectUri);
      }
      res.redirect(target.href);
    });
  });

  app.get(signedOutPath, (req, res) => {
    res.send(page('Signed out', '<h1>You are signed out</h1>\n<p><a href="/account">Sign in again</a></p>'));
  });

  return app;
}

async function main() {
  const settings = settingsFromEnv(process.env, process.argv.slice(2));
  const agent = agentFor(settings.ca);
  let metadata;
  try {
    metadata = await getJson(settings.discoveryUrl, agent);
  } catch (err) {
    fail(`could not read the provider's discovery document: ${err.message}`
         + trustHint(err, settings));
  }
  const app = createApp(settings, metadata, agent);
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
