"""``catalogue.held_answer``: the provider's answer to the app, held in whichever response mode
the app asked for (a redirect's query or fragment, or a ``form_post`` page), and altered where
the provider put it: pure, no browser."""

from __future__ import annotations

from mock_idp.endpoints.common import templates
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
