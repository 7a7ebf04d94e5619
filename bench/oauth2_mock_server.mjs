// Serve oauth2-mock-server on a free loopback port for the benchmark.
// Usage: node oauth2_mock_server.mjs <dir holding node_modules/oauth2-mock-server>
// Prints the issuer URL as its first line; stops on SIGINT or SIGTERM.
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const root = process.argv[2];
if (!root) {
  console.error("usage: node oauth2_mock_server.mjs <install dir>");
  process.exit(2);
}
const entry = createRequire(join(root, "package.json")).resolve("oauth2-mock-server");
const { OAuth2Server } = await import(pathToFileURL(entry).href);

const server = new OAuth2Server();
await server.issuer.keys.generate("RS256");
await server.start(0, "127.0.0.1");
console.log(server.issuer.url);

const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
