from __future__ import annotations

import re
from pathlib import Path

import pytest

from scenarios import Registry, ScenarioContext, load_catalogue
from scenarios.registry import CatalogueError, SelectionError, default_registry


def _noop(ctx: ScenarioContext[object]) -> None:
    return None


def _registry(*ids: str) -> Registry:
    registry = Registry()
    for scenario_id in ids:
        registry.scenario(id=scenario_id, title=scenario_id, proves="something")(_noop)
    return registry


def test_decorator_registers_and_returns_the_function() -> None:
    registry = Registry()

    @registry.scenario(
        id="auto-login.widget",
        title="Widget",
        proves="no click needed",
        tags=["smoke"],
        needs=["fault-injection"],
    )
    def widget(ctx: ScenarioContext[object]) -> None:
        return None

    item = registry.get("auto-login.widget")
    assert widget.__name__ == "widget"
    assert item.run is widget
    assert item.group == "auto-login"
    assert item.tags == frozenset({"smoke"})
    assert item.needs == frozenset({"fault-injection"})
    assert "auto-login.widget" in registry and len(registry) == 1


def test_explicit_group_wins_over_the_id_prefix() -> None:
    registry = Registry()
    registry.scenario(id="failure.nonce", title="t", proves="p", group="tokens")(_noop)
    assert registry.get("failure.nonce").group == "tokens"


def test_scenario_is_frozen() -> None:
    item = _registry("a.b").get("a.b")
    with pytest.raises(AttributeError):
        item.id = "c"  # type: ignore[misc]


@pytest.mark.parametrize("bad", ["", "Upper.case", "has space", ".leading-dot", "slash/no"])
def test_bad_ids_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="scenario id"):
        _registry(bad)


def test_duplicate_ids_are_refused() -> None:
    registry = _registry("a.one")
    with pytest.raises(ValueError, match="registered twice"):
        registry.scenario(id="a.one", title="again", proves="p")(_noop)


def test_a_module_imported_again_replaces_its_scenarios() -> None:
    """pytest's in-process runs (pytester) restore ``sys.modules``, so a catalogue module is
    imported again into a registry that kept its scenarios: the same scenario, not a second."""
    registry = _registry("a.first")
    source = "def check(ctx):\n    return None\n"
    runs = []
    for _ in range(2):
        module: dict[str, object] = {"__name__": "catalogue_again"}
        exec(compile(source, "catalogue_again.py", "exec"), module)
        runs.append(registry.scenario(id="a.again", title="t", proves="p")(module["check"]))
    assert [s.id for s in registry.select()] == ["a.first", "a.again"]
    assert registry.get("a.again").run is runs[1]
    other: dict[str, object] = {"__name__": "another_catalogue"}
    exec(compile(source, "another_catalogue.py", "exec"), other)
    with pytest.raises(ValueError, match="registered twice"):  # another module's: refused
        registry.scenario(id="a.again", title="t", proves="p")(other["check"])


def test_select_everything_in_registration_order() -> None:
    registry = _registry("b.two", "a.one", "c.three")
    assert [s.id for s in registry.select()] == ["b.two", "a.one", "c.three"]


@pytest.mark.parametrize(
    ("patterns", "expected"),
    [
        (["a.one"], ["a.one"]),
        (["auto-login.*"], ["auto-login.widget", "auto-login.portal"]),
        (["*.portal"], ["auto-login.portal", "failure.portal"]),
        (["a.one,failure.*"], ["a.one", "failure.portal"]),
        (["failure.*", "a.one"], ["a.one", "failure.portal"]),
        (["auto-login.w?dget", " a.one "], ["a.one", "auto-login.widget"]),
    ],
)
def test_select_by_ids_and_globs(patterns: list[str], expected: list[str]) -> None:
    registry = _registry("a.one", "auto-login.widget", "auto-login.portal", "failure.portal")
    assert [s.id for s in registry.select(patterns)] == expected


def test_a_pattern_matching_nothing_is_an_error() -> None:
    registry = _registry("a.one")
    with pytest.raises(SelectionError, match="'typo.one'"):
        registry.select(["a.one", "typo.one"])


def test_a_mistyped_id_is_answered_with_the_close_ones() -> None:
    registry = _registry("auto-login.first-login", "auto-login.widget", "failure.portal")
    with pytest.raises(SelectionError) as caught:
        registry.select(["auto-login.frist-login", "nothing.like-it"])
    assert str(caught.value) == ("no scenario matches 'auto-login.frist-login', "
                                 "'nothing.like-it' (did you mean 'auto-login.first-login'?)")


@pytest.mark.parametrize(("pattern", "meant"), [
    ("nonce-mismatch", "'failure.nonce-mismatch'"),  # the group left out
    ("Failure.Nonce-Mismatch", "'failure.nonce-mismatch'"),
    ("failure.nonce", "'failure.nonce-mismatch'"),  # a prefix
    ("nonce", "'failure.nonce-mismatch'"),  # a prefix of the name after the group
    ("first*", "'auto-login.first-login'"),  # a glob of the name
])
def test_an_id_without_its_group_or_cut_short_is_answered_with_the_whole_one(
        pattern: str, meant: str) -> None:
    registry = _registry("auto-login.first-login", "failure.nonce-mismatch", "failure.portal")
    with pytest.raises(SelectionError) as caught:
        registry.select([pattern])
    assert str(caught.value) == f"no scenario matches {pattern!r} (did you mean {meant}?)"


def test_exact_id_is_not_a_prefix_match() -> None:
    registry = _registry("a.one", "a.one-more")
    assert [s.id for s in registry.select(["a.one"])] == ["a.one"]


def test_load_catalogue_with_an_attribute() -> None:
    registry = load_catalogue("scenarios_runner.toy_catalogue:registry")
    assert "toy.pass.heading" in registry
    assert registry is not default_registry


def test_load_catalogue_refuses_what_is_not_a_registry() -> None:
    with pytest.raises(CatalogueError, match="not a scenarios.registry.Registry"):
        load_catalogue("scenarios_runner.toy_catalogue:RENDEZVOUS_ENV")


@pytest.mark.parametrize(("spec", "said"), [
    ("nonexist", "no module named 'nonexist'"),
    ("nonexist.catalogue:registry", "no module named 'nonexist.catalogue'"),
    ("scenarios.nonexist", "no module named 'scenarios.nonexist'"),
    ("scenarios.catalogue:NOPE", "module scenarios.catalogue has no 'NOPE'"),
    (":registry", "needs a module's full name"),
    (".catalogue", "needs a module's full name"),
])
def test_load_catalogue_names_what_it_cannot_find(spec: str, said: str) -> None:
    with pytest.raises(CatalogueError, match=f"^{re.escape(said)}"):
        load_catalogue(spec)


def test_a_catalogue_that_fails_to_import_raises_its_own_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its author needs the traceback: the module was found, one of its imports was not."""
    (tmp_path / "broken_catalogue.py").write_text("import not_installed_anywhere\n",
                                                  encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="not_installed_anywhere"):
        load_catalogue("broken_catalogue")


def test_load_catalogue_without_attribute_uses_the_default_registry() -> None:
    assert load_catalogue("scenarios.catalogue") is default_registry
