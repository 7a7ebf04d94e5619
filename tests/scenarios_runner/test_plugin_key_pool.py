"""The plugin keeps its key pool's keys in pytest's cache: the next session generates none,
and ``--cache-clear`` makes new ones."""

from __future__ import annotations

import json

import pytest

KEYS_TEST = '''
import json

from mock_idp import key_source


def test_two_signing_keys(monkeypatch):
    generated = []
    real = key_source.fresh_rsa_key

    def counted():
        generated.append(1)
        return real()

    monkeypatch.setattr(key_source, "fresh_rsa_key", counted)
    moduli = [key_source.new_rsa_key().public_key().public_numbers().n for _ in range(2)]
    with open("keys.json", "w") as out:
        json.dump({"generated": len(generated), "moduli": moduli}, out)
'''


def _session(pytester: pytest.Pytester, *options: str) -> dict[str, object]:
    result = pytester.runpytest_inprocess("-p", "scenarios.pytest_plugin", "--sso-key-pool", "2",
                                          *options)
    result.assert_outcomes(passed=1)
    seen: dict[str, object] = json.loads((pytester.path / "keys.json").read_text())
    return seen


def test_the_next_session_takes_the_pools_keys_from_the_cache(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_keys=KEYS_TEST)
    first = _session(pytester)
    assert first["generated"] == 2
    again = _session(pytester)
    assert again == {"generated": 0, "moduli": first["moduli"]}
    cleared = _session(pytester, "--cache-clear")
    assert cleared["generated"] == 2
    assert not set(cleared["moduli"]) & set(first["moduli"])  # type: ignore[arg-type]
