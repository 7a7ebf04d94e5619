"""``--version`` on the three command lines: the installed sso-harness version, on stdout, exit
0; from a source tree that was never installed, a note that says so."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Sequence

import pytest

from mock_idp.__main__ import parse_args as mock_idp_args
from relying_party.__main__ import parse_args as relying_party_args
from scenarios.__main__ import build_parser

PARSERS: dict[str, Callable[[Sequence[str]], object]] = {
    "mock_idp": mock_idp_args,
    "scenarios": lambda argv: build_parser().parse_args(argv),
    "relying_party": relying_party_args,
}


def _version_output(package: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as leaving:
        PARSERS[package](["--version"])
    assert leaving.value.code in (0, None)
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out


@pytest.mark.parametrize("package", sorted(PARSERS))
def test_version_names_the_installed_release(package: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    installed = importlib.metadata.version("sso-harness")
    assert _version_output(package, capsys) == f"python -m {package} {installed}\n"


@pytest.mark.parametrize("package", sorted(PARSERS))
def test_version_from_a_source_tree_says_it_is_not_installed(
        package: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert _version_output(package, capsys) == (
        f"python -m {package} (not installed: running from a source tree)\n")
