"""Profiles shipped with the package: ``--app NAME`` finds ``NAME.toml`` here.

``reference-rp`` is the reference relying party; ``make scenarios`` runs the catalogue through
it.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DIRECTORY", "REFERENCE_RP", "builtin_names", "resolve"]

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
