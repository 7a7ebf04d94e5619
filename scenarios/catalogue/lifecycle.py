"""Lifecycle: secrets expire and are renewed, SSO is switched off and on, signing keys and
partner credentials rotate, and sign-in keeps working once the app has caught up.

The clock: an app in its own process runs on the real clock, so the provider's clock may run
ahead only while nothing the app validates is issued. ``lifecycle.secret-renewal`` moves the
provider's clock past the secret's end to see the failure (the code exchange fails before any
token is issued), then brings it back, removes the expired secret at the provider (so only the
renewed one works) and signs in afresh: every token of the renewed sign-in is dated now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from scenarios import ScenarioContext, scenario
from scenarios.app.profile import AppProfile
from scenarios.catalogue.failures import expect_token_request_failure
from scenarios.catalogue.id_token_source import (
    asked_no_id_token,
    from_token_endpoint_over_plain_http,
    from_token_endpoint_over_tls,
    read_person_on_graph,
    unsigned_v1_keyless,
)
from scenarios.catalogue.partner_events import APPS_API_CREDENTIALS, acknowledged, install_partner
from scenarios.conformance.evidence import KEY_PATHS, TOKEN_PATHS, evidence_of
from scenarios.context import NotExercised
from scenarios.flows import (
    NavigationLog,
    drop_app_session,
    expect_failure,
    expect_signed_in,
    first_login_at_company,
    follow_signed_in_at_company,
    launch_signed_in_at_company,
    oid_of,
    sign_in_by_redirects,
)
from scenarios.goto import open_sign_in
from scenarios.live import LiveStack
from scenarios.refusals import first_refusal

Ctx = ScenarioContext[LiveStack]


def _key_fetches(stack: LiveStack) -> int:
    """The app's answered fetches of a key set, v2.0's or v1's (``/discovery/keys``, where an
    app on Entra's v1 endpoints reads them), under any tenant segment, as conformance counts
    them."""
    return evidence_of(stack.provider_requests()).key_fetches


def _active_kid(stack: LiveStack) -> str:
    return str(stack.http.get(stack.idp_url("/_mock/keys")).json()["active"])


THROTTLE_SECONDS = 60
"""The longest pause a library commonly keeps between two fetches of a key set for unknown kids:
openid-client 5 fetches again at most once a minute (its ``queryKeyStore``), jose's
``createRemoteJWKSet`` once in 30 s (its ``cooldownDuration``)."""


def _fetch_gap(requests: Iterable[Mapping[str, Any]]) -> float | None:
    """Seconds of real time from the app's last answered fetch of a key set to the last token
    request after it (the sign-in that failed), from the provider's log; ``None`` without
    both."""
    fetched = redeemed = None
    for entry in requests:
        path, wall = str(entry.get("path", "")), entry.get("wall")
        if not isinstance(wall, (int, float)):
            continue
        if path.endswith(KEY_PATHS) and entry.get("status") == 200:
            fetched, redeemed = wall, None
        elif path.endswith(TOKEN_PATHS) and fetched is not None:
            redeemed = wall
    return None if fetched is None or redeemed is None else max(0.0, redeemed - fetched)


CACHED = ("go-oidc v2 keeps it as long as the answer's Cache-Control allows: the mock's says "
          "max-age=86400, a day, as Entra's discovery answers do; go-oidc v3 fetches it again "
          "for an unknown kid")
"""A library that honours the key set's ``Cache-Control: max-age=86400, private`` (the mock's,
as Entra's discovery answers, ``entra-id.md`` §1.4) looks for a new kid only in the keys it
holds for a day: go-oidc v2's ``remoteKeySet`` (pquerna/cachecontrol) fetches again only within
30 s of that expiry; v3 dropped the header and fetches for any kid it does not hold."""


def _kept_old_keys(fetched: int, new_kid: str, gap: float | None = None) -> str:
    """Why an app that fetched the key set before a rotation, and not since, refused the
    sign-in after it (passport-azure-ad keeps the key set it read for 30 minutes, go-oidc v2
    as long as the answer's Cache-Control allows: :data:`CACHED`). When its last fetch was
    less than :data:`THROTTLE_SECONDS` before that sign-in, it may instead be a
    library that fetches again for an unknown kid only after a pause (openid-client 5), which
    no scenario can wait out on the app's real clock: the message says so rather than that the
    app never fetches."""
    times = "once" if fetched == 1 else f"{fetched} times"
    held = (f"The app fetched the provider's key set {times} before the rotation and not again "
            f"after it: it looked for the new kid {new_kid!r} in the keys it held ({CACHED})")
    if gap is not None and gap < THROTTLE_SECONDS:
        held = (f"The app fetched the provider's key set {times} before the rotation, the last "
                f"time {gap:.0f} s before this sign-in, and not again after it: it looked for "
                f"the new kid {new_kid!r} in the keys it held, either because it keeps its key "
                f"set (passport-azure-ad: 30 minutes; {CACHED}) or because it fetches it "
                "again for an unknown kid at most once in a while (openid-client 5: once a "
                "minute; jose's "
                "createRemoteJWKSet: once in 30 s), a pause this scenario cannot wait out on "
                "the app's real clock (such an app refuses sign-ins for that pause at most "
                "after a rollover)")
    return (f"{held}. An app must fetch jwks_uri again when an ID token names a kid it does not "
            "know (OpenID Connect Core 10.1.1); Entra can roll its keys at once in an emergency "
            "(learn.microsoft.com/entra/identity-platform/signing-key-rollover)")


def _token_with_secret(stack: LiveStack, secret: str) -> tuple[int, dict[str, Any]]:
    """A client-credentials request at the provider: does it accept this secret?"""
    response = stack.http.post(stack.idp_url(f"/{stack.tenant_id}/oauth2/v2.0/token"), data={
        "grant_type": "client_credentials", "client_id": stack.client_id,
        "client_secret": secret, "scope": "https://graph.microsoft.com/.default"})
    return response.status_code, response.json()


@scenario(
    id="lifecycle.secret-renewal",
    title="An expired client secret, renewed by an administrator, restores sign-in",
    proves="Past the secret's end date the token request fails with AADSTS7000222 and the "
    "failure page appears; a new secret from the management API, stored in the app the way "
    "its administrator would, makes login work again (the expired one removed, so only the "
    "new one can)",
    tags={"lifecycle"},
    needs={"customer-sso", "failure-page", "admin-renew-secret"},
)
def secret_renewal(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("the clock passes the secret's end date: alice, signed in at her company, "
                  "gets the failure page, AADSTS7000222"):
        stack.expire_client_secret()
        follow_signed_in_at_company(page, stack, alice)
        expect_token_request_failure(ctx, "expired-secret", idp_code="AADSTS7000222",
                                     unused="its client secret")
    if stack.app.profile.admin.secret_status is not None:
        with ctx.step("the app reports its secret as expired"):
            assert stack.app.secret_expired() is True, "the app does not see the secret expired"
    with ctx.step("the clock comes back; the expired secret is removed at the provider"):
        stack.advance(days=-(stack.app.profile.provider.secret_lifetime.days + 1))
        stack.remove_secret(stack.secret_key_id)
        status, error = _token_with_secret(stack, stack.client_secret)
        assert status == 401, f"the old secret still works at the provider: {status} {error}"
    with ctx.step("a new secret is added at the provider and stored in the app"):
        stack.renew_client_secret()
        if stack.app.profile.admin.secret_status is not None:
            assert stack.app.secret_expired() is False, "the app still sees its secret expired"
    with ctx.step("login works again, with the new secret"):
        page.context.clear_cookies()
        try:
            first_login_at_company(page, stack, alice)
        except AssertionError as exc:
            kept = kept_old_secret(stack.provider_requests(), stack.app.profile,
                                   since=stack.sign_in_started)
            if kept:
                raise AssertionError(f"{exc}\n{kept}") from exc
            raise


def kept_old_secret(requests: Iterable[Mapping[str, Any]], profile: AppProfile, *,
                    since: float) -> str:
    """Why the sign-in after the renewal failed, when the provider refused the app's token
    request as AADSTS7000215 (an invalid secret) once the new secret was stored: the app
    still sends a secret the app registration no longer holds, most likely the expired one the
    scenario removed, which Entra refuses as any secret it does not hold (Microsoft Learn,
    "Microsoft Entra authentication and authorization error codes": AADSTS7000215
    InvalidClientSecret); else ``""``. Only the
    refusals since the browser followed the sign-in URL at ``since`` (a real time) count, not
    the expired secret's before."""
    # A millisecond early: the log rounds its times.
    found = first_refusal(entry for entry in requests
                          if not isinstance(wall := entry.get("wall"), float | int)
                          or wall >= since - 0.001)
    if found is None or found[0] != "token request" or "AADSTS7000215" not in found[1]:
        return ""
    how = ("[admin] renew_secret" if profile.admin.renew_secret
           else "a restart with the new {client_secret}")
    return ("After the renewal the provider refused the app's secret as invalid (AADSTS7000215): "
            f"the app was handed the new secret ({how}) but still sends one the app "
            "registration no longer holds, most likely the expired secret removed at the "
            "provider. Renewing must replace the client secret the app sends (on a client "
            "record: save the new Client Secret's value, not its ID, and the new end date)")


@scenario(
    id="lifecycle.disable-enable",
    title="Disabling SSO shows the failure page; enabling it restores sign-in",
    proves="With customer SSO switched off by an administrator, signing in ends on the failure "
    "page for a disabled connection; switched on again, the app signs in through the IdP",
    tags={"lifecycle"},
    needs={"customer-sso", "failure-page", "sso-toggle"},
)
def disable_enable(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    protected = stack.app.protected_urls()
    with ctx.step("an administrator switches SSO off"):
        stack.app.set_sso_enabled(False)
    if protected:
        with ctx.step("visiting the app shows the failure page for a disabled connection"):
            page.goto(protected[0])
            expect_failure(page, stack, "connection-disabled")
    with ctx.step("the sign-in URL fails the same way"):
        open_sign_in(page, stack, stack.app.sign_in_url())
        expect_failure(page, stack, "connection-disabled")
    with ctx.step("the administrator switches SSO on again"):
        stack.app.set_sso_enabled(True)
    with ctx.step("login works again (alice signed in at her company)"):
        first_login_at_company(page, stack, alice)


@scenario(
    id="lifecycle.key-rotation",
    title="A signing-key rotation between two logins does not break sign-in",
    proves="After the IdP rotates its signing keys, an ID token with an unknown kid makes the "
    "app fetch the key set again instead of failing, and the second login succeeds. An app "
    "that never fetches the keys fails, unless it takes its ID token straight from the token "
    "endpoint over TLS, where it may rely on TLS instead of the signature (OpenID Connect Core "
    "3.1.3.7 (6)): then the second login must still succeed, and the re-fetch is not exercised",
    tags={"lifecycle"},
    needs={"customer-sso"},
)
def key_rotation(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("alice, signed in at her company, signs in to the app, then signs out of "
                  "the app locally"):
        first_login_at_company(page, stack, alice)
        drop_app_session(page, stack)
        fetched_before = _key_fetches(stack)
        no_id_token = asked_no_id_token(stack)
        over_tls = from_token_endpoint_over_tls(stack) if fetched_before == 0 else None
        if fetched_before == 0 and over_tls is None and no_id_token is None:
            if (keyless := unsigned_v1_keyless(stack)) is not None:
                raise AssertionError(keyless)
            over_http = from_token_endpoint_over_plain_http(stack)
            on_graph = read_person_on_graph(stack)
            raise AssertionError(
                "the app never fetched the provider's signing keys, so it cannot have checked "
                "the ID token's signature" + (f", and {over_http}" if over_http else "")
                + (f"\n({on_graph})" if on_graph else ""))
    with ctx.step("the IdP rotates its signing keys"):
        old_kid = _active_kid(stack)
        stack.rotate_keys()
        new_kid = _active_kid(stack)
        assert new_kid != old_kid, "the active signing key did not change"
    with ctx.step("login again works, with no page in between but those the app's prompt "
                  "asks for"):
        try:  # single sign-on itself is auto-login.silent-return's subject, not this one's
            sign_in_by_redirects(page, stack, alice, stack.app.sign_in_url(),
                                 path=stack.app.lands_on(), answer_prompt=True)
        except AssertionError as exc:
            if fetched_before and _key_fetches(stack) == fetched_before:
                gap = _fetch_gap(stack.provider_requests())
                raise AssertionError(f"{exc}\n{_kept_old_keys(fetched_before, new_kid, gap)}"
                                     ) from exc
            raise
    with ctx.step("the app re-fetched the key set for the new kid"):
        if no_id_token is not None:
            raise NotExercised("the app had no ID token whose signing key it could look up: "
                               f"{no_id_token}")
        if over_tls is not None:  # as conformance's key rows: "not tested"
            raise NotExercised(
                "the app never fetched the provider's signing keys, so it had no key set to "
                f"fetch again for the new kid: {over_tls}")
        assert _key_fetches(stack) == fetched_before + 1, (
            f"keys fetched {_key_fetches(stack)} times, {fetched_before} before the rotation")


@scenario(
    id="lifecycle.credentials-rotated",
    title="app.credentials_rotated: the next launch signs in with the new credentials",
    proves="The platform rotates the installation's secret and sends app.credentials_rotated; "
    "the app acknowledges the new credentials through the platform's Apps API, which ends the "
    "old secret at once (otherwise it would work for seven more days), and a new launch still "
    "signs in because the app stored the new secret",
    tags={"lifecycle", "partner"},
    needs={"partner"},
)
def credentials_rotated(ctx: Ctx) -> None:
    stack, page = ctx.env, ctx.page
    alice = stack.people["alice"]
    with ctx.step("install the app; alice, signed in at her company, launches it"):
        installation_id = install_partner(stack)
        launch_signed_in_at_company(page, stack, installation_id, alice)
    installation_url = stack.idp_url(f"/_mock/installations/{installation_id}")
    with ctx.step("the platform rotates the credentials and the app accepts the event"):
        old_secret = str(stack.http.get(installation_url).json()["client_secret"])
        rotated = stack.http.post(f"{installation_url}/rotate", json={})
        assert rotated.status_code == 200, rotated.text
        body = rotated.json()
        assert body["event"]["type"] == "app.credentials_rotated", body["event"]
        assert body["delivery"]["status"] == 200, f"the app refused it: {body['delivery']}"
        assert body["installation"]["client_secret"] != old_secret
    with ctx.step("the app acknowledges the new credentials through the Apps API"):
        acknowledged(stack, installation_id, "credentials", "acknowledged",
                     f"acknowledge the rotated credentials (POST {APPS_API_CREDENTIALS} with "
                     '{"state": "acknowledged"})')
    with ctx.step("the old secret stops working at the IdP"):
        status, error = _token_with_secret(stack, old_secret)
        assert status == 401 and 7000215 in error.get("error_codes", []), (status, error)
    log = NavigationLog(page)
    with ctx.step("a new launch signs in with the new credentials"):
        drop_app_session(page, stack)
        page.goto(stack.app.launch_url(installation_id, oid_of(stack, alice)))
        expect_signed_in(page, stack, alice, path=stack.app.launch_lands_on())
        assert any(log.visited(uri) for uri in stack.app.redirect_uris), (
            f"the launch did not come back through the callback: {log.documents}")
        me = stack.app.me(page)
        if "installation_id" in me:
            assert me["installation_id"] == installation_id, me
