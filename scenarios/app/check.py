"""``python -m scenarios app check PROFILE``: is this profile usable, and does the app answer?

The check reads the profile (every problem with its key and line), starts the mock provider
and the app the way a scenario run would, then probes over plain HTTP, without a browser: the
app is reachable, its configure calls work, each sign-in URL starts the sign-in at *this* mock
provider (with the registered client id and redirect URI), ``me_url`` answers "not signed in",
the events URL refuses (any 4xx) a well-formed event that is unsigned or signed with a key
the platform does not publish, and the failure page shows what ``[failure]`` says it does: the
callback gets what the provider sends when the user cancels (``access_denied``, AADSTS65004,
with the sign-in's state), and the page it leads to must carry the contact, the text, the
reference and the error status the profile names (in its HTML: whether a browser shows them is
the scenarios' part); a partner app without a sign-in URL shows it at its launch URL for an
installation id it was never given. Each finding is one line; any ``PROBLEM`` makes the exit code 1.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from urllib.parse import parse_qs, urlsplit

import httpx

from mock_idp.config import DEFAULT_DOMAIN, SINGLE_TENANT
from mock_idp.platform import SIGNATURE_HEADER, SIGNATURE_ID_HEADER, EventSigningKey
from mock_idp.platform.envelope import app_installed, encode
from mock_idp.platform.installations import InstallationRegistry, TenantRef
from mock_idp.protocol.tenants import ORGANIZATIONS
from scenarios.app.calls import CallError
from scenarios.app.check_report import Finding, Report, browser_cookie_jar
from scenarios.app.elsewhere import OTHER_PROVIDER, bare, local_address, on_this_machine
from scenarios.app.failure_probe import (
    LOOPBACK,
    host_of,
    origin_of,
    probe_failure_page,
    probe_launch_failure_page,
    same_server,
)
from scenarios.app.follow import follow_to_provider
from scenarios.app.output_causes import explained
from scenarios.app.process import OUTPUT_TAIL_LINES
from scenarios.app.profile import AppProfile
from scenarios.app.servers import AppStartError
from scenarios.app.sign_in_control import control_target
from scenarios.app.validation import ProfileError
from scenarios.protocol_view.known import known_values
from scenarios.protocol_view.tokens import value_mask

if TYPE_CHECKING:
    from scenarios.live import LiveStack

__all__ = ["Finding", "check_profile", "probe_events"]


def _check_sign_in(report: Report, http: httpx.Client, label: str, url: str, *, app_base: str,
                   idp_base: str, client_id: str, redirect_uris: set[str], spa: bool,
                   audience: str, picks_port: bool, control: str | None = None
                   ) -> str | None:
    """Check one sign-in URL (and the link ``control`` names on its page: ``""`` for none, and
    ``None`` for a protected URL, where no click applies); the authorization request it sends
    the browser to when it is right, else ``None``."""
    what, left_to, on_page = follow_to_provider(http, url, app_base,
                                                clickable=control is not None)
    if left_to is None and on_page and control:
        if (target := control_target(http, url, control)) is None:
            report.add("note", f"{label} ({url}) is a page whose [sign_in] control {control!r} "
                       "the scenarios' browser clicks: the check runs no browser and cannot "
                       "follow a click (it follows only a link of that name, or posts the form "
                       "of a button of that name, with no script)")
            return None
        # A link straight to the provider (a page that renders the authorize URL as its link,
        # as Microsoft's MSAL Python web-app sample's "Sign In" does) has left the app.
        what, left_to, on_page = (("redirects away", target, None)
                                  if host_of(target) != host_of(app_base)
                                  else follow_to_provider(http, target, app_base))
    if left_to is None and on_page and spa:
        report.add("note", f"{label} ({url}) is a page: a single-page app's script starts the "
                   "sign-in, which only the scenarios' browser runs")
        return None
    if left_to is None and on_page in ("posting", "script"):
        report.add("note", f"{label} ({url}) {what}")
        return None
    if left_to is None:
        report.add("PROBLEM", f"{label} ({url}) {what}")
        return None
    parts = urlsplit(left_to)
    query = parse_qs(parts.query)
    origin = f"{parts.scheme}://{parts.netloc}"
    if on_this_machine(left_to) and not any(same_server(left_to, ours)
                                            for ours in (idp_base, app_base)):
        report.add("PROBLEM", f"{label} sends the browser to {bare(left_to)}, "
                   + local_address(left_to, app=app_base, provider=idp_base))
        return None
    if host_of(left_to) != host_of(idp_base):
        report.add("PROBLEM", f"{label} sends the browser to {origin}, not to the mock provider "
                   f"at {idp_base}: {OTHER_PROVIDER}")
        return None
    if not parts.path.endswith("/authorize"):
        report.add("PROBLEM", f"{label} sends the browser to {left_to.split('?')[0]}, which is "
                   "not the provider's authorization endpoint")
        return None
    used_client = (query.get("client_id") or [""])[0]
    if used_client != client_id:
        report.add("PROBLEM", f"{label} signs in with client id {used_client!r}, not the one "
                   f"registered for the app ({client_id}): the app reads its client id from "
                   "somewhere else")
        return None
    segment = parts.path.removeprefix(urlsplit(idp_base).path).strip("/").split("/")[0]
    if segment.lower() in ORGANIZATIONS and audience == SINGLE_TENANT:
        report.add("PROBLEM", f"{label} signs in through /{segment}, which Entra refuses for a "
                   "single-tenant app (AADSTS50194): give the app the tenant's authority "
                   "({authority}; {tenant_id} where it takes the tenant alone, as better-auth's "
                   "tenantId), or set [provider] sign_in_audience = \"AzureADMultipleOrgs\" if "
                   "the app is registered multi-tenant")
        return None
    if segment.lower() in ORGANIZATIONS:
        report.add("note", f"{label} signs in through /{segment}: users of every organization "
                   "can sign in there; failure.other-organization checks that the app lets in "
                   "only the ones it serves")
    used_redirect = (query.get("redirect_uri") or [""])[0]
    if used_redirect not in redirect_uris:
        report.add("PROBLEM", f"{label} asks the provider to return to {used_redirect!r}, which "
                   f"is not among [provider] redirect_uris ({', '.join(sorted(redirect_uris))})")
        return None
    report.add("ok", f"{label} starts the sign-in at the mock provider (client id and redirect "
               "URI as registered)")
    if not same_server(used_redirect, app_base):
        _redirect_elsewhere(report, label, used_redirect, app_base, picks_port)
    return left_to


def _redirect_elsewhere(report: Report, label: str, redirect_uri: str, app_base: str,
                        picks_port: bool) -> None:
    """The redirect URI is on another server than the app under test: a proxy in front of
    it, or (on this machine, on another port than the one the harness gave the app) another
    server altogether, which gets the provider's answers instead."""
    said = (f"{label}: the redirect URI {redirect_uri} is not on the app under test "
            f"({app_base}), so {origin_of(redirect_uri)} gets the provider's answers")
    hosts = {urlsplit(redirect_uri).hostname, urlsplit(app_base).hostname}
    if picks_port and hosts <= LOOPBACK:
        report.add("PROBLEM", f"{said}, not the app the harness started on port "
                   f"{urlsplit(app_base).port}: write the redirect URI with {{base_url}} in "
                   "[provider] redirect_uris")
    else:
        report.add("note", f"{said}: right only if it passes them on to the app (a proxy)")


