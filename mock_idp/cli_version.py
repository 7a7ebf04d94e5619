"""``--version`` for the command lines: the installed sso-harness version, looked up only when
asked (reading the package metadata costs about 25 ms, more than the rest of ``--help``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

DISTRIBUTION = "sso-harness"


def installed_version() -> str:
    """The installed distribution's version, or a note that the code runs from a source tree
    that was never installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "(not installed: running from a source tree)"


class VersionAction(argparse.Action):
    """``--version``: print ``PROG VERSION`` and exit 0, as argparse's own ``version`` action,
    with the version read when the option is given."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS,
                 help: str = "show the installed version and exit") -> None:  # noqa: A002
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        print(f"{parser.prog} {installed_version()}")
        parser.exit()
