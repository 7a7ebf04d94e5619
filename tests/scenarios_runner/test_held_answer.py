"""``catalogue.held_answer``: the provider's answer to the app, held in whichever response mode
the app asked for (a redirect's query or fragment, or a ``form_post`` page), and altered where
the provider put it: pure, no browser; and the message of an app that starts a new sign-in
instead of showing its failure page."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from mock_idp.endpoints.common import templates
from scenarios.app.adapter import ACCEPTED, NoFailurePage
from scenarios.catalogue.held_answer import Answer, answer_in, posted

CALLBACK = "http://127.0.0.1:8000/signin-oidc"


def _form_post_page(fields: dict[str, str]) -> str:
    """The mock provider's own ``form_post`` page."""
    return templates.get_template("form_post.html").render(action=CALLBACK, fields=fields)


def test_a_redirect_is_held_as_its_location() -> None:
    answer = answer_in(302, f"{CALLBACK}?code=c&state=s", "")
    assert answer == Answer(f"{CALLBACK}?code=c&state=s")
    assert answer.params == {"code": "c", "state": "s"}


def test_the_providers_form_post_page_is_held_as_its_form() -> None:
    answer = answer_in(200, "", _form_post_page({"code": "c", "state": "s&t"}))
    assert answer == Answer(CALLBACK, {"code": "c", "state": "s&t"})
    assert answer.params == {"code": "c", "state": "s&t"}


def test_a_page_without_a_form_or_a_redirect_without_a_location_is_no_answer() -> None:
    assert answer_in(200, "", "<h1>Stay signed in?</h1>") is None
    assert answer_in(302, "", "") is None
    assert posted("<form action='/x'></form>") is None


def test_a_parameter_is_changed_where_the_provider_put_it() -> None:
    query = Answer(f"{CALLBACK}?code=c&state=s")
    assert query.with_param("state", "t").url == f"{CALLBACK}?code=c&state=t"
    fragment = Answer(f"{CALLBACK}#code=c&state=s")
    assert fragment.with_param("state", "t").url == f"{CALLBACK}#code=c&state=t"
    form = Answer(CALLBACK, {"code": "c", "state": "s"})
    assert form.with_param("state", "t") == Answer(CALLBACK, {"code": "c", "state": "t"})
    assert form.fields["state"] == "s", "the held answer itself is kept"


def test_a_parameter_the_answer_lacks_is_not_added() -> None:
    assert Answer(CALLBACK, {"code": "c"}).with_param("state", "t").fields == {"code": "c"}
    assert Answer(f"{CALLBACK}?code=c").with_param("state", "t").url == f"{CALLBACK}?code=c"


MISSING = "the failure page did not appear: no 'Sign-in failed; please try again'"
"""A profile's ``[failure] text`` may hold the "; " that ends what was missing."""
SHOWN = "the app's page (http://127.0.0.1:8000/) shows 'Welcome'"


@pytest.mark.parametrize("named", [False, True], ids=["adapter", "with-refusal"])
def test_a_new_sign_in_is_named_after_what_was_missing_whole(
        monkeypatch: pytest.MonkeyPatch, named: bool) -> None:
    """An app that starts a new sign-in instead of its failure page: the message keeps the
    profile's text whole and says what the new sign-in did, whether ``flows.expect_failure``
    passed the adapter's error on or named a refusal after its first line."""
    authorize = "http://localhost:1/t/oauth2/v2.0/authorize?client_id=c"
    import scenarios.catalogue.held_answer as held

    def fails(page: object, stack: object, kind: str) -> None:
        error = NoFailurePage(MISSING, f"{ACCEPTED}, and {SHOWN}")
        if not named:
            raise error
        raise AssertionError(f"{error}; the provider had refused the app's …") from error

    monkeypatch.setattr(held, "NavigationLog",
                        lambda page: SimpleNamespace(documents=[(authorize, 302)]))
    monkeypatch.setattr(held, "deliver", lambda page, answer: None)
    monkeypatch.setattr(held, "expect_failure", fails)
    stack = SimpleNamespace(idp=SimpleNamespace(base_url="http://localhost:1"))
    with pytest.raises(AssertionError) as caught:
        held.deliver_to_failure_page(cast(Any, None), cast(Any, stack), Answer(CALLBACK),
                                     "state-tampered")
    assert str(caught.value).startswith(
        f"{MISSING}; the app did not take this answer but started a new sign-in (it sent the "
        "browser to the provider's authorize endpoint again, http://localhost:1/t/oauth2/v2.0/"
        "authorize?…), which the provider's session answered at once: someone is signed in "
        f"by that new sign-in, and {SHOWN}"), caught.value
