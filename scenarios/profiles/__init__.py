"""Profiles shipped with the package: ``--app NAME`` finds ``NAME.toml`` here.

``reference-rp`` is the reference relying party; ``make scenarios`` runs the catalogue through
it.
"""

from __future__ import annotations

import contextlib
import difflib
from pathlib import Path

__all__ = ["DIRECTORY", "REFERENCE_RP", "builtin_names", "resolve", "shipped_hint"]

DIRECTORY = Path(__file__).parent
REFERENCE_RP = DIRECTORY / "reference-rp.toml"


def builtin_names() -> list[str]:
    return sorted(p.stem for p in DIRECTORY.glob("*.toml"))


def resolve(name_or_path: str | Path) -> Path:
    """A shipped profile by name (``reference-rp``), else the path as given."""
    text = str(name_or_path)
    if "/" not in text and not text.endswith(".toml") and (DIRECTORY / f"{text}.toml").is_file():
        return DIRECTORY / f"{text}.toml"
    return Path(name_or_path)


def shipped_hint(missing: Path) -> str:
    """For a profile file that does not exist, what ``--app`` may have meant: a ``.toml`` file
    of a close name beside where it was looked for (``myap.toml`` for ``myapp.toml``), else the
    closest shipped profile's name and all of them; ``""`` for a ``.toml`` path neither is
    close to."""
    if missing.suffix == ".toml":
        with contextlib.suppress(OSError):
            # By stem: the ".toml" every name ends in would make any two names of a length
            # alike (prod.toml and dev.toml are 0.71 apart, above difflib's 0.6).
            beside = sorted(p.stem for p in missing.parent.glob("*.toml"))
            if close_file := difflib.get_close_matches(missing.stem, beside, n=1):
                return f"did you mean {str(missing.parent / (close_file[0] + '.toml'))!r}?"
    names = builtin_names()
    close = difflib.get_close_matches(missing.stem if missing.suffix == ".toml" else missing.name,
                                      names, n=1)
    if not close and missing.suffix == ".toml":
        return ""
    guess = f"did you mean {close[0]!r}? " if close else ""
    return f"nor is it a shipped profile's name ({guess}shipped: {', '.join(names)})"
