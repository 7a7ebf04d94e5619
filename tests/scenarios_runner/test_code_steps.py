"""The authenticator-code time steps a run has typed (:class:`scenarios.drivers.CodeSteps`):
a provider takes one code per 30-second step, so a second sign-in within one step waits for
the next, and the worker processes of a run share what was typed through a file. The time
source is a fake clock that sleeping moves; the run itself is in
``tests/integrator/test_run_idp_entra.py``."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from scenarios.drivers import CodeSteps

START = 1_700_000_020.0  # 10 s into a 30-second step


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.time = now
        self.slept: list[float] = []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.time += seconds


class StepLog:
    def __init__(self) -> None:
        self.names: list[str] = []

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        self.names.append(name)
        yield


def test_a_second_code_in_the_same_step_waits_for_the_next_step() -> None:
    clock = FakeClock()
    steps = CodeSteps(now=clock.now, sleep=clock.sleep)
    log = StepLog()
    first = steps.take(log.step)
    assert first == int(START) // 30 and clock.slept == [] and log.names == []

    clock.time += 5
    assert steps.take(log.step) == first + 1
    assert clock.slept == [15.0]  # to the start of the next step, computed, not a fixed wait
    assert log.names == ["wait 15 s for a new authenticator code (the provider takes one code "
                         "per 30-second step, and this step's was used in this run)"]

    clock.time += 31  # in a later step: no wait
    assert steps.take(log.step) == first + 2 and clock.slept == [15.0] and len(log.names) == 1


def test_the_step_length_is_injectable() -> None:
    clock = FakeClock(100.0)
    steps = CodeSteps(now=clock.now, sleep=clock.sleep, step_seconds=60)
    assert steps.take() == 1
    assert steps.take() == 2 and clock.slept == [20.0]


def test_steps_kept_in_a_file_are_shared_and_kept_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "run" / ".steps"
    clock = FakeClock()
    first = CodeSteps(path, now=clock.now, sleep=clock.sleep).take()
    # another worker (another object, as in another process) with the same file
    assert CodeSteps(path, now=clock.now, sleep=clock.sleep).take() == first + 1
    assert path.read_text(encoding="ascii") == f"{first + 1}\n"
    # a record further ahead than a provider would take is not this clock's: it is ignored
    path.write_text(f"{first + 50}\n", encoding="ascii")
    clock.slept.clear()
    assert CodeSteps(path, now=clock.now, sleep=clock.sleep).take() == first + 1
    assert clock.slept == []


def test_another_process_waits_for_the_step_after_this_ones(tmp_path: Path) -> None:
    path = tmp_path / ".steps"
    clock = FakeClock()
    step = CodeSteps(path, now=clock.now, sleep=clock.sleep).take()
    child = f"""
from pathlib import Path
from scenarios.drivers import CodeSteps
t = [{START!r}]
def sleep(seconds):
    t[0] += seconds
print(CodeSteps(Path({str(path)!r}), now=lambda: t[0], sleep=sleep).take(), t[0])
"""
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                          check=True, timeout=60, cwd=Path(__file__).parents[2])
    taken, at = done.stdout.split()
    assert int(taken) == step + 1 and float(at) == (step + 1) * 30
