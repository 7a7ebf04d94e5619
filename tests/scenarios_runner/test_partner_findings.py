"""The partner scenarios against a small partner app with one defect each: the defect is a
FAIL with the scenario's own message, and the same app without it passes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sample_apps.partner_rp import partner_profile

from scenarios.runner import RunOptions, run

pytestmark = pytest.mark.browser

PARTNER = ("partner.forged-event", "partner.event-redelivered", "partner.uninstalled",
           "signout.user-logout-event")


def _verdicts(profile: Path, only: tuple[str, ...], report: Path) -> dict[str, tuple[str, str]]:
    summary = run(RunOptions(app=str(profile), only=only, report_dir=report, workers=1,
                             trace="off", screenshots="failure", timeout_ms=10_000),
                  out=io.StringIO())
    return {r.id: (r.status, r.message or "") for r in summary.results}


def test_an_app_that_reads_events_without_their_signature_fails_forged_event(
        tmp_path: Path) -> None:
    verdicts = _verdicts(partner_profile(tmp_path, defect="signature"),
                         ("partner.forged-event",), tmp_path / "report")
    status, message = verdicts["partner.forged-event"]
    assert status == "failed", verdicts
    assert message.startswith(
        "AssertionError: the app accepted a user.logout signed with a key the platform does "
        "not publish (HTTP 200): it must verify X-Hub-Ecdsa-Signature"), message


def test_an_app_that_ends_every_session_on_user_logout_fails(tmp_path: Path) -> None:
    verdicts = _verdicts(partner_profile(tmp_path, defect="logout-all"),
                         ("signout.user-logout-event",), tmp_path / "report")
    status, message = verdicts["signout.user-logout-event"]
    assert status == "failed", verdicts
    assert message.startswith("AssertionError: bob is no longer signed in after a user.logout "
                              "for alice"), message


def test_an_app_that_serves_an_uninstalled_installation_fails(tmp_path: Path) -> None:
    verdicts = _verdicts(partner_profile(tmp_path, defect="ignores-uninstall"),
                         ("partner.uninstalled",), tmp_path / "report")
    status, message = verdicts["partner.uninstalled"]
    assert status == "failed", verdicts
    assert "the user is still signed in after app.uninstalled for her installation" in message, \
        message


def test_the_same_app_without_a_defect_passes(tmp_path: Path) -> None:
    verdicts = _verdicts(partner_profile(tmp_path), PARTNER, tmp_path / "report")
    assert verdicts == {scenario: ("passed", "") for scenario in PARTNER}, verdicts
