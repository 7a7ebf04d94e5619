"""What the partner scenarios ask of the app's events URL: a signed event is answered 2xx, a
forged one (well-formed, not validly signed) is refused with a 4xx and changes nothing; and how
they have the platform install the app and change who holds its licences.

That an event changed nothing is judged only once a genuine event sent after it has visibly
been applied (:func:`applied_in_turn`): an app may answer an event at once and apply it a moment
later, from a queue worked in order, so what it did with an earlier event shows by then.

The platform's signing scheme is unverified (the partner-sso.md reference notes, "Signing of
event requests: not confirmed"), so no refusal status is contracted: 401, 403 and 400 (the
answer Stripe's webhook guide gives a bad signature, docs.stripe.com/webhooks/signature) are
all refusals.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scenarios.flows import NavigationLog
from scenarios.live import LiveStack
from scenarios.masking import quoted
from scenarios.refusals import SHOWN_REFUSAL, with_refusal

if TYPE_CHECKING:
    from playwright.sync_api import Page

MUST_VERIFY = ("it must verify X-Hub-Ecdsa-Signature, with the key X-Hub-Ecdsa-Signature-Id "
               "names from the platform's published keys, before reading an event")
APPS_API_STATE = "{root}/apps/{app_id}/installations/{installation_id}/state"
APPS_API_CREDENTIALS = ("{root}/apps/{app_id}/installations/{installation_id}/credentials/"
                        "{client_id}/state")
"""The platform's Apps API calls a partner app makes (docs.talkdesk.com/reference/
appsapp_idinstallationsidstate and …credentialsclient_idstate), ``root`` being the events'
``_links.root``, with a client-credentials token of the installation."""
ACKNOWLEDGEMENT_WAIT = 10.0
"""Seconds an app gets, unless its profile says otherwise (``[partner] acknowledgement_wait``),
to call the platform's Apps API after answering the event that asks it to: it may answer first
and call right after (a delivery must not wait on the call), or from a queue of its own."""
FORGERIES = {"unknown_key": "signed with a key the platform does not publish",
             "tampered": "its body changed after the platform signed it",
             "unsigned": "not signed"}


def acknowledgement_wait(stack: LiveStack) -> float:
    """The app's profile's ``[partner] acknowledgement_wait``, or :data:`ACKNOWLEDGEMENT_WAIT`."""
    partner = stack.app.profile.partner
    wait = None if partner is None else partner.acknowledgement_wait
    return ACKNOWLEDGEMENT_WAIT if wait is None else wait


def accepted(delivery: dict[str, Any]) -> bool:
    """The app answered the delivery 2xx."""
    status = delivery["status"]
    return isinstance(status, int) and 200 <= status < 300


def answer_of(delivery: dict[str, Any]) -> str:
    """How the app answered a delivery: its status or the connection's error, and the body."""
    status = delivery["status"]
    return (f"HTTP {status}" if status is not None else str(delivery["error"])) + (
        f" ({delivery.get('detail') or 'no detail'})")


GENUINE = ("the platform signed it as it signs every event (X-Hub-Ecdsa-Signature: ECDSA "
           "P-256 with SHA-256 over the raw body, the signature DER-encoded and base64; "
           "X-Hub-Ecdsa-Signature-Id names its key among the published keys, the profile's "
           "{event_keys_url}), so an app that refuses it checks another way: an HMAC in "
           "x-hub-signature (Talkdesk's older sample), WebCrypto's ECDSA verify (it takes the "
           "raw r||s form, not DER), or the JSON parsed and serialized again rather than the "
           "bytes received")
"""Why an app may refuse a genuine event with 401 or 403: the mock's signing scheme (the
partner-sso.md reference, b.2: a working assumption) and how an app's check may differ."""


def not_accepted(event_type: str, delivery: dict[str, Any], where: str = "") -> str:
    """The failure for an app that did not accept (2xx) the platform's genuine ``event_type``
    (``where``: `` at <events URL>`` or nothing), with :data:`GENUINE` for a 401 or 403."""
    refused_as_forged = delivery["status"] in (401, 403)
    return (f"the app did not accept {event_type}{where}: {answer_of(delivery)}"
            + (f"; {GENUINE}" if refused_as_forged else ""))


