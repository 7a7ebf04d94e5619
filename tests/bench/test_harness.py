"""The harness's other pure parts: redirects, the ID token's kid, rounds and the table."""

from __future__ import annotations

import base64
import json

import pytest

from bench.flows import FlowError, redirect_params, unverified_kid
from bench.login import LoginResult, combine
from bench.table import Row, render
from bench.wire import Reply


def _redirect(location: str, status: int = 302) -> Reply:
    return Reply(status, location, b"")


def test_redirect_params_returns_the_code_and_checks_state() -> None:
    params = redirect_params(_redirect("http://127.0.0.1/cb?code=abc&state=s1"), "s1")
    assert params == {"code": "abc", "state": "s1"}


@pytest.mark.parametrize(("response", "message"), [
    (Reply(200, "", b"<html>sign in</html>"), "not a redirect"),
    (_redirect("http://127.0.0.1/cb?error=access_denied&state=s1"), "no code"),
    (_redirect("http://127.0.0.1/cb?code=abc&state=other"), "state"),
])
def test_redirect_params_refuses_what_is_not_a_code_for_this_state(
        response: Reply, message: str) -> None:
    with pytest.raises(FlowError, match=message):
        redirect_params(response, "s1")


def _token(header: object) -> str:
    encoded = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    return f"{encoded}.e30.c2ln"


def testunverified_kid_reads_the_header() -> None:
    assert unverified_kid(_token({"alg": "RS256", "kid": "k1"})) == "k1"
    assert unverified_kid(_token({"alg": "RS256"})) is None
    assert unverified_kid(_token(["not", "an", "object"])) is None
    with pytest.raises(FlowError):
        unverified_kid("!!!.e30.c2ln")


def _result(cpu: float, fps: float) -> LoginResult:
    return LoginResult(provider="p", version="1", flows=100, errors=0, first_error=None,
                       wall_seconds=1.0, flows_per_second=fps, p50_ms=1.0, p99_ms=2.0,
                       server_cpu_ms_per_flow=cpu, client_cpu_ms_per_flow=1.0, load=0.5)


def test_combine_keeps_the_median_round_and_the_range() -> None:
    combined = combine([_result(1.5, 300), _result(1.2, 500), _result(1.3, 400)])
    assert combined.server_cpu_ms_per_flow == 1.3
    assert combined.server_cpu_range == (1.2, 1.5)
    assert combined.flows_per_second == 400
    assert combined.rounds == 3


def test_combine_of_one_round_has_no_range() -> None:
    assert combine([_result(1.5, 300)]).server_cpu_range is None


def test_render_aligns_one_markdown_table() -> None:
    lines = render([Row("a", "1 ms", "<= 2 ms", True, 0.5), Row("longer name", "x")]
                   ).splitlines()
    assert lines[0].startswith("| measure ")
    assert set(lines[1]) <= {"|", "-"}
    assert "| yes |" in lines[2] and lines[2].endswith("| 0.50 |")
    assert len({len(line) for line in lines}) == 1


def test_suite_rows_give_each_set_of_options_its_median_and_target() -> None:
    from bench.browser import SuiteResult
    from bench.table import suite_rows

    plain = [SuiteResult(2, seconds, 42, 0, "42 passed", 1.0, 0.25) for seconds in (27, 25, 26)]
    lean = SuiteResult(2, 19.5, 42, 0, "42 passed", 1.0, 0.14, ("--screenshots", "failure"))
    rows = suite_rows([*plain, lean])
    assert [r.measure for r in rows] == [
        "suite: make scenarios, 2 worker(s)",
        "suite: time outside the steps per scenario, 2 worker(s)",
        "suite: make scenarios, 2 worker(s), --screenshots failure",
        "suite: time outside the steps per scenario, 2 worker(s), --screenshots failure"]
    assert rows[0].result.startswith("26.0 s (median of 3 runs") and rows[0].met is False
    assert rows[2].met is True and rows[3].met is True
