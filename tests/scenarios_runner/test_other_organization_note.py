"""failure.other-organization's check that zed is kept out: the provider's request log, read
to say why an app on ``/organizations`` lets him in, is read when he got in, not on every pass."""

from __future__ import annotations

from typing import Any

import pytest

from scenarios.catalogue import failures


class _Stack:
    """A stand-in for the live stack: counts the reads of the provider's log."""

    def __init__(self) -> None:
        self.reads = 0

    def provider_requests(self) -> list[dict[str, Any]]:
        self.reads += 1
        return [{"path": "/organizations/oauth2/v2.0/authorize", "method": "GET"}]


def test_an_app_that_keeps_zed_out_costs_no_read_of_the_providers_log(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(failures, "expect_signed_out", lambda page, stack, why="": None)
    stack = _Stack()
    failures.zed_signed_out(object(), stack)  # type: ignore[arg-type]
    assert stack.reads == 0


def test_an_app_that_lets_zed_in_is_told_why_on_the_verdicts_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def signed_in(page: object, stack: object, why: str = "") -> None:
        raise AssertionError(f"/me answered HTTP 200: the user is still signed in{why}\nmore")

    monkeypatch.setattr(failures, "expect_signed_out", signed_in)
    with pytest.raises(AssertionError) as caught:
        failures.zed_signed_out(object(), _Stack())  # type: ignore[arg-type]
    first, _, rest = str(caught.value).partition("\n")
    assert first.startswith("/me answered HTTP 200: the user is still signed in: a user of "
                            "another organization got in; the app signs in through "
                            "/organizations, where Entra signs in"), first
    assert rest == "more"
