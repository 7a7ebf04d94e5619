"""What an app profile lets the scenarios do, and why a scenario is skipped for a profile.

Each scenario lists the capabilities it needs (``needs={"failure-page", ...}``); a capability is
met when the profile has the keys named in :data:`CAPABILITIES`. ``sign-in-url:NAME`` is met by
a sign-in URL of that name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scenarios.app.profile import AppProfile

__all__ = ["CAPABILITIES", "SIGN_IN_URL", "V1_SWITCHED", "V2_FROM_AUTHORITY", "capabilities_of",
           "skip_reason", "v1_written", "v1_switched_settings"]

SIGN_IN_URL = "sign-in-url:"
V1_SWITCHED = ("issuer", "discovery_url", "authorize_url", "token_url")
"""The template names that become Entra's v1 endpoints in the ``entra-v1`` scenarios."""
V2_FROM_AUTHORITY = {
    "issuer": "{authority}/v2.0",
    "discovery_url": "{authority}/v2.0/.well-known/openid-configuration",
    "authorize_url": "{authority}/oauth2/v2.0/authorize",
    "token_url": "{authority}/oauth2/v2.0/token",
}
"""Each of :data:`V1_SWITCHED` written from ``{authority}``, which the ``entra-v1`` scenarios
leave on the v2.0 endpoints: how a profile marks its app v2.0-only."""
V1_BY_HAND = re.compile(r"(\{authority\}|\{idp_url\}/\{tenant_id\})/(oauth2/(authorize|token)\b"
                        r"|\.well-known/openid-configuration)")
"""One of Entra's v1 endpoints written out from the tenant's authority, as an app on v1 alone
is given them (Flask-AppBuilder's ``azure`` provider takes ``authorize_url`` and
``access_token_url`` and sends a ``resource``, which the v2.0 endpoints refuse): such an app is
on Entra's v1 endpoints in every scenario, ``entra-v1`` ones too."""

CAPABILITIES: Mapping[str, str] = {
    "customer-sso": "[sign_in] urls or protected_urls",
    "protected-url": "[sign_in] protected_urls",
    "session-check": "[signed_in] me_url, or page with text or selector",
    "failure-page": "[failure] contact",
    "provider-timeout": "[failure] provider_timeout",
    "error-log": "[failure] error_log",
    "partner": "[partner] events_url and launch_url",
    "backchannel": "[sign_out] backchannel_uri",
    "frontchannel": "[sign_out] frontchannel_uri",
    "rp-logout": "[sign_out] url or control",
    "admin-renew-secret": "[admin] renew_secret, or an app the harness starts that reads "
                          "{client_secret} from [app] env or command (renewed by a restart)",
    "client-secret": "[app] env or command, a [[configure]] call or [admin] renew_secret naming "
                     "{client_secret}, or [partner] (its installed event carries one): the app "
                     "redeems its codes with the client secret; a single-page app has none",
    "sso-toggle": "[admin] disable_sso and enable_sso",
    "multi-connection": "a [[configure]] capture used by a [sign_in] URL (configuring again "
                        "makes a second SSO connection)",
    "https-provider": "[app] env or command naming {ca_file} (the app trusts the https "
                      "provider's local CA), or [provider] platform = \"spa\" (the browser, "
                      "which trusts it, is what reaches the provider)",
    "v1-endpoints": "[app] env or command, or a [[configure]] call, naming {issuer}, "
                    "{discovery_url}, {authorize_url} or {token_url}, or one of Entra's v1 "
                    "endpoints written from {authority} ({authority}/oauth2/token) (an app "
                    "handed only "
                    "{authority}, or {idp_url} and {tenant_id}, builds its endpoints itself "
                    "whatever the scenario gives it: MSAL the v2.0 ones, django-auth-adfs the "
                    "v1 ones its VERSION setting names)",
    "http-provider": "a provider over plain http (not [provider] https = true)",
    "groups": "[signed_in] me_url with me_json.groups (the user's groups as the app holds them)",
}


def _app_templates(profile: AppProfile) -> list[str]:
    app = profile.app
    return [*app.env.values(), *((app.command,) if isinstance(app.command, str)
                                 else app.command or ())]


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _strings(item)]
    return []


