// A single-page app on MSAL.js (@azure/msal-browser), built as MSAL.js documents it: every page
// calls handleRedirectPromise, loginRedirect starts a sign-in, logoutRedirect ends it. Only the
// glue is ours (routes, what each page shows); every OpenID Connect decision is MSAL.js's.
//
//   /            who is signed in, never starts a sign-in
//   /login       signs in at once when nobody is, then lands on /account
//   /account     a protected page: signs in at once when nobody is
//   /logout      logoutRedirect, back to the post-logout redirect URI (by default /signed-out)
//   the post-logout redirect URI: says the user is signed out
//   the redirect URI: MSAL.js takes the response there and returns to the page that started
//
// A failed sign-in shows MSAL.js's errorCode and errorMessage with the support contact.

const config = window.spaConfig;
const callbackPath = new URL(config.redirectUri).pathname;
// The post-logout redirect URI's page says so; a home page there says who is signed in instead.
const postLogoutPath = config.postLogoutRedirectUri
  ? new URL(config.postLogoutRedirectUri).pathname : "/signed-out";
const signedOutPath = postLogoutPath === "/" ? "/signed-out" : postLogoutPath;

// localStorage: every tab of the app shares the sign-in. MSAL.js encrypts that cache with a key
// it keeps in a session cookie, so the sign-in ends with the browser session.
const pca = new msal.PublicClientApplication({
  auth: {
    clientId: config.clientId,
    authority: config.authority,
    knownAuthorities: config.knownAuthorities,
    redirectUri: config.redirectUri,
    postLogoutRedirectUri: config.postLogoutRedirectUri || undefined,
  },
  cache: { cacheLocation: "localStorage" },
});

function element(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function link(href, text) {
  return element("a", { href }, text);
}

function show(title, ...content) {
  document.title = `${title} · MSAL.js single-page app`;
  document.getElementById("view").replaceChildren(element("h1", {}, title), ...content);
}

function signedInAs(account) {
  return element("p", {}, "Signed in as ",
                 element("strong", { id: "signed-in-as" }, account.name || account.username));
}

function showHome(account) {
  if (account) {
    show("MSAL.js single-page app", signedInAs(account),
         element("p", {}, link("/account", "Account"), " · ", link("/logout", "Sign out")));
  } else {
    show("MSAL.js single-page app", element("p", { id: "signed-out" }, "Not signed in."),
         element("p", {}, link("/login", "Sign in")));
  }
}

function showAccount(account) {
  show("Account", signedInAs(account),
       element("p", { id: "username" }, account.username),
       element("p", {}, link("/", "Home"), " · ", link("/logout", "Sign out")));
}

function showSignedOut() {
  show("You are signed out", element("p", {}, link("/account", "Sign in again")));
}

function showFailure(error) {
  const code = String(error?.errorCode || error?.name || "error");
  const message = String(error?.errorMessage || error?.message || error);
  const contact = config.supportContact
    ? link(`mailto:${config.supportContact}`, config.supportContact)
    : "your administrator";
  show("Sign-in failed",
       element("section", { id: "sign-in-failed", role: "alert" },
               element("p", {}, "Error code: ", element("code", { id: "error-code" }, code)),
               element("p", { id: "error-message" }, message),
               element("p", {}, "If this keeps happening, contact ", contact, "."),
               element("p", {}, link("/login", "Try again"))));
}

function signIn(startPage) {
  return pca.loginRedirect({ scopes: [], redirectStartPage: startPage });
}

async function main() {
  await pca.initialize();
  const result = await pca.handleRedirectPromise();
  const account = result?.account ?? pca.getAllAccounts()[0] ?? null;
  if (account) pca.setActiveAccount(account);
  switch (location.pathname) {
    case "/login":
      if (account) location.replace("/account");
      else await signIn(new URL("/account", location.origin).href);
      break;
    case "/account":
      if (account) showAccount(account);
      else await signIn(location.href);
      break;
    case "/logout":
      await pca.logoutRedirect({ account });
      break;
    case signedOutPath:
      showSignedOut();
      break;
    case callbackPath:
    default:
      showHome(account);
  }
}

main().catch(showFailure);
