"""The installed package, not the source tree: what ``pip install sso-harness`` gives a user.

The slow tests build the wheel from a copy of the sources (the build writes ``build/`` and
``*.egg-info`` where it runs), check that it holds every file of the three packages, and sign
in on the mock's pages from a copy installed without the source tree on the path. The lowest
versions ``constraints/lowest.txt`` pins (``make test-lowest``) are checked against the bounds
``pyproject.toml`` declares.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("mock_idp", "relying_party", "scenarios")
BUILD_FILES = ("pyproject.toml", "README.md")
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules")
LOWEST = ROOT / "constraints" / "lowest.txt"
LINTERS = {"ruff", "mypy"}
"""Test-extra tools whose lowest versions the constraints leave out: they only lint."""


def package_files(root: Path) -> set[str]:
    """Every file of the packages under ``root``, as a wheel names it."""
    return {path.relative_to(root).as_posix()
            for package in PACKAGES for path in (root / package).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"}


def lower_bounds() -> dict[str, Version]:
    """Every runtime and test requirement's lower bound (``>=``), by canonical name."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    bounds: dict[str, Version] = {}
    for text in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        requirement = Requirement(text)
        lows = [Version(spec.version) for spec in requirement.specifier if spec.operator == ">="]
        assert len(lows) == 1, f"{text}: one lower bound (>=) expected"
        bounds[canonicalize_name(requirement.name)] = lows[0]
    return bounds


def pins(text: str) -> dict[str, Version]:
    found: dict[str, Version] = {}
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            found[canonicalize_name(name)] = Version(version)
    return found


def test_the_lowest_constraints_pin_each_declared_lower_bound() -> None:
    bounds = {name: low for name, low in lower_bounds().items() if name not in LINTERS}
    assert pins(LOWEST.read_text()) == bounds


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=SKIPPED)
    for name in BUILD_FILES:
        shutil.copy2(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir",
         str(work / "dist"), str(source)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    (found,) = (work / "dist").glob("sso_harness-*.whl")
    return found


@pytest.mark.slow
def test_the_wheel_holds_every_file_of_the_packages(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    missing = sorted(package_files(ROOT) - names)
    assert not missing, f"not in the wheel: {missing}"


@pytest.mark.slow
def test_an_installed_copy_renders_the_sign_in_page(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
         str(target), str(wheel)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    script = textwrap.dedent("""
        import asyncio, sys
        import httpx
        import mock_idp
        from mock_idp import create_app
        from mock_idp.config import DEFAULT_TENANT_ID, REFERENCE_RP_CLIENT_ID

        assert mock_idp.__file__.startswith(sys.argv[1]), mock_idp.__file__

        async def main():
            transport = httpx.ASGITransport(app=create_app())
            async with httpx.AsyncClient(transport=transport, base_url="http://idp") as http:
                page = await http.get(
                    f"/{DEFAULT_TENANT_ID}/oauth2/v2.0/authorize",
                    params={"client_id": REFERENCE_RP_CLIENT_ID, "response_type": "code",
                            "scope": "openid", "nonce": "n",
                            "redirect_uri": "http://localhost:5555/auth/callback"})
            assert page.status_code == 200, page.status_code
            assert 'name="loginfmt"' in page.text

        asyncio.run(main())
    """)
    # The installed copy comes first on the path, before the project's own (editable) one.
    ran = subprocess.run([sys.executable, "-c", script, str(target)], cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(target)},
                         capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stdout + ran.stderr[-2000:]


@pytest.mark.slow
def test_an_installed_copys_entry_points_load(wheel: Path, tmp_path: Path) -> None:
    """The pytest11 entry point (the plugin a user's pytest loads by itself) and the console
    scripts pyproject.toml declares are in the wheel, and each names an object that loads from
    the installed copy."""
    target = tmp_path / "site"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
         str(target), str(wheel)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {("console_scripts", name): value for name, value in project["scripts"].items()}
    declared |= {(group, name): value for group, points in project["entry-points"].items()
                 for name, value in points.items()}
    assert ("pytest11", "sso_harness") in declared
    script = textwrap.dedent("""
        import json, sys
        from importlib import metadata

        (dist,) = metadata.distributions(path=[sys.argv[1]], name="sso-harness")
        found = {}
        for point in dist.entry_points:
            point.load()
            found[f"{point.group} {point.name}"] = point.value
        import scenarios
        assert scenarios.__file__.startswith(sys.argv[1]), scenarios.__file__
        print(json.dumps(found))
    """)
    ran = subprocess.run([sys.executable, "-c", script, str(target)], cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(target)},
                         capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stdout + ran.stderr[-2000:]
    found = json.loads(ran.stdout)
    assert found == {f"{group} {name}": value for (group, name), value in declared.items()}