def installed_partner(stack: LiveStack, *, trial_days: int | None = None) -> dict[str, Any]:
    """The platform installs the app (with a trial of ``trial_days``, if given) and it accepts
    ``app.installed`` (2xx); the mock's record of the install (``installation``, ``event``,
    ``delivery``)."""
    result: dict[str, Any] = stack.install_partner_app(trial_days=trial_days)
    delivery = result["delivery"]
    assert accepted(delivery), not_accepted("app.installed", delivery,
                                            f" at {stack.app.events_url}")
    return result


def update_licences(stack: LiveStack, installation_id: str, *, adding: Sequence[str] = (),
                    removing: Sequence[str] = ()) -> None:
    """The platform gives (``adding``) or takes (``removing``) the app's licence for users,
    named by their platform user ids, and the app accepts the ``app.updated`` it sends (2xx)."""
    answer = stack.http.post(
        stack.idp_url(f"/_mock/installations/{installation_id}/update"),
        json={"users": {"adding": list(adding), "removing": list(removing)}})
    assert answer.status_code == 200, f"the mock did not send app.updated: {answer.text}"
    delivery = answer.json()["delivery"]
    assert accepted(delivery), not_accepted("app.updated", delivery,
                                            f" at {stack.app.events_url}")


def install_partner(stack: LiveStack) -> str:
    """:func:`installed_partner`'s installation id."""
    return str(installed_partner(stack)["installation"]["installation_id"])


def expect_refused(stack: LiveStack, installation_id: str, event_type: str, forgery: str,
                   **fields: str) -> None:
    """The mock delivers a forged ``event_type``; its delivery log says the app answered it
    with a 4xx."""
    answer = stack.http.post(
        stack.idp_url(f"/_mock/installations/{installation_id}/forged-events"),
        json={"type": event_type, "forgery": forgery, **fields})
    assert answer.status_code == 200, f"the mock did not deliver the event: {answer.text}"
    event_id = answer.json()["event"]["id"]
    log = stack.http.get(stack.idp_url("/_mock/deliveries"), params={"event_id": event_id})
    (delivery,) = log.json()["deliveries"]
    status, what = delivery["status"], f"a {event_type} {FORGERIES[forgery]}"
    if accepted(delivery):
        raise AssertionError(f"the app accepted {what} (HTTP {status}): {MUST_VERIFY}")
    assert isinstance(status, int) and 400 <= status < 500, (
        f"the app answered {what} with {answer_of(delivery)}, not a 4xx refusal: {MUST_VERIFY}")


def send_foreign(stack: LiveStack, installation_id: str, event_type: str,
                 **fields: str) -> dict[str, Any]:
    """The mock delivers an ``event_type`` about the installation that the platform validly
    signs but that names another partner app's ``app_id`` (the platform signs every app's
    events with the same keys, so another partner could post one of its own); the app's
    answer (the delivery)."""
    answer = stack.http.post(
        stack.idp_url(f"/_mock/installations/{installation_id}/forged-events"),
        json={"type": event_type, "forgery": "foreign_app", **fields})
    assert answer.status_code == 200, f"the mock did not deliver the event: {answer.text}"
    result: dict[str, Any] = answer.json()
    return result


MUST_CHECK_APP = ("the platform signs every partner app's events with the same keys, so the "
                  "app must apply only events whose app_id is its own")


def send_logout(stack: LiveStack, installation_id: str, user_id: str, user_email: str
                ) -> dict[str, Any]:
    """The platform's ``user.logout`` for the user, which the app accepts (2xx); the
    delivery."""
    answer = stack.http.post(stack.idp_url(f"/_mock/installations/{installation_id}/logout"),
                             json={"user_id": user_id, "user_email": user_email})
    assert answer.status_code == 200, f"the mock did not send user.logout: {answer.text}"
    delivery: dict[str, Any] = answer.json()["delivery"]
    assert accepted(delivery), not_accepted("user.logout", delivery)
    return delivery


def applied_in_turn(page: Page, stack: LiveStack, what: str) -> None:
    """Waits up to :func:`acknowledgement_wait` seconds until the browser ``page`` is signed out
    of the app: ``what``, a genuine ``user.logout`` for its user, has been applied, and with it,
    in an app that applies its events in order, every event sent before it. A check that an
    earlier event changed nothing is sound only after this; an app that applies events as it
    answers them passes at the first look."""
    wait = acknowledgement_wait(stack)
    deadline = time.monotonic() + wait
    while stack.app.is_signed_in(page):
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"the browser is still signed in {wait:g} s after {what}, which the app "
                "accepted: the app must end the sessions of the user the event names")
        time.sleep(0.05)