def _provider_templates(profile: AppProfile) -> list[str]:
    """Every template that hands the app provider settings: its env, command and configure
    calls."""
    calls = [text for call in profile.configure for text in _strings(
        [call.url, dict(call.headers), call.json, dict(call.form or {})])]
    return [*_app_templates(profile), *calls]


def v1_switched_settings(profile: AppProfile) -> list[tuple[str, str]]:
    """Where the profile hands the app a template the ``entra-v1`` scenarios switch to Entra's
    v1 endpoints: (the setting, the template's name), e.g. ``("[app.env] OIDC_ISSUER",
    "issuer")``, in the profile's order."""
    app = profile.app
    command = (app.command,) if isinstance(app.command, str) else app.command or ()
    settings = [*((f"[app.env] {key}", [value]) for key, value in app.env.items()),
                ("[app] command", list(command)),
                *((f"[[configure]] call {index}", _strings(
                    [call.url, dict(call.headers), call.json, dict(call.form or {})]))
                  for index, call in enumerate(profile.configure, start=1))]
    return [(where, name) for where, texts in settings for name in V1_SWITCHED
            if any(f"{{{name}}}" in text for text in texts)]


def v1_written(profile: AppProfile) -> list[str]:
    """The templates that hand the app one of Entra's v1 endpoints written out
    (:data:`V1_BY_HAND`), in the profile's order."""
    return [text for text in _provider_templates(profile) if V1_BY_HAND.search(text)]


def restart_renews_secret(profile: AppProfile) -> bool:
    """The harness starts the app and hands it ``{client_secret}`` at start."""
    app = profile.app
    if app.mode == "running":
        return False
    return any("{client_secret}" in part for part in _app_templates(profile))


def capabilities_of(profile: AppProfile) -> frozenset[str]:
    found: set[str] = set()
    sign_in, failure = profile.sign_in, profile.failure
    if sign_in.urls or sign_in.protected_urls:
        found.add("customer-sso")
    if sign_in.protected_urls:
        found.add("protected-url")
    found.update(SIGN_IN_URL + url.name for url in sign_in.urls)
    if profile.signed_in.me_url or profile.signed_in.page:
        found.add("session-check")
    if profile.signed_in.me_url and "groups" in profile.signed_in.me_json:
        found.add("groups")
    if failure is not None:
        found.add("failure-page")
        if failure.provider_timeout is not None:
            found.add("provider-timeout")
        if failure.error_log is not None:
            found.add("error-log")
    if profile.partner is not None:
        found.add("partner")
    sign_out = profile.sign_out
    if sign_out.backchannel_uri:
        found.add("backchannel")
    if sign_out.frontchannel_uri:
        found.add("frontchannel")
    if sign_out.url or sign_out.control:
        found.add("rp-logout")
    if profile.admin.renew_secret or restart_renews_secret(profile):
        found.add("admin-renew-secret")
    if profile.admin.renew_secret or profile.partner is not None or any(
            "{client_secret}" in text for text in _provider_templates(profile)):
        found.add("client-secret")
    if profile.admin.disable_sso and profile.admin.enable_sso:
        found.add("sso-toggle")
    # A single-page app's server never calls the provider: the browser fetches discovery and
    # redeems the codes, and the scenarios' browsers trust the mock's local CA.
    if profile.provider.platform == "spa" or profile.app.mode != "running" and any(
            "{ca_file}" in part for part in _app_templates(profile)):
        found.add("https-provider")
    if any(f"{{{name}}}" in text for text in _provider_templates(profile)
           for name in V1_SWITCHED) or v1_written(profile):
        found.add("v1-endpoints")
    if not profile.provider.https:
        found.add("http-provider")
    captured = set(profile.captures)
    if captured and any(f"{{{name}}}" in url.url for url in sign_in.urls for name in captured):
        found.add("multi-connection")
    return frozenset(found)


def _describe(need: str) -> str:
    if need.startswith(SIGN_IN_URL):
        return f"a sign-in URL named {need[len(SIGN_IN_URL):]!r} ([sign_in.urls])"
    return CAPABILITIES.get(need, "a capability no profile key provides")


def skip_reason(needs: Iterable[str], profile: AppProfile) -> str | None:
    """Why a scenario needing ``needs`` cannot run against ``profile`` (``None``: it can)."""
    missing = sorted(set(needs) - profile.capabilities)
    if not missing:
        return None
    return "the profile lacks " + "; ".join(f"{n} ({_describe(n)})" for n in missing)
