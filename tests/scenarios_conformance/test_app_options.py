"""``conformance --app``: the profile decides the app, its registration and the provider's
settings, so the flags only the ``--rp`` set-up reads are refused; ``--idp-port`` is the port
of the mock the command starts, with a profile too."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from mock_idp.config import DEFAULT_TENANT_ID, REFERENCE_RP_CLIENT_ID
from scenarios.__main__ import build_parser, main
from scenarios.app.port_reservation import reserve
from scenarios.conformance.setup import from_flags
from scenarios.profiles import REFERENCE_RP


@pytest.mark.parametrize("extra", [
    ["--client-id", "11111111-1111-1111-1111-111111111111"],
    ["--client-id", REFERENCE_RP_CLIENT_ID],  # given, even as the default's value
    ["--tenant", "contoso.onmicrosoft.com"],
    ["--tenant", DEFAULT_TENANT_ID],
    ["--redirect-uri", "http://rp.example.test/cb"],
    ["--spa-redirect-uri", "http://spa.example.test/"],
    ["--pause"],
    ["--ca-file", "ca.pem"],
])
def test_options_the_profile_decides_are_refused_with_app(
        extra: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["conformance", "--app", "reference-rp", "--only", "rp-nonce-invalid", *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [
        "scenarios conformance: --app starts the mock provider and the app itself, as the "
        f"profile says; it does not take {extra[0]}"]


def test_every_refused_option_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conformance", "--app", "reference-rp", "--rp", "http://rp.test",
                 "--tenant", "t", "--pause"]) == 2
    assert "it does not take --rp or --tenant or --pause" in capsys.readouterr().err


@pytest.mark.parametrize("listing", [["--list"], []])
def test_a_profile_with_problems_is_refused_before_anything_starts_with_list_too(
        listing: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """As ``run --app PROFILE --list`` refuses it: a profile CI lists rows with is one it can
    run them with."""
    profile = tmp_path / "mine.toml"
    profile.write_text("sign_in_url = '/login'\n" + REFERENCE_RP.read_text())
    code = main(["conformance", "--app", str(profile), *listing])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == "", captured
    said = captured.err.splitlines()
    assert said[0] == f"scenarios conformance: --app {profile}: the profile has problems:"
    assert said[1].startswith(f"  {profile}:1: sign_in_url: unknown key"), said
    assert main(["run", "--app", str(profile), "--list"]) == 2


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


def test_idp_port_is_the_port_of_the_mock_the_profile_run_starts(
        taken_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    """The port is asked for: one in use is a set-up error naming it (not another port)."""
    code = main(["conformance", "--app", "reference-rp", "--only", "rp-nonce-invalid",
                 "--idp-port", str(taken_port), "--check", "/"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"cannot start the mock provider on port {taken_port} (--idp-port): " in err, err
    assert "mock provider at" not in err


def test_idp_port_is_the_port_of_the_mock_conformance_starts_for_an_rp(
        taken_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    """With ``--rp`` too: a port in use is one line naming the option, exit 2, no traceback."""
    code = main(["conformance", "--rp", "http://127.0.0.1:9", "--only", "rp-nonce-invalid",
                 "--idp-port", str(taken_port)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    assert err.strip().splitlines()[-1] == (
        f"scenarios conformance: cannot start the mock provider on port {taken_port} "
        "(--idp-port): Address already in use; stop what uses it, or give another port"), err


def test_a_free_idp_port_is_honoured_and_reserved_while_the_mock_serves(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The port asked for is the mock's (not another), reserved like the harness's own."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = build_parser().parse_args(["conformance", "--rp", "http://127.0.0.1:9",
                                      "--idp-port", str(port)])
    with contextlib.ExitStack() as stack:
        target = from_flags(args, stack, say=lambda _: None)
        assert urlsplit(target.options.idp).port == port
        assert reserve(port) is None
    again = reserve(port)
    assert again is not None and again.held
    again.release()