def given_time_to_sign_out(stack: LiveStack, *pages: Page) -> None:
    """Waits up to :func:`acknowledgement_wait` seconds in all until no browser of ``pages`` is
    signed in to the app any more: an app may answer an event that ends sessions at once and
    apply it a moment later, from a queue. Judges nothing itself: the scenario's own check,
    with its own message, follows."""
    deadline = time.monotonic() + acknowledgement_wait(stack)
    for page in pages:
        while stack.app.is_signed_in(page) and time.monotonic() < deadline:
            time.sleep(0.05)


def authorize_requests(log: NavigationLog, idp_base_url: str) -> list[str]:
    """Documents the browser got from the provider's authorize endpoint (v1 or v2)."""
    host = urlsplit(idp_base_url).netloc
    return [u for u, _ in log.documents
            if urlsplit(u).netloc == host and urlsplit(u).path.endswith("/authorize")]


def acknowledged(stack: LiveStack, installation_id: str, member: str, wanted: str,
                 what: str) -> dict[str, Any]:
    """Waits up to :func:`acknowledgement_wait` seconds until the mock's record of the
    installation shows ``member`` (``approval`` or ``credentials``) in state ``wanted``: the
    app called the Apps API, as ``what`` says it must. Returns the installation."""
    url = stack.idp_url(f"/_mock/installations/{installation_id}")
    wait = acknowledgement_wait(stack)
    deadline = time.monotonic() + wait
    while True:
        installation: dict[str, Any] = stack.http.get(url).json()
        state = installation[member]["state"]
        if state == wanted:
            return installation
        if state not in ("pending", "issued") or time.monotonic() >= deadline:
            # The app may have tried: name the provider's refusal of its client-credentials
            # request (an Apps API scope such as Talkdesk's apps:write, AADSTS1002012; a
            # secret it did not update, AADSTS7000215), which its own log alone would show.
            entries = stack.provider_requests()
            raise AssertionError(with_refusal(
                f"the app did not {what} within {wait:g} s: the platform's "
                f"{member} state is {state!r}, not {wanted!r}{_apps_api_refusal(entries)}",
                [e for e in entries if _app_only(e)]))
        time.sleep(0.05)


def _app_only(entry: dict[str, Any]) -> bool:
    """Whether ``entry`` of the provider's request log is a client-credentials token request,
    the kind the app makes before it calls the Apps API."""
    form = (entry.get("request") or {}).get("form")
    return isinstance(form, dict) and form.get("grant_type") == "client_credentials"


def _apps_api_refusal(entries: Sequence[dict[str, Any]]) -> str:
    """``"; the platform's Apps API answered the app's POST … with HTTP 400: '…'"`` for the
    first of the app's Apps API calls the platform refused (a body such as
    ``{"state": "approved"}``, a path with another id), else ``""``."""
    for entry in entries:
        path = str(entry.get("path", ""))
        status = entry.get("status")
        if (entry.get("caller") or entry.get("method") != "POST" or not path.startswith("/apps/")
                or not isinstance(status, int) or status < 400):
            continue
        body = (entry.get("response") or {}).get("json")
        said = body.get("message") if isinstance(body, dict) else None
        return (f"; the platform's Apps API answered the app's POST {path} with HTTP {status}"
                + (f": {quoted(str(said), SHOWN_REFUSAL)}" if said else ""))
    return ""


def delivered(stack: LiveStack, event_type: str, installation_id: str) -> dict[str, Any]:
    """Waits up to :func:`acknowledgement_wait` seconds for the platform's ``event_type`` about
    the installation to have been delivered once (one sent after the app's approval goes out
    when the app calls); asserts the app accepted it (2xx). The event."""
    wait = acknowledgement_wait(stack)
    deadline = time.monotonic() + wait
    while True:
        found = [e for e in stack.http.get(stack.idp_url("/_mock/events"),
                                           params={"type": event_type}).json()["events"]
                 if e["data"].get("installation_id") == installation_id]
        attempts = [] if not found else stack.http.get(
            stack.idp_url("/_mock/deliveries"), params={"event_id": found[-1]["id"]},
        ).json()["deliveries"]
        if attempts:
            break
        if time.monotonic() >= deadline:
            raise AssertionError(f"the platform delivered no {event_type} within {wait:g} s")
        time.sleep(0.05)
    assert accepted(attempts[0]), not_accepted(event_type, attempts[0],
                                               f" at {stack.app.events_url}")
    event: dict[str, Any] = found[-1]
    return event