def _check_me(report: Report, http: httpx.Client, url: str) -> None:
    try:
        status = http.get(url, follow_redirects=False).status_code
    except (httpx.HTTPError, httpx.InvalidURL) as exc:  # a URL made of a captured value
        report.add("PROBLEM", f"me_url {url} cannot be opened: {exc}")
        return
    if status in (401, 403) or 300 <= status < 400:
        report.add("ok", f"me_url answers HTTP {status} while nobody is signed in")
    elif 200 <= status < 300:
        report.add("PROBLEM", f"me_url {url} answers HTTP {status} while nobody is signed in: it "
                   "cannot tell signed in from signed out")
    else:
        report.add("PROBLEM", f"me_url {url} answers HTTP {status}; expected 401, 403 or a "
                   "redirect while nobody is signed in (and 2xx once someone is)")


def probe_events(stack: LiveStack) -> list[tuple[str, bytes, dict[str, str]]]:
    """Two events the app must refuse: each a well-formed ``app.installed`` addressed to the
    app (its ``app_id``, this provider's links), as the platform sends it
    (:mod:`mock_idp.platform.envelope`), for an installation the platform never made; one
    unsigned, one signed with a key the platform does not publish. ``(what, body, headers)``."""
    now = stack.clock.now()
    registry = InstallationRegistry(stack.clock)
    installation = registry.install(
        app_id=stack.client_id, tenant=TenantRef(id=stack.tenant_id, domain=DEFAULT_DOMAIN),
        events_url=stack.app.events_url or "")
    probes = []
    for what in ("unsigned", "signed with a key the platform does not publish"):
        body = encode(app_installed(installation, base_url=stack.idp.base_url, now=now))
        headers = {"Content-Type": "application/json"}
        if what != "unsigned":
            headers.update(EventSigningKey.generate(now).signature_headers(body))
        probes.append((what, body, headers))
    return probes


