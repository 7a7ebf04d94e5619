// A single-page app as MSAL.js documents it: sign in by redirect, then tokens silently.
// Every outcome is written as JSON into #result (and returned by window.spa.silent), so a
// test reads what MSAL.js gave the app, errors included.

const config = await (await fetch("config.json", { cache: "no-store" })).json();

const pca = new msal.PublicClientApplication({
  auth: {
    clientId: config.clientId,
    authority: config.authority,
    knownAuthorities: config.knownAuthorities,
    redirectUri: config.redirectUri,
  },
  cache: { cacheLocation: "sessionStorage" },
});

function describe(result) {
  return {
    username: result.account ? result.account.username : null,
    tenantId: result.tenantId,
    scopes: result.scopes,
    accessToken: result.accessToken,
    idToken: result.idToken,
    fromCache: result.fromCache,
    expiresOn: result.expiresOn ? result.expiresOn.toISOString() : null,
  };
}

function failure(error) {
  return {
    error: {
      name: error && error.name,
      errorCode: error && error.errorCode,
      errorMessage: error && error.errorMessage,
      subError: error && error.subError,
      message: String(error && error.message),
    },
  };
}

function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function report(outcome) {
  document.getElementById("result").textContent = JSON.stringify(outcome);
}

window.spa = {
  async ssoSilent(options, ms) {
    try {
      return describe(await withTimeout(pca.ssoSilent({ scopes: config.scopes, ...options }), ms));
    } catch (error) {
      return failure(error);
    }
  },
  forget() {
    sessionStorage.clear();
  },
  async silent(options, ms) {
    try {
      const account = pca.getAllAccounts()[0];
      const request = { scopes: config.scopes, account, ...options };
      return describe(await withTimeout(pca.acquireTokenSilent(request), ms));
    } catch (error) {
      return failure(error);
    }
  },
};

try {
  await pca.initialize();
  const result = await withTimeout(pca.handleRedirectPromise(), config.timeoutMs);
  report(result ? describe(result) : { signedIn: false });
} catch (error) {
  report(failure(error));
}

const button = document.getElementById("sign-in");
button.addEventListener("click", () => {
  pca.loginRedirect({ scopes: config.scopes }).catch((error) => report(failure(error)));
});
button.disabled = false;
