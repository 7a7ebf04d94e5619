"""The authorization URI as entered: a query pasted with it goes out on every sign-in.

A relying party keeps the URI's own query and adds its parameters (the reference RP merges
them with ``httpx.URL.copy_merge_params``, its values replacing those of the same name), so
``prompt=none`` there turns every sign-in of someone without a session into ``login_required``
(Entra: AADSTS50058), and a parameter the relying party sends itself ends up replaced, sent
twice or sent instead of the RP's, depending on the client.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from scenarios.doctor.checks.result import CheckResult, failed

__all__ = ["CLIENT_CREDENTIALS", "RP_PARAMETERS", "check_authorization_query"]

RP_PARAMETERS = frozenset({
    "client_id", "response_type", "redirect_uri", "response_mode", "scope", "state", "nonce",
    "code_challenge", "code_challenge_method",
})
"""What a relying party sends on its own in an authorization request (OIDC Core §3.1.2.1,
RFC 7636 §4.3)."""
CLIENT_CREDENTIALS = frozenset({"client_secret", "client_assertion"})
"""The client's own authentication, sent to the token endpoint only, never through the browser
(RFC 6749 §2.3.1: client credentials in the request body, not the request URI)."""


def check_authorization_query(authorization_uri: str) -> CheckResult:
    """No query in the authorization URI: FAIL for parameters that break sign-in
    (``prompt=none``, and those the relying party sends itself), WARN for any other."""
    name = "authorize-query"
    try:
        query = urlsplit(authorization_uri).query
    except ValueError:
        query = ""
    pairs = parse_qsl(query, keep_blank_values=True)
    if not pairs:
        return CheckResult(name=name, status="PASS",
                           detail="no query in the authorization URI")
    names = list(dict.fromkeys(key for key, _ in pairs))
    shown = ", ".join(f"{key}={value}" if value else key for key, value in pairs)
    remove = (f"Remove the query (?{query}) from the authorization URI: the relying party adds "
              "the parameters a sign-in needs itself.")
    prompts = {value.lower() for key, value in pairs if key == "prompt"}
    if "none" in prompts:
        return failed(name, f"the authorization URI carries {shown}: with prompt=none the "
                      "provider never shows a sign-in page, so every sign-in of someone not "
                      "already signed in fails with login_required (Entra: AADSTS50058)", remove)
    if leaked := [key for key in names if key in CLIENT_CREDENTIALS]:
        return failed(name, f"the authorization URI carries {', '.join(leaked)}: every sign-in "
                      "hands the client's credential to the browser, in its address bar and "
                      "history, and to the provider's and proxies' request logs",
                      f"{remove} Then create a new client secret (or certificate) and delete "
                      "this one: it has been seen outside the server.")
    owned = [key for key in names if key in RP_PARAMETERS]
    if owned:
        return failed(name, f"the authorization URI carries {shown}: {', '.join(owned)} "
                      f"{'is' if len(owned) == 1 else 'are'} the relying party's to send; the "
                      "provider gets this value, the relying party's or both, depending on the "
                      "client", remove)
    return CheckResult(name=name, status="WARN",
                       detail=f"the authorization URI carries {shown}: sent with every sign-in",
                       fix=f"Remove the query (?{query}) from the authorization URI unless every "
                       "sign-in must carry it: the relying party adds the parameters a sign-in "
                       "needs itself.")
