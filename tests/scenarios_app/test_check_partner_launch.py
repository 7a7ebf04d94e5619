"""``app check`` on a partner app with no sign-in URL of its own: its failure page is the one
its launch URL shows for an installation id it was never given, checked against ``[failure]``
(with ``[partner]``'s contact) rather than left unchecked."""

from __future__ import annotations

import io
from pathlib import Path

from sample_apps.partner_rp import partner_profile

from scenarios.app.check import check_profile

LAUNCH_FAILURE = ("failure page of a launch with an installation id the app was never given: "
                  "it does ")


def _check(path: Path) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = check_profile(path, out=out)
    return code, out.getvalue().splitlines()


def test_the_launch_failure_page_is_checked(tmp_path: Path) -> None:
    code, lines = _check(partner_profile(tmp_path))
    assert code == 0, "\n".join(lines)
    assert ("ok       " + LAUNCH_FAILURE + "show 'Sign-in failed'; does show the support "
            "contact 'help@partner.example'") in lines, lines
    assert not any("failure page not checked" in line for line in lines), lines


def test_a_launch_failure_page_without_the_partner_contact_is_a_note(tmp_path: Path) -> None:
    path = partner_profile(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace(
        "[partner]\n", '[partner]\ncontact = "partners@example.com"\n'), encoding="utf-8")
    code, lines = _check(path)
    assert code == 0, "\n".join(lines)
    (note,) = [line for line in lines if "failure page" in line]
    assert note.startswith("note     " + LAUNCH_FAILURE.replace("it does ", "it does not ")
                           + "show the support contact 'partners@example.com'; the app "
                           "showed /launch with HTTP 400: 'Sign-in failed'"), note
