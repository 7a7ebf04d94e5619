"""``python -m scenarios --help`` and each command's, as a new user reads them: what the tool
does beyond the browser scenarios, where the ``--idp`` config is described, what ``app check``
probes (``me_url`` only when the profile has one), the scope ``doctor`` asks on Entra's v1
token endpoint, and how ``conformance`` tells a REJECT row passed for an app judged by a page."""

from __future__ import annotations

import pytest

from scenarios.__main__ import build_parser


def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as leaving:
        build_parser().parse_args([*argv, "--help"])
    assert leaving.value.code in (0, None)
    return " ".join(capsys.readouterr().out.split())


def test_the_top_help_names_every_part(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help([], capsys)
    assert "real-browser scenarios, a conformance check for any relying party, and a doctor " \
           "for a real identity provider" in text


def test_run_idp_points_at_the_readme_not_a_source_file(
        capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(["run"], capsys)
    assert "(see 'run --idp' in the README)" in text
    assert "scenarios/real_idp.py" not in text


def test_app_check_says_what_it_probes(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(["app", "check"], capsys)
    assert "me_url (when the profile has one)" in text
    assert "the failure page shows what [failure] names" in text
    assert "without a browser" in text


def test_doctor_scope_says_what_entras_v1_endpoint_is_sent(
        capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(["doctor"], capsys)
    assert "on Entra's v1 token endpoint, resource=https://graph.microsoft.com instead" in text
    assert "a --scope is sent as the resource it names: api://x/.default as " \
           "resource=api://x" in text


def test_conformance_says_how_a_reject_row_passes(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(["conformance"], capsys)
    assert "then asks --check (or the profile's [signed_in] page)" in text
    assert "REJECT rows pass when the RP refused the faulted answer (and signs in with a " \
           "correct one right after)" in text
