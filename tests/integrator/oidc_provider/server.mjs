// A certified OpenID provider (panva/node-oidc-provider) with one client and one test user,
// for the integrator-mode tests. Everything comes from the environment:
//   OP_PORT            port to listen on (127.0.0.1); 0 picks one
//   OP_CLIENT_ID       the client's id; OP_CLIENT_SECRET its secret
//   OP_AUTH_METHOD     client_secret_basic (default) or client_secret_post
//   OP_REDIRECT_URIS   space-separated exact redirect URIs (the RP's /auth/callback)
//   OP_POST_LOGOUT_URIS space-separated post-logout redirect URIs (the RP's /signed-out)
//   OP_USER            the only login accepted (the password is not checked by the
//                      development sign-in form); its name is OP_USER_NAME
// Prints "listening <issuer>" on stdout once it accepts connections.
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const env = process.env;
const words = (value) => (value || '').split(/\s+/).filter(Boolean);
const login = env.OP_USER || 'tester';
const account = {
  accountId: login,
  async claims() {
    return {
      sub: login,
      name: env.OP_USER_NAME || 'Terry Tester',
      email: `${login}@example.test`,
      email_verified: true,
    };
  },
};

const server = createServer();
server.listen(Number(env.OP_PORT || 0), '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: env.OP_CLIENT_ID,
      client_secret: env.OP_CLIENT_SECRET,
      token_endpoint_auth_method: env.OP_AUTH_METHOD || 'client_secret_basic',
      grant_types: ['authorization_code', 'client_credentials'],
      response_types: ['code'],
      redirect_uris: words(env.OP_REDIRECT_URIS),
      post_logout_redirect_uris: words(env.OP_POST_LOGOUT_URIS),
    }],
    claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
    cookies: { keys: ['sso-harness-test-cookie-key'] },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // The stock page loads web fonts; these tests run offline.
        async logoutSource(ctx, form) {
          ctx.body = `<!DOCTYPE html><title>Sign out</title><h1>Sign out?</h1>${form}
            <button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
            <button type="submit" form="op.logoutForm">No, stay signed in</button>`;
        },
      },
    },
    async findAccount(ctx, id) {
      return id === login ? account : undefined;
    },
    // A first-party client: consent is implied, so sign-in goes straight back to the RP.
    async loadExistingGrant(ctx) {
      const { Grant } = ctx.oidc.provider;
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        return Grant.find(grantId);
      }
      const grant = new Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid profile email');
      await grant.save();
      return grant;
    },
  });
  server.on('request', provider.callback());
  console.log(`listening ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
