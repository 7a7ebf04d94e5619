"""What ``run --idp`` notes beside its results: what passed, yet the integrator should change.

The reference relying party keeps a user's e-mail address only when the provider vouches for
it (:func:`relying_party.callback._email`): Entra with the ``xms_edov`` optional claim in an ID
token that carries the ``email`` optional claim, another provider with ``email_verified``. An
app registration without those claims signs its users in with no address. The scenarios pass
all the same (they tell who signed in by the name the app shows), so the run says so, with
what to add, in the console, ``results.json`` (``notes``), the HTML and JUnit reports and the
job summary on GitHub.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from playwright.sync_api import Error, Page

from scenarios.doctor.checks.entra import PORTAL_TOKEN_CONFIGURATION, is_entra, provider_flavour
from scenarios.real_idp import RealIdpStack

__all__ = ["no_address_note", "note_address", "run_notes"]


def note_address(page: Page, stack: RealIdpStack) -> None:
    """After a sign-in that ended signed in: whether the relying party holds an address for
    the test user (``/api/me``), asked once a run and kept on ``stack``. Never fails the
    scenario: a page that closed, or an answer that is no JSON, leaves it to the next
    sign-in."""
    if stack.address_held is not None:
        return
    try:
        stack.address_held = not stack.app.holds_no_address(page)
    except (Error, ValueError):
        return


def run_notes(stack: RealIdpStack | None) -> tuple[str, ...]:
    """The notes of a run that used ``stack`` (``None``: no scenario ran)."""
    if stack is None or stack.address_held is not False:
        return ()
    return (no_address_note(stack.user.username, stack.metadata),)


def no_address_note(username: str, metadata: Mapping[str, Any], *,
                    held: str | None = None, mock: bool = False) -> str:
    """What to add so that the relying party holds an address for ``username``: the optional
    claims of the app registration on Entra (an authorization endpoint of Entra's shape, as
    the mock's), ``email_verified`` elsewhere. ``held`` says who holds none, and where it
    shows (default: the relying party's ``/api/me``); ``mock``: the provider was the mock,
    whose app registration has those claims already (``run --app``)."""
    held = (held or f"the relying party holds no e-mail address for {username} (/api/me "
            "answers email: null)") + ", though the scenarios passed on the name it shows: "
    claims = (f"the optional claims email and xms_edov to the app registration's ID token "
              f"({PORTAL_TOKEN_CONFIGURATION} → Add optional claim → ID)")
    if mock:
        return (held + "the mock's ID tokens carry the optional claims email and xms_edov "
                "(true: the tenant has verified the user's mail domain), so an app that keeps "
                "only an address Entra vouches for should hold this one: take email where "
                "xms_edov is true (Entra sends no email_verified); on Entra, add " + claims)
    if is_entra(provider_flavour(str(metadata.get("authorization_endpoint", "")))):
        return (held + "it keeps only an address Entra vouches for (the xms_edov claim true), "
                f"so add {claims}; with them, the user needs a mail address in a domain the "
                "tenant has verified")
    return (held + "it keeps only an address the provider vouches for, so have the provider "
            "put email and email_verified (true) in the ID token (the relying party asks for "
            "the email scope), for a user whose address it has verified")
