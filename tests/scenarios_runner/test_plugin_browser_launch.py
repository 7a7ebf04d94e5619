"""A browser the plugin was pointed at that does not start fails its tests with one message
naming the choice and what fixes it, not Playwright's traceback."""

from __future__ import annotations

import pytest

from scenarios.browser import CHROMIUM_ENV, WS_ENDPOINT_ENV

from .plugin_pytest import run_plugin_pytest

INNER_TESTS = '''
def test_one(sso_page):
    pass


def test_two(sso_browser):
    pass
'''


@pytest.mark.parametrize(("variable", "value", "said"), [
    (CHROMIUM_ENV, "/nonexistent/chrome",
     "sso_browser: the $SSO_HARNESS_CHROMIUM at /nonexistent/chrome did not start: "),
    (WS_ENDPOINT_ENV, "ws://127.0.0.1:9/",
     "sso_browser: the remote Playwright browser server at ws://127.0.0.1:9/ did not start: "),
])
def test_a_browser_that_does_not_start_is_named_with_the_fix(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, variable: str, value: str,
        said: str) -> None:
    monkeypatch.delenv(WS_ENDPOINT_ENV, raising=False)
    monkeypatch.setenv(variable, value)
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_browser=INNER_TESTS)
    # -rN: no short summary, which repeats each message whole where CI is set (pytest does not
    # cut its lines there)
    done = run_plugin_pytest(pytester, "-q", "-rN", "--sso-key-pool", "0")
    out = done.stdout.str()
    assert "2 errors" in out, out
    assert out.count(said) == 2, out
    assert "unset it" in out or "start that server" in out, out
    assert "During handling" not in out and "_impl" not in out, out
