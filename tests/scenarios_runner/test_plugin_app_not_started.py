"""An app under test that does not start errors each test of ``sso_stack`` with its own fault:
the error and what the app printed, not a traceback through the harness's start-up code."""

from __future__ import annotations

import pytest

from tests.scenarios_runner.plugin_pytest import run_plugin_pytest

PROFILE = """
name = "crashing"

[app]
command = ["{python}", "-c", "import sys; print('helpdesk: cannot read its settings'); sys.exit(3)"]
ready_url = "/"

[provider]
redirect_uris = ["{base_url}/auth/callback"]

[sign_in]
urls = { login = "/login" }

[signed_in]
me_url = "/me"
"""

TESTS = """
import pytest

@pytest.mark.sso_app("crashing.toml")
def test_signs_in(sso_stack):
    pass
"""


def test_an_app_that_does_not_start_errors_the_test_with_its_output(
        pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makefile(".toml", crashing=PROFILE)
    pytester.makepyfile(test_crashing=TESTS)
    done = run_plugin_pytest(pytester, "--sso-key-pool", "0")
    done.assert_outcomes(errors=1)
    out = "\n".join(done.outlines)
    assert "AppStartError: the app's command exited with code 3" in out, out
    assert "helpdesk: cannot read its settings" in out, out
    assert "servers.py" not in out and "live.py" not in out, out
    # Once in the error; pytest's summary line repeats the message in full where it runs in CI
    # (it truncates it only in a terminal), so the summary is left out of the count.
    error, _, _ = out.partition("short test summary info")
    assert error.count("cannot read its settings") == 1 and "During handling" not in out, out
