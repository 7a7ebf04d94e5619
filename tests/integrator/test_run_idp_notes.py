"""What ``run --idp`` notes under its results: a relying party that holds no e-mail address
for its user, with what to add at the provider (the runs themselves, against the mock standing
in for Entra, are in ``test_run_idp_entra``)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import pytest
from playwright.sync_api import Error, Page

from scenarios.doctor.config import Secret
from scenarios.real_idp import RealIdpStack, TestUser
from scenarios.real_idp_notes import no_address_note, note_address, run_notes

ENTRA = {"authorization_endpoint":
         "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/authorize"}
KEYCLOAK = {"authorization_endpoint":
            "https://sso.example/realms/acme/protocol/openid-connect/auth"}


def test_on_entra_the_note_names_the_optional_claims_and_where_to_add_them() -> None:
    note = no_address_note("tester@contoso.example", ENTRA)
    assert note.startswith("the relying party holds no e-mail address for "
                           "tester@contoso.example (/api/me answers email: null), though the "
                           "scenarios passed on the name it shows: "), note
    assert ("add the optional claims email and xms_edov to the app registration's ID token "
            "(Microsoft Entra admin center → App registrations → <app> → Token configuration "
            "→ Add optional claim → ID)") in note
    assert "verified" in note and "email_verified" not in note


def test_elsewhere_the_note_names_email_verified() -> None:
    note = no_address_note("tester@acme.example", KEYCLOAK)
    assert "email and email_verified (true) in the ID token" in note
    assert "xms_edov" not in note and "Token configuration" not in note


class _App:
    def __init__(self, answer: bool | Exception) -> None:
        self.answer, self.asked = answer, 0

    def holds_no_address(self, page: Page) -> bool:
        self.asked += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def _stack(answer: bool | Exception) -> RealIdpStack:
    user = TestUser(username="tester@contoso.example", password=Secret("P@ssw0rd"))
    return cast(RealIdpStack, SimpleNamespace(app=_App(answer), user=user, metadata=ENTRA,
                                              address_held=None))


@pytest.mark.parametrize(("answer", "held", "noted"), [(True, False, 1), (False, True, 0)])
def test_the_first_sign_in_tells_whether_the_run_notes_it(answer: bool, held: bool,
                                                          noted: int) -> None:
    stack, page = _stack(answer), cast(Page, None)
    assert run_notes(stack) == ()  # no sign-in yet
    note_address(page, stack)
    note_address(page, stack)
    assert stack.address_held is held and cast(_App, stack.app).asked == 1
    assert run_notes(stack) == (no_address_note("tester@contoso.example", ENTRA),)[:noted]
    assert run_notes(None) == ()


@pytest.mark.parametrize("failure", [Error("Target page, context or browser has been closed"),
                                     ValueError("Expecting value: line 1 column 1")])
def test_a_question_that_fails_fails_no_scenario_and_is_asked_again(failure: Exception
                                                                   ) -> None:
    stack = _stack(failure)
    note_address(cast(Page, None), stack)
    assert stack.address_held is None and run_notes(stack) == ()
    cast(SimpleNamespace, stack).app = _App(True)
    note_address(cast(Page, None), stack)
    assert stack.address_held is False
