"""``--shard I/N``: N shards together run the whole catalogue, none of it twice, the same way on
every machine; the runner, ``conformance`` and the pytest plugin all split so."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from scenarios.__main__ import build_parser, main
from scenarios.conformance.junit import write_junit as write_conformance_junit
from scenarios.conformance.rows import ROWS, RowResult, Verdict
from scenarios.registry import load_catalogue
from scenarios.report import write_json, write_junit
from scenarios.results import RunSummary, ScenarioResult
from scenarios.runner import DEFAULT_CATALOGUE
from scenarios.shard import Shard, ShardError, parse_shard

from .plugin_pytest import run_plugin_pytest

CATALOGUE_IDS = [item.id for item in load_catalogue(DEFAULT_CATALOGUE)]
TOY = "scenarios_runner.toy_catalogue:registry"


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7, len(CATALOGUE_IDS), len(CATALOGUE_IDS) + 3])
def test_the_shards_of_the_catalogue_are_all_of_it_once(count: int) -> None:
    taken = Counter(i for index in range(1, count + 1)
                    for i in Shard(index, count).ids(CATALOGUE_IDS))
    assert set(taken) == set(CATALOGUE_IDS)
    assert max(taken.values()) == 1
    sizes = [len(Shard(index, count).ids(CATALOGUE_IDS)) for index in range(1, count + 1)]
    assert max(sizes) - min(sizes) <= 1


def test_the_split_does_not_depend_on_the_order_given() -> None:
    shuffled = list(CATALOGUE_IDS)
    random.Random(7).shuffle(shuffled)
    for index in (1, 2, 3):
        assert Shard(index, 3).ids(shuffled) == Shard(index, 3).ids(CATALOGUE_IDS)


@pytest.mark.parametrize("count", [2, 3, 4, 7, 12])
@pytest.mark.parametrize("every", [1, 3, 5, 16])
def test_the_ones_that_run_are_dealt_first(count: int, every: int) -> None:
    """Scenarios a profile skips are dealt after the ones that run: each shard's share of
    those that run differs by at most one, the shards are still the whole catalogue once and
    their sizes still differ by at most one, whatever the order given."""
    runs = set(CATALOGUE_IDS[::every])
    shuffled = list(CATALOGUE_IDS)
    random.Random(count * every).shuffle(shuffled)
    shards = [Shard(index, count).select(shuffled, key=str, runs=runs.__contains__)
              for index in range(1, count + 1)]
    taken = Counter(i for mine in shards for i in mine)
    assert set(taken) == set(CATALOGUE_IDS) and max(taken.values()) == 1
    sizes = [len(mine) for mine in shards]
    shares = [len(runs.intersection(mine)) for mine in shards]
    assert max(sizes) - min(sizes) <= 1
    assert max(shares) - min(shares) <= 1, shares
    in_order = [Shard(index, count).select(CATALOGUE_IDS, key=str, runs=runs.__contains__)
                for index in range(1, count + 1)]
    assert [set(mine) for mine in shards] == [set(mine) for mine in in_order]


def test_select_keeps_the_given_order() -> None:
    items = ["d", "b", "a", "c", "e"]
    assert Shard(1, 2).select(items, key=str) == [i for i in items if i in {"a", "c", "e"}]
    assert Shard(2, 2).select(items, key=str) == ["d", "b"]


@pytest.mark.parametrize(("text", "shard"), [("1/1", Shard(1, 1)), ("2/4", Shard(2, 4)),
                                             (" 3 / 3 ", Shard(3, 3))])
def test_shards_parse(text: str, shard: Shard) -> None:
    assert parse_shard(text) == shard
    assert str(shard) == text.replace(" ", "")


@pytest.mark.parametrize("bad", ["0/2", "3/2", "1/0", "2", "a/b", "1/2/3", "-1/2", ""])
def test_bad_shards_are_refused(bad: str) -> None:
    with pytest.raises(ShardError):
        parse_shard(bad)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--shard", bad])


def test_a_bad_shard_is_named_by_the_option_given(
        pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--shard", "a/b"])
    said = "--shard: expected I/N (e.g. 2/4), got 'a/b'"
    assert capsys.readouterr().err.splitlines()[-1].endswith(f"error: argument {said}")
    done = run_plugin_pytest(pytester, "--sso-shard", "a/b")
    assert done.ret == pytest.ExitCode.USAGE_ERROR
    assert "error: argument --sso-shard: expected I/N (e.g. 2/4), got 'a/b'" in \
        done.stderr.str(), done.stderr.str()
    assert "--shard" not in done.stderr.str().replace("--sso-shard", "")


def _listed(out: str) -> list[str]:
    return [line.split("\t")[0] for line in out.splitlines() if line and line[0] != "\t"]


def test_run_list_by_shard_covers_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    listed: list[str] = []
    for index in (1, 2, 3):
        assert main(["run", "--list", "--shard", f"{index}/3"]) == 0
        listed += _listed(capsys.readouterr().out)
    assert sorted(listed) == sorted(CATALOGUE_IDS)


def test_a_shard_with_nothing_to_run_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    """One part of a selection that has scenarios: listed empty, not an error (its run
    passes with empty reports: test_run_outputs.py)."""
    assert main(["run", "--catalogue", TOY, "--only", "toy.pass.heading", "--shard", "2/2",
                 "--list"]) == 0
    assert "shard 2/2 has no scenarios" in capsys.readouterr().err


def test_conformance_list_by_shard_covers_the_rows(capsys: pytest.CaptureFixture[str]) -> None:
    listed: list[str] = []
    for index in (1, 2):
        assert main(["conformance", "--list", "--shard", f"{index}/2"]) == 0
        shard_rows = _listed(capsys.readouterr().out)
        assert shard_rows == [r.id for r in ROWS if r.id in shard_rows]  # catalogue order
        listed += shard_rows
    assert sorted(listed) == sorted(r.id for r in ROWS)


def _result(scenario_id: str, status: str = "passed") -> ScenarioResult:
    return ScenarioResult(id=scenario_id, title="t", proves="p", group="g",
                          status=status, seconds=1.0)  # type: ignore[arg-type]


def test_a_shard_names_its_reports(tmp_path: Path) -> None:
    summary = RunSummary(results=(_result("a.one"), _result("a.two", "failed")), seconds=2.0,
                         workers=1, report_dir=tmp_path, shard=Shard(2, 4))
    suite = ET.parse(write_junit(summary, tmp_path / "junit.xml")).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("name") == "sso-harness scenarios shard 2/4"
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    assert '"shard": "2/4"' in write_json(summary, tmp_path).read_text()


def test_conformance_junit(tmp_path: Path) -> None:
    results = [RowResult(row=ROWS[0], verdict=Verdict(result="PASS", did="rejected"), seconds=1),
               RowResult(row=ROWS[1], verdict=Verdict(result="FAIL", did="signed in",
                                                      reason="accepted it"), seconds=2),
               RowResult(row=ROWS[2], verdict=Verdict(result="SKIP", did="-",
                                                      reason="never asked"), seconds=0)]
    path = write_conformance_junit(results, tmp_path / "c.xml", shard=Shard(1, 3))
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None and suite.get("name") == "sso-harness conformance shard 1/3"
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "1")
    failure = suite.find(f"testcase[@name='{ROWS[1].id}']/failure")
    assert failure is not None and failure.get("message") == "accepted it"


PLUGIN_TESTS = '''
import pytest

@pytest.mark.parametrize("n", range(10))
def test_numbered(n):
    pass

def test_other():
    pass
'''


ONE_TEST = "def test_only():\n    pass\n"


def test_the_plugin_shards_the_collected_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_many=PLUGIN_TESTS)
    seen: list[str] = []
    for index in (1, 2, 3):  # the three CI machines
        done = run_plugin_pytest(pytester, "--sso-shard", f"{index}/3", "--collect-only", "-q")
        out = done.stdout.str()
        assert done.ret == 0, out + done.stderr.str()
        ids = [line for line in done.outlines if "::" in line]
        assert "deselected" in out
        assert 3 <= len(ids) <= 4, out
        seen += ids
    assert len(seen) == len(set(seen)) == 11


@pytest.mark.parametrize(("options", "suite_name"), [
    ((), "pytest shard 2/3"),
    (("-o", "junit_suite_name=ours"), "ours"),
    (("-o", "junit_suite_name=pytest"), "pytest"),
])
def test_a_plugin_shard_names_its_junit_suite(pytester: pytest.Pytester,
                                              options: tuple[str, ...], suite_name: str) -> None:
    """As ``run --shard`` and ``conformance --shard`` name theirs; a name given is kept."""
    pytester.makepyfile(test_many=PLUGIN_TESTS)
    junit = pytester.path / "junit.xml"
    done = run_plugin_pytest(pytester, "--sso-shard", "2/3", "--junitxml", str(junit), "-q",
                          *options)
    assert done.ret == 0, done.stdout.str() + done.stderr.str()
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("name") == suite_name
    assert suite.get("tests") == "4"


def test_a_plugin_shard_with_no_tests_passes_and_says_so(pytester: pytest.Pytester) -> None:
    """As ``run --shard`` on an empty shard: one job of a CI matrix is not failed for it."""
    pytester.makepyfile(test_one=ONE_TEST)
    empty = next(index for index in (1, 2)
                 if not Shard(index, 2).ids(["test_one.py::test_only"]))
    done = run_plugin_pytest(pytester, "--sso-shard", f"{empty}/2")
    assert done.ret == 0, done.stdout.str() + done.stderr.str()
    assert f"pytest shard {empty}/2 has no tests" in done.stdout.str(), done.stdout.str()


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_plugin_shard_with_no_tests_passes_under_xdist_too(pytester: pytest.Pytester,
                                                             workers: str) -> None:
    """pytest-xdist's controller collects nothing itself: its workers tell it the shard is
    empty (it exited 5, "no tests ran", where a run without workers passed)."""
    pytester.makepyfile(test_one=ONE_TEST)
    empty = next(index for index in (1, 2)
                 if not Shard(index, 2).ids(["test_one.py::test_only"]))
    done = run_plugin_pytest(pytester, "-p", "xdist.plugin", "-n", workers,
                             "--sso-shard", f"{empty}/2")
    assert done.ret == 0, done.stdout.str() + done.stderr.str()
    assert f"pytest shard {empty}/2 has no tests" in done.stdout.str(), done.stdout.str()
    selected = run_plugin_pytest(pytester, "-p", "xdist.plugin", "-n", workers, "-k",
                                 "no_such_test", "--sso-shard", f"{empty}/2")
    assert selected.ret == pytest.ExitCode.NO_TESTS_COLLECTED, selected.stdout.str()


@pytest.mark.parametrize("options", [("-k", "no_such_test"), ("-k", "no_such_test",
                                                               "--sso-shard", "1/2")])
def test_an_empty_selection_is_still_no_tests_ran(pytester: pytest.Pytester,
                                                  options: tuple[str, ...]) -> None:
    pytester.makepyfile(test_one=ONE_TEST)
    done = run_plugin_pytest(pytester, *options)
    assert done.ret == pytest.ExitCode.NO_TESTS_COLLECTED, done.stdout.str() + done.stderr.str()
    assert "has no tests" not in done.stdout.str()
