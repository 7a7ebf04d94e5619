/*
 * An Express app signing people in with Auth.js (@auth/express) and its Microsoft Entra ID
 * provider, set up as Auth.js's Express guide sets it up.
 *
 * Only the glue is ours: three pages, a JSON endpoint and the forms that start sign-in and
 * sign-out, the provider's CA trusted. Every OpenID Connect decision is Auth.js's default: the
 * issuer's discovery document, the authorization code flow with PKCE (no state, no nonce), its
 * verifier in Auth.js's own cookie, the code redeemed with the client secret, the ID token's
 * claims checked by oauth4webapi (its signature not: it comes from the token endpoint over
 * TLS), and the session kept in Auth.js's encrypted session cookie. Auth.js signs out of the
 * app only: it never sends the browser to the provider's end-session endpoint.
 *
 *   OIDC_AUTHORITY=https://127.0.0.1:8443/<tenant> OIDC_CLIENT_ID=... OIDC_CLIENT_SECRET=... \
 *   OIDC_REDIRECT_URI=http://127.0.0.1:3000/auth/callback/microsoft-entra-id \
 *   OIDC_CA_FILE=/path/to/ca.pem node server.js --port 3000
 *
 * The provider's issuer is OIDC_AUTHORITY's v2.0 one, as Auth.js's guide writes it. The
 * redirect URI is Auth.js's own (its path is checked; its origin is the request's). AUTH_SECRET
 * encrypts the session cookie (without it each start makes a new one); GRAPH_URL (default
 * https://graph.microsoft.com) is where the user's photo is fetched.
 */

import crypto from 'node:crypto';
import fs from 'node:fs';
import tls from 'node:tls';

import { Auth, createActionURL } from '@auth/core';
import { ExpressAuth, getSession } from '@auth/express';
import MicrosoftEntraID from '@auth/express/providers/microsoft-entra-id';
import express from 'express';
import * as undici from 'undici';

const DEFAULT_PORT = 3000;
const PROVIDER = 'microsoft-entra-id';
const CALLBACK = `/auth/callback/${PROVIDER}`;
const REQUIRED = ['OIDC_AUTHORITY', 'OIDC_CLIENT_ID', 'OIDC_REDIRECT_URI'];

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function portOf(env, argv) {
  const flag = argv.indexOf('--port');
  const raw = flag >= 0 ? argv[flag + 1] : (env.PORT || String(DEFAULT_PORT));
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`bad port: ${raw}`);
  return port;
}

function urlOf(env, name) {
  try {
    return new URL(env[name]);
  } catch {
    return fail(`${name} is not an absolute URL: ${env[name]}`);
  }
}

/* The provider's CA, trusted in addition to Node's own roots, by Node's fetch, which Auth.js
 * uses (through undici's global dispatcher, which Node's fetch shares). */
function trustCa(file) {
  let ca;
  try {
    ca = fs.readFileSync(file, 'utf8');
  } catch (err) {
    fail(`OIDC_CA_FILE cannot be read: ${err.message}`);
  }
  undici.setGlobalDispatcher(new undici.Agent({ connect: { ca: [...tls.rootCertificates, ca] } }));
}

