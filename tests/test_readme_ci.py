"""The README's CI workflows work as written when copied into a fresh job.

- A step that runs ``python -m pytest`` comes after a step that installs pytest: installing
  the harness brings no pytest (``make``'s ``.venv`` has it, from the ``test`` extra).
- A step that runs tests after another that runs tests carries an ``if:``, so that the first
  one failing does not leave the others unrun and their JUnit files missing.
- pytest's temporary folder, where ``sso_run_scenario`` keeps a failed scenario's screenshot,
  trace and app output, is inside the ``reports/`` folder the job uploads.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
TESTS = re.compile(r"-m pytest|-m scenarios (run|conformance)|make scenarios")


def _ci_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index("\n### CI\n"):text.index("\n## The mock identity provider\n")]


def _workflows() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", _ci_section(), flags=re.S)


def _steps(workflow: str) -> list[str]:
    """Each step of ``workflow`` (``- run: ...``, ``- uses: ...``, ``- if: ...``) with its
    more indented lines."""
    steps: list[str] = []
    indent = None
    for line in workflow.splitlines():
        if not line.strip():
            continue
        here = len(line) - len(line.lstrip())
        if re.match(r"\s*- (run|uses|if|name):", line) and (indent is None or here <= indent):
            indent = here
            steps.append(line)
        elif steps and indent is not None and here > indent:
            steps[-1] += "\n" + line
    return steps


def test_the_ci_section_has_its_workflows() -> None:
    workflows = _workflows()
    assert len(workflows) == 2, workflows
    assert all(len(_steps(w)) >= 4 for w in workflows), [_steps(w) for w in workflows]


@pytest.mark.parametrize("index", [0, 1])
def test_pytest_is_installed_before_it_runs(index: int) -> None:
    steps = _steps(_workflows()[index])
    for at, step in enumerate(steps):
        if "-m pytest" not in step or ".venv/bin/python -m pytest" in step:
            continue  # make's .venv is installed with the test extra, which brings pytest
        installs = [s for s in steps[:at] if "pip install" in s]
        assert any(re.search(r"\bpytest\b", s) for s in installs), (step, installs)


@pytest.mark.parametrize("index", [0, 1])
def test_a_failing_test_step_leaves_the_next_ones_running(index: int) -> None:
    testing = [s for s in _steps(_workflows()[index]) if TESTS.search(s)]
    assert len(testing) >= 2, testing
    for step in testing[1:]:
        assert "if: ${{ !cancelled() }}" in step, step


@pytest.mark.parametrize("index", [0, 1])
def test_a_failed_scenarios_files_are_uploaded(index: int) -> None:
    steps = _steps(_workflows()[index])
    uploads = [s for s in steps if "upload-artifact" in s]
    assert uploads and all("path: reports/" in s and ("!cancelled()" in s or "always()" in s)
                           for s in uploads), uploads
    for step in steps:
        if "-m pytest" in step:
            assert "--basetemp=reports/" in step, step
