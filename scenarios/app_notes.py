"""What ``run --app`` notes beside its results: an app that holds no e-mail address for the
people it signed in.

A profile whose ``[signed_in.me_json]`` reads both ``email`` and ``name`` passes a sign-in
whose ``email`` is ``null`` on the name alone (an app that keeps only an address the provider
vouches for: :meth:`scenarios.app.adapter.ProfileAdapter.expect_signed_in`). Each scenario's
result lists the people it found so (:attr:`~scenarios.results.ScenarioResult.addressless`),
and the run says so once, in the words of ``run --idp``'s note
(:func:`scenarios.real_idp_notes.no_address_note`): in the console, ``results.json``
(``notes``), the HTML and JUnit reports and the job summary on GitHub.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from scenarios.app.adapter import ProfileAdapter

if TYPE_CHECKING:
    from scenarios.app.profile import AppProfile
    from scenarios.results import RunSummary, ScenarioResult

__all__ = ["addressless_in", "app_notes", "click_note", "noted"]


@runtime_checkable
class _WithApp(Protocol):
    """A scenario's environment that reaches the app under test (a
    :class:`~scenarios.live.LiveStack`)."""

    app: object


def addressless_in(env: object) -> tuple[str, ...]:
    """The people the scenario's app was found signed in as with no e-mail address."""
    app = env.app if isinstance(env, _WithApp) else None
    return tuple(sorted(app.addressless)) if isinstance(app, ProfileAdapter) else ()


def app_notes(results: Iterable[ScenarioResult], profile: AppProfile,
              app_name: str | None = None) -> tuple[str, ...]:
    """The run's notes: one naming every person the app held no address for, if any, and one
    for a sign-in that starts with a click (``[sign_in] control``)."""
    from scenarios.real_idp_notes import no_address_note

    clicked = () if profile.sign_in.control is None else (click_note(profile, app_name),)
    people = sorted({upn for result in results for upn in result.addressless})
    if not people:
        return clicked
    signed_in = profile.signed_in
    held = (f"{app_name or profile.name} holds no e-mail address for {', '.join(people)} "
            f"({signed_in.me_url} answers {signed_in.me_json.get('email')}: null)")
    return (no_address_note(", ".join(people), {}, held=held, mock=True), *clicked)


def click_note(profile: AppProfile, app_name: str | None = None) -> str:
    """What a pass of auto-login.* means for an app whose sign-in page waits for a click."""
    return (f"{app_name or profile.name}'s sign-in starts with one click on its "
            f"[sign_in] control {profile.sign_in.control!r}: the auto-login scenarios passed "
            "with that click, and prove no page at the provider and none after it, not a "
            "login with no click at all (partner launches are never clicked through)")


def noted(summary: RunSummary, app: str | None, catalogue: str) -> RunSummary:
    """``summary`` of ``run --app app`` with what the run notes of the app; a catalogue other
    than the default uses no profile and notes nothing."""
    from scenarios.live import profile_for
    from scenarios.run_options import DEFAULT_CATALOGUE

    if app is None and catalogue != DEFAULT_CATALOGUE:
        return summary
    return replace(summary, notes=(*summary.notes, *app_notes(
        summary.results, profile_for(app), summary.app)))