function authConfig(env) {
  const missing = REQUIRED.filter((name) => !env[name]);
  if (missing.length) fail(`missing environment variable(s): ${missing.join(', ')}`);
  const authority = urlOf(env, 'OIDC_AUTHORITY').href.replace(/\/$/, '');
  // Auth.js's callback is <base URL>/auth/callback/<provider id>, from the request's origin.
  const callback = urlOf(env, 'OIDC_REDIRECT_URI').pathname;
  if (callback !== CALLBACK) fail(`OIDC_REDIRECT_URI must end at Auth.js's callback ${CALLBACK}`);
  if (env.OIDC_CA_FILE) trustCa(env.OIDC_CA_FILE);
  const graphUrl = (env.GRAPH_URL || 'https://graph.microsoft.com').replace(/\/$/, '');
  return {
    secret: env.AUTH_SECRET || crypto.randomBytes(32).toString('hex'),
    trustHost: true,
    providers: [MicrosoftEntraID({
      clientId: env.OIDC_CLIENT_ID,
      clientSecret: env.OIDC_CLIENT_SECRET,
      issuer: `${authority}/v2.0`,
      // The provider's own profile(), but with Microsoft Graph's base from GRAPH_URL: it
      // fetches the user's photo from https://graph.microsoft.com, and a sign-in whose fetch
      // fails (no route to Microsoft's servers, as on a test machine) is dropped.
      async profile(claims, tokens) {
        const response = await fetch(`${graphUrl}/v1.0/me/photos/48x48/$value`,
          { headers: { Authorization: `Bearer ${tokens.access_token}` } });
        const image = response.ok
          ? `data:image/jpeg;base64, ${Buffer.from(await response.arrayBuffer()).toString('base64')}`
          : null;
        return { id: claims.sub, name: claims.name, email: claims.email, image };
      },
    })],
    pages: { signIn: '/login' },
  };
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

/* Auth.js takes sign-in and sign-out as POSTs with its CSRF token, which its client library
 * fetches from /auth/csrf first: the same, on the server. */
async function csrfToken(req, res, config) {
  const url = createActionURL('csrf', req.protocol, new Headers(req.headers), process.env, config);
  const response = await Auth(new Request(url, { headers: { cookie: req.headers.cookie ?? '' } }),
    config);
  for (const cookie of response.headers.getSetCookie()) res.append('Set-Cookie', cookie);
  return (await response.json()).csrfToken;
}

function form(action, token, callbackUrl, label, id) {
  return `<form id="${id}" action="${action}" method="post">
<input type="hidden" name="csrfToken" value="${escapeHtml(token)}">
<input type="hidden" name="callbackUrl" value="${escapeHtml(callbackUrl)}">
<button type="submit">${label}</button>
</form>`;
}

function localPath(value, fallback) {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//')
    ? value : fallback;
}

function createApp(config) {
  const app = express();
  app.set('trust proxy', true);
  app.use('/auth', ExpressAuth(config));
  app.use(async (req, res, next) => {
    try {
      res.locals.session = await getSession(req, config);
      next();
    } catch (err) {
      next(err);
    }
  });

  const signedIn = async (req, res, title) => {
    const { user } = res.locals.session;
    const signOut = form('/auth/signout', await csrfToken(req, res, config), '/signed-out',
      'Sign out', 'sign-out');
    return page(title, `<h1>${escapeHtml(title)}</h1>
<p>Signed in as <strong id="signed-in-as">${escapeHtml(user.name)}</strong></p>
<p id="email">${escapeHtml(user.email)}</p>
${signOut}`);
  };

  app.get('/', async (req, res) => {
    if (res.locals.session) {
      res.send(await signedIn(req, res, 'Auth.js example'));
      return;
    }
    res.send(page('Auth.js example', `<h1>Auth.js example</h1>
<p id="signed-out">Not signed in.</p>
<p><a href="/login">Sign in</a></p>`));
  });

  app.get('/login', async (req, res) => {
    const callbackUrl = localPath(req.query.callbackUrl, '/account');
    const error = req.query.error ? `<p id="error">Sign-in failed: ${escapeHtml(req.query.error)}</p>` : '';
    const signIn = form(`/auth/signin/${PROVIDER}`, await csrfToken(req, res, config),
      callbackUrl, 'Sign in with Microsoft Entra ID', 'sign-in');
    // Straight on to the provider, as Auth.js's signIn() does, unless a sign-in just failed.
    const submit = error ? '' : '<script>document.getElementById("sign-in").submit()</script>';
    res.send(page('Sign in', `<h1>Sign in</h1>\n${error}${signIn}\n${submit}`));
  });

  app.get('/account', async (req, res) => {
    if (!res.locals.session) {
      res.redirect(`/login?${new URLSearchParams({ callbackUrl: '/account' })}`);
      return;
    }
    res.send(await signedIn(req, res, 'Account'));
  });

  app.get('/me', (req, res) => {
    const session = res.locals.session;
    if (!session) {
      res.status(401).json({ error: 'not signed in' });
      return;
    }
    res.json({ name: session.user.name, email: session.user.email });
  });

  app.get('/signed-out', (req, res) => {
    res.send(page('Signed out', '<h1>You are signed out</h1>\n<p><a href="/account">Sign in again</a></p>'));
  });

  return app;
}

function main() {
  const port = portOf(process.env, process.argv.slice(2));
  const host = process.env.HOST || '127.0.0.1';
  const app = createApp(authConfig(process.env));
  const server = app.listen(port, host, () => {
    process.stdout.write(`listening on http://${host}:${server.address().port}\n`);
  });
  server.on('error', (err) => fail(`cannot listen on ${host}:${port}: ${err.message}`));
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
