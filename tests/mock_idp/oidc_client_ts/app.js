// A single-page app as oidc-client-ts documents it: signinRedirect, signinRedirectCallback on
// the way back, then signinSilent, which redeems the refresh token or, with forceIframeAuth (or
// no refresh token), sends prompt=none through a hidden frame to silent.html. Every outcome is
// written as JSON into #result (and returned by window.spa.silent), errors included.

const config = await (await fetch("config.json", { cache: "no-store" })).json();

const manager = new oidc.UserManager({
  authority: config.authority,
  client_id: config.clientId,
  redirect_uri: config.redirectUri,
  silent_redirect_uri: config.silentRedirectUri,
  scope: config.scope,
  automaticSilentRenew: false,
  silentRequestTimeoutInSeconds: config.timeoutSeconds,
  userStore: new oidc.WebStorageStateStore({ store: window.sessionStorage }),
});

function describe(user) {
  return {
    username: user.profile.preferred_username,
    sub: user.profile.sub,
    idToken: user.id_token,
    accessToken: user.access_token,
    hasRefreshToken: Boolean(user.refresh_token),
    sessionState: user.session_state,
  };
}

function failure(error) {
  return {
    error: {
      name: error && error.name,
      error: error && error.error,
      description: error && error.error_description,
      message: String(error && error.message),
    },
  };
}

function report(outcome) {
  document.getElementById("result").textContent = JSON.stringify(outcome);
}

window.spa = {
  signInArgs: {},
  async silent(options) {
    try {
      return describe(await manager.signinSilent(options));
    } catch (error) {
      return failure(error);
    }
  },
};

const button = document.getElementById("sign-in");
button.addEventListener("click", () => manager.signinRedirect(window.spa.signInArgs));
try {
  if (new URLSearchParams(location.search).has("code")
      || new URLSearchParams(location.search).has("error")) {
    const user = await manager.signinRedirectCallback();
    history.replaceState(null, "", location.pathname);
    report(describe(user));
  } else {
    const user = await manager.getUser();
    report(user ? describe(user) : { signedIn: false });
  }
} catch (error) {
  report(failure(error));
}
button.disabled = false;
