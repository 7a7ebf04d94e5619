// A confidential client built on @azure/msal-node, driven line by line over stdin/stdout:
// it prints the authorization URL, reads the code the test obtained by signing in, redeems it,
// then asks for the same scopes silently. With `refreshAfterInput` it then waits for a line
// (the test moves the provider's clock meanwhile) and refreshes twice, acquireTokenSilent with
// forceRefresh and acquireTokenByRefreshToken, printing the error each raised. Each answer is
// one JSON line.
import { createInterface } from "node:readline";
import { ConfidentialClientApplication } from "@azure/msal-node";

const config = JSON.parse(process.env.MSAL_CLIENT_CONFIG);
const say = (value) => process.stdout.write(JSON.stringify(value) + "\n");
const summary = (result) => ({
  fromCache: result.fromCache,
  scopes: result.scopes,
  accessToken: result.accessToken,
  username: result.account ? result.account.username : null,
});
const failure = async (call) => {
  try {
    await call();
    return { name: "none" };
  } catch (error) {
    return { name: error.name, errorCode: error.errorCode, subError: error.subError, errorNo: error.errorNo };
  }
};
const refreshTokenOf = (app) =>
  Object.values(JSON.parse(app.getTokenCache().serialize()).RefreshToken)[0].secret;

const app = new ConfidentialClientApplication({
  auth: {
    clientId: config.clientId,
    authority: config.authority,
    clientSecret: config.clientSecret,
    knownAuthorities: [new URL(config.authority).host],
  },
});
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

try {
  say({ authUrl: await app.getAuthCodeUrl({ scopes: config.scopes, redirectUri: config.redirectUri }) });
  const code = (await lines.next()).value.trim();
  const first = await app.acquireTokenByCode({ code, scopes: config.scopes, redirectUri: config.redirectUri });
  const second = await app.acquireTokenSilent({ account: first.account, scopes: config.scopes });
  say({ first: summary(first), second: summary(second) });
  if (config.refreshAfterInput) {
    const refreshToken = refreshTokenOf(app);
    await lines.next();
    const silent = await failure(() =>
      app.acquireTokenSilent({ account: first.account, scopes: config.scopes, forceRefresh: true }));
    const byRefreshToken = await failure(() =>
      app.acquireTokenByRefreshToken({ refreshToken, scopes: config.scopes }));
    say({ silent, byRefreshToken });
  }
} catch (error) {
  say({ error: String(error && error.stack || error) });
  process.exitCode = 1;
}
process.exit();
