'use strict';
/*
 * An Express web app signing people in with @azure/msal-node's ConfidentialClientApplication,
 * written as Microsoft's tutorial "Sign in users in a Node.js web app" (its AuthProvider class)
 * writes it, with express-session's default cookie.
 *
 * Only the glue is ours: settings from the environment, the provider's CA, four pages and a
 * JSON endpoint. The rest is the tutorial's: cloud-discovery and authority metadata fetched once
 * and handed to MSAL; getAuthCodeUrl with a PKCE challenge and response_mode=form_post, the
 * verifier and the requests kept in the session; acquireTokenByCode with the posted answer
 * (MSAL compares its state); the account kept in the session; sign-out ending the session, then
 * the authority's logout endpoint with post_logout_redirect_uri; Express's error handler as the
 * tutorial's express-generator app has it (the message, and the stack outside production).
 * One change: the tutorial asks https://login.microsoftonline.com/common/discovery/instance for
 * the cloud-discovery metadata; this app asks the authority's own host, which the mock answers.
 *
 *   OIDC_AUTHORITY=https://localhost:8443/<tenant> OIDC_CLIENT_ID=... OIDC_CLIENT_SECRET=... \
 *   OIDC_REDIRECT_URI=http://127.0.0.1:3000/auth/callback \
 *   OIDC_POST_LOGOUT_REDIRECT_URI=http://127.0.0.1:3000/signed-out \
 *   OIDC_CA_FILE=/path/to/ca.pem node server.js --port 3000
 */

const crypto = require('node:crypto');
const fs = require('node:fs');
const https = require('node:https');
const tls = require('node:tls');

const msal = require('@azure/msal-node');
const axios = require('axios');
const express = require('express');
const session = require('express-session');
const undici = require('undici');

const DEFAULT_PORT = 3000;
const REQUIRED = ['OIDC_AUTHORITY', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_REDIRECT_URI'];

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
  if (urlOf(env, 'OIDC_AUTHORITY').protocol !== 'https:') {
    fail(`OIDC_AUTHORITY must be an https URL (MSAL takes no other): ${env.OIDC_AUTHORITY}`);
  }
  urlOf(env, 'OIDC_REDIRECT_URI');
  if (env.OIDC_POST_LOGOUT_REDIRECT_URI) urlOf(env, 'OIDC_POST_LOGOUT_REDIRECT_URI');
  return {
    authority: env.OIDC_AUTHORITY.replace(/\/+$/, ''),
    clientId: env.OIDC_CLIENT_ID,
    clientSecret: env.OIDC_CLIENT_SECRET,
    redirectUri: env.OIDC_REDIRECT_URI,
    postLogoutRedirectUri: env.OIDC_POST_LOGOUT_REDIRECT_URI || '',
    ca: env.OIDC_CA_FILE ? caOf(env.OIDC_CA_FILE) : '',
    host: env.HOST || '127.0.0.1',
    port,
  };
}

/* The tutorial's AuthProvider: MSAL does the protocol, the session keeps its requests. */
class AuthProvider {
  constructor(msalConfig) {
    this.msalConfig = msalConfig;
    this.cryptoProvider = new msal.CryptoProvider();
  }

  login(options) {
    return async (req, res, next) => {
      const state = this.cryptoProvider.base64Encode(
        JSON.stringify({ successRedirect: options.successRedirect || '/' }));
      const params = { state, scopes: options.scopes || [], redirectUri: options.redirectUri };
      try {
        if (!this.msalConfig.auth.cloudDiscoveryMetadata || !this.msalConfig.auth.authorityMetadata) {
          const [cloudDiscoveryMetadata, authorityMetadata] = await Promise.all([
            this.getCloudDiscoveryMetadata(this.msalConfig.auth.authority),
            this.getAuthorityMetadata(this.msalConfig.auth.authority),
          ]);
          this.msalConfig.auth.cloudDiscoveryMetadata = JSON.stringify(cloudDiscoveryMetadata);
          this.msalConfig.auth.authorityMetadata = JSON.stringify(authorityMetadata);
        }
        const msalInstance = new msal.ConfidentialClientApplication(this.msalConfig);
        const { verifier, challenge } = await this.cryptoProvider.generatePkceCodes();
        req.session.pkceCodes = { challengeMethod: 'S256', verifier, challenge };
        req.session.authCodeUrlRequest = {
          ...params,
          responseMode: msal.ResponseMode.FORM_POST,
          codeChallenge: challenge,
          codeChallengeMethod: 'S256',
        };
        req.session.authCodeRequest = { ...params, code: '' };
        res.redirect(await msalInstance.getAuthCodeUrl(req.session.authCodeUrlRequest));
      } catch (error) {
        next(error);
      }
    };
  }

