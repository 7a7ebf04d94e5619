// A confidential client built on @azure/msal-node, driven line by line over stdin/stdout:
// it prints the authorization URL, reads the code the test obtained by signing in, redeems it,
// then asks for the same scopes silently. Each answer is one JSON line.
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
} catch (error) {
  say({ error: String(error && error.stack || error) });
  process.exitCode = 1;
}
process.exit();