def _check_events(report: Report, http: httpx.Client, url: str, stack: LiveStack) -> None:
    must = (f"an app must verify {SIGNATURE_HEADER} (with the key {SIGNATURE_ID_HEADER} names, "
            "from the platform's published keys) before reading the event")
    statuses = []
    for what, body, headers in probe_events(stack):
        event = f"a well-formed app.installed event {what}"
        try:
            response = http.post(url, content=body, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            report.add("PROBLEM", f"events_url {url} cannot be reached: {exc}")
            return
        status = response.status_code
        # The platform's signing scheme is unverified (partner-sso.md), so no refusal status is
        # contracted: 401, 403 and 400 (docs.stripe.com/webhooks/signature) all refuse.
        if 400 <= status < 500:
            statuses.append(str(status))
            continue
        answered = f" ({response.text[:120]!r})" if response.text.strip() else ""
        if 200 <= status < 300:
            report.add("PROBLEM", f"events_url {url} accepted {event} (HTTP {status}): {must}")
        else:
            report.add("PROBLEM", f"events_url {url} answered HTTP {status}{answered} to {event}; "
                       f"expected a 4xx refusal: {must}")
        return
    report.add("ok", "events_url refuses an unsigned event and one signed with a key the "
               f"platform does not publish (HTTP {', '.join(statuses)})")


def _describe_coverage(report: Report, profile: AppProfile, app: str) -> None:
    from scenarios.registry import load_catalogue
    from scenarios.runner import DEFAULT_CATALOGUE

    catalogue = load_catalogue(DEFAULT_CATALOGUE)
    skipped = [(item.id, reason) for item in catalogue
               if (reason := catalogue.skip_reason(item, app)) is not None]
    report.add("ok", f"{len(catalogue) - len(skipped)} of {len(catalogue)} scenarios can run "
               f"against {profile.name}")
    by_reason: dict[str, list[str]] = {}
    for scenario_id, reason in skipped:
        by_reason.setdefault(reason, []).append(scenario_id)
    for reason, ids in by_reason.items():
        report.add("note", f"{reason}: {', '.join(ids)} will be skipped")


def check_profile(path: Path, *, out: TextIO) -> int:
    """Run every check; print one line per finding; 0 when there is no problem."""
    from scenarios import app_logs
    from scenarios.live import StackError, StackOptions, live_stack, profile_for

    report = Report(out)
    try:
        profile = profile_for(path)
    except ProfileError as exc:
        for problem in exc.problems:
            report.add("PROBLEM", str(problem))
        return 1
    report.add("ok", f"profile {path} is valid ({profile.name})")
    report.profile = profile
    with contextlib.ExitStack() as running:
        running.enter_context(app_logs.silenced())  # its findings say what the servers saw
        try:
            stack: LiveStack = running.enter_context(
                live_stack(StackOptions(app=profile, connection=False)))
        except (AppStartError, StackError) as exc:
            report.add("PROBLEM", explained(str(exc), getattr(exc, "output", ""), profile))
            return 1
        app = stack.app
        report.hide = value_mask(known_values(stack))
        report.app_base = app.base_url
        if profile.app.mode == "command":
            report.app_output = lambda: stack.app_output(OUTPUT_TAIL_LINES)
        how = {"asgi": "served in-process", "command": "started by its command",
               "running": "already running"}[profile.app.mode]
        report.add("ok", f"the app answers at {app.base_url} ({how})")
        try:
            app.configure()
            if profile.configure:
                report.add("ok", f"{len(profile.configure)} configure call(s) succeeded")
        except CallError as exc:
            report.add("PROBLEM", str(exc))
            return 1
        launch_probed = False
        with httpx.Client(timeout=10, verify=False, cookies=browser_cookie_jar(),
                          event_hooks={"response": [report.watch]}) as http:
            registered = {app.url(u) for u in profile.provider.redirect_uris}
            targets: list[tuple[str, str, str | None]] = [
                (f"sign-in URL {u.name!r}", app.url(u.url), profile.sign_in.control or "")
                for u in profile.sign_in.urls]
            targets += [(f"protected URL {u}", app.url(u), None)
                        for u in profile.sign_in.protected_urls]
            started = [_check_sign_in(report, http, label, url, app_base=app.base_url,
                                      idp_base=stack.idp.base_url, client_id=stack.client_id,
                                      redirect_uris=registered,
                                      spa=profile.provider.platform == "spa",
                                      audience=profile.provider.sign_in_audience,
                                      picks_port=profile.app.picks_port,
                                      control=control)
                       for label, url, control in targets]
            if profile.signed_in.me_url:
                _check_me(report, http, app.url(profile.signed_in.me_url))
            if profile.partner is not None and app.events_url:
                _check_events(report, http, app.events_url, stack)
            # The last sign-in started: an app may keep only the latest one's state.
            authorize_url = next((url for url in reversed(started) if url is not None), None)
            if profile.failure is not None and authorize_url is not None:
                report.add(*probe_failure_page(http, app, authorize_url))
            elif profile.failure is not None and profile.partner is not None:
                # A partner app has no sign-in URL of its own: its launch URL shows the page.
                report.add(*probe_launch_failure_page(http, app, stack.idp.base_url))
                launch_probed = True
        if profile.failure is None:
            report.add("note", "no [failure] section: the failure scenarios will be skipped")
        else:
            if (authorize_url is None and profile.provider.platform != "spa"
                    and not launch_probed):
                scripted = any("cannot follow it, the scenarios' browser does" in f.text
                               for f in report.findings)  # a script starts the sign-in there
                report.add("note", "failure page not checked: " + (
                    "no sign-in URL starts a sign-in the check can follow without running its "
                    "page's script; the failure scenarios check the page" if scripted
                    else "no sign-in URL starts a sign-in"))
            if "session-check" not in profile.capabilities:
                report.add("note", "no session check ([signed_in] me_url, or page with text or "
                           "selector): the failure scenarios cannot check that nobody is "
                           "signed in, so an app that shows its failure page but signs the "
                           "user in anyway passes them")
    _describe_coverage(report, profile, str(path))
    if report.problems:
        print(f"{report.problems} problem(s)", file=out)
        return 1
    print("no problems found", file=out)
    return 0