  handleRedirect() {
    return async (req, res, next) => {
      if (!req.body || !req.body.state) {
        next(new Error('Error: response not found'));
        return;
      }
      try {
        const authCodeRequest = {
          ...req.session.authCodeRequest,
          code: req.body.code,
          codeVerifier: req.session.pkceCodes.verifier,
        };
        const msalInstance = new msal.ConfidentialClientApplication(this.msalConfig);
        if (req.session.tokenCache) msalInstance.getTokenCache().deserialize(req.session.tokenCache);
        const tokenResponse = await msalInstance.acquireTokenByCode(authCodeRequest, req.body);
        req.session.tokenCache = msalInstance.getTokenCache().serialize();
        req.session.idToken = tokenResponse.idToken;
        req.session.account = tokenResponse.account;
        req.session.isAuthenticated = true;
        const state = JSON.parse(this.cryptoProvider.base64Decode(req.body.state));
        res.redirect(state.successRedirect);
      } catch (error) {
        next(error);
      }
    };
  }

  logout(options) {
    return (req, res) => {
      let logoutUri = `${this.msalConfig.auth.authority}/oauth2/v2.0/`;
      if (options.postLogoutRedirectUri) {
        logoutUri += `logout?post_logout_redirect_uri=${options.postLogoutRedirectUri}`;
      }
      req.session.destroy(() => res.redirect(logoutUri));
    };
  }

  async getCloudDiscoveryMetadata(authority) {
    const response = await axios.get(`${new URL(authority).origin}/common/discovery/instance`, {
      params: { 'api-version': '1.1', authorization_endpoint: `${authority}/oauth2/v2.0/authorize` },
    });
    return response.data;
  }

  async getAuthorityMetadata(authority) {
    const response = await axios.get(`${authority}/v2.0/.well-known/openid-configuration`);
    return response.data;
  }
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
  const authProvider = new AuthProvider({
    auth: {
      clientId: settings.clientId,
      authority: settings.authority,
      clientSecret: settings.clientSecret,
    },
  });
  const callbackPath = new URL(settings.redirectUri).pathname;
  const signedOutPath = settings.postLogoutRedirectUri
    ? new URL(settings.postLogoutRedirectUri).pathname : '/signed-out';

  const app = express();
  app.use(session({
    secret: crypto.randomBytes(32).toString('hex'),
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, secure: false },
  }));
  app.use(express.urlencoded({ extended: false }));

  const nameOf = (req) => (req.session.account ? req.session.account.name : '');

  app.get('/', (req, res) => {
    const body = req.session.isAuthenticated
      ? `<h1>MSAL Node example</h1>
<p>Signed in as <strong id="signed-in-as">${escapeHtml(nameOf(req))}</strong></p>
<p><a href="/logout">Sign out</a></p>`
      : `<h1>MSAL Node example</h1>
<p id="signed-out">Not signed in.</p>
<p><a href="/login">Sign in</a></p>`;
    res.send(page('MSAL Node example', body));
  });

  app.get('/login', authProvider.login({
    scopes: [], redirectUri: settings.redirectUri, successRedirect: '/account',
  }));
  app.post(callbackPath, authProvider.handleRedirect());
  app.get('/logout', authProvider.logout({
    postLogoutRedirectUri: settings.postLogoutRedirectUri,
  }));

  app.get('/account', (req, res) => {
    if (!req.session.isAuthenticated) {
      res.redirect('/login');
      return;
    }
    res.send(page('Account', `<h1>Account</h1>
<p>Signed in as <strong id="signed-in-as">${escapeHtml(nameOf(req))}</strong></p>
<p id="username">${escapeHtml(req.session.account.username)}</p>
<p><a href="/logout">Sign out</a></p>`));
  });

  app.get('/me', (req, res) => {
    if (!req.session.isAuthenticated) {
      res.status(401).json({ error: 'not signed in' });
      return;
    }
    const { account } = req.session;
    res.json({ name: account.name, preferred_username: account.username,
               oid: account.localAccountId });
  });

  app.get(signedOutPath, (req, res) => {
    res.send(page('Signed out', '<h1>You are signed out</h1>\n<p><a href="/account">Sign in again</a></p>'));
  });

  // The tutorial's error handler (express-generator's): the message, and the stack trace
  // unless NODE_ENV=production.
  app.use((err, req, res, next) => { // eslint-disable-line no-unused-vars
    const shown = req.app.get('env') === 'development' ? err.stack : '';
    res.status(err.status || 500);
    res.send(page('Error', `<h1>${escapeHtml(err.message)}</h1>
<h2>${escapeHtml(err.status)}</h2>
<pre>${escapeHtml(shown)}</pre>`));
  });

  return app;
}

function main() {
  const settings = settingsFromEnv(process.env, process.argv.slice(2));
  if (settings.ca) {
    // The provider's CA, trusted in addition to Node's own roots: by Node's fetch, which MSAL's
    // own HTTP client uses (through undici's global dispatcher, which Node's fetch shares), and
    // by the global https agent, which axios uses.
    const ca = [...tls.rootCertificates, settings.ca];
    undici.setGlobalDispatcher(new undici.Agent({ connect: { ca } }));
    https.globalAgent.options.ca = ca;
  }
  const app = createApp(settings);
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
