"""The protocol view end to end: scenarios run against the live stack, the reports written, the
HTML report read in a real browser.

``failure.nonce-mismatch`` (alice signed in at her company already) must show, in order, the
app's redirect to the provider, the authorize request answered at once, the callback, the token
call and the ID token with its nonce marked as changed. A probe scenario signs in on the
provider's pages, which the diagram shows as the browser's steps, and pushes every kind of
secret through the exchange (a client secret and a password in forms, an authorization code in
URLs and a token call, a refresh token in a token answer and a refresh call, all of them in its
failure message, the refresh token also cut short where the message quotes the page): no report
file may contain any of them, nor the start of one.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from mock_idp.redaction import fingerprint
from scenarios import Registry, Scenario, ScenarioContext
from scenarios.flows import page_shows, sign_in_at_idp
from scenarios.live import LiveStack
from scenarios.registry import load_catalogue
from scenarios.report import write_html, write_json, write_junit
from scenarios.results import RunSummary, format_explanations, format_table
from scenarios.runner import RunOptions, run

pytestmark = pytest.mark.browser

NONCE = "failure.nonce-mismatch"
PROBE = "probe.secrets"
START = 16
"""Characters of a secret's start no report may hold (where a message cut it short)."""


def probe(ctx: ScenarioContext[LiveStack]) -> None:
    """Sign in with offline_access, redeem the code and refresh as an app would, then fail with
    every value in the message."""
    stack = ctx.env
    params = {"client_id": stack.client_id, "response_type": "code",
              "redirect_uri": stack.app.redirect_uri, "scope": "openid profile offline_access",
              "state": "probe-state", "nonce": "probe-nonce"}
    with ctx.step("sign in at the provider"):
        ctx.page.goto(f"{stack.authority}/oauth2/v2.0/authorize?{urlencode(params)}")
        sign_in_at_idp(ctx.page, stack.people["alice"])
        ctx.page.wait_for_url(lambda url: "code=" in url)
    code = parse_qs(urlsplit(ctx.page.url).query)["code"][0]
    token_url = f"{stack.authority}/oauth2/v2.0/token"
    client = {"client_id": stack.client_id, "client_secret": stack.client_secret}
    # A client of its own, as the app's: the stack's names itself the harness's, whose calls
    # the diagram leaves out.
    with httpx.Client(timeout=10) as app:
        issued = app.post(token_url, data={
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": stack.app.redirect_uri, **client}).json()
        refreshed = app.post(token_url, data={
            "grant_type": "refresh_token", "refresh_token": issued["refresh_token"],
            **client}).json()
    # What the page shows is quoted up to a length (flows.SHOWN_TEXT): the token straddles it.
    ctx.page.set_content(f"<main><p>{'Sign-in failed. ' * 8}{refreshed['refresh_token']}</p>"
                         "</main>")
    raise AssertionError(f"the probe ends here, at {ctx.page.url}, with {issued} and "
                         f"{refreshed}; {page_shows(ctx.page)}")


@dataclass
class Ran:
    summary: RunSummary
    report: Path
    files: dict[str, str]
    secrets: dict[str, set[str]]


def _secrets_of(stack: LiveStack) -> dict[str, set[str]]:
    store = stack.idp_app.state.idp.store
    apps = [a for t in store.tenants.values() for a in t.apps.values()]
    return {
        "client secret": {stack.client_secret, *(s.value for a in apps for s in a.secrets)},
        "password": {u.password for t in store.tenants.values() for u in t.users.values()},
        "authorization code": {*store.redeemed_codes, *store.codes},
        "refresh token": set(store.refresh_tokens),
        "admin token": {stack.app.values.get("admin_token", "")} - {""},
    }


@pytest.fixture(scope="module")
def ran(playwright_session: object, tmp_path_factory: pytest.TempPathFactory) -> Ran:
    """The run, with the worker's Playwright driver (``tests/conftest.py``), which the
    plugin's ``sso_browser`` then shares: each would start its own (about 0.4 s of CPU)."""
    catalogue = load_catalogue("scenarios.catalogue")
    registry = Registry()
    registry.add(catalogue.get(NONCE))
    registry.add(Scenario(id=PROBE, title="Every secret goes by", proves="nothing is kept",
                          group="probe", run=probe))
    secrets: dict[str, set[str]] = {}

    @contextlib.contextmanager
    def capturing(env: object, item: Scenario) -> Iterator[object]:
        with catalogue.around(env, item) as stack:
            try:
                yield stack
            finally:
                assert isinstance(stack, LiveStack)
                for kind, values in _secrets_of(stack).items():
                    secrets.setdefault(kind, set()).update(values)

    registry.environment = catalogue.environment
    registry.around = capturing
    report = tmp_path_factory.mktemp("protocol-report")
    summary = run(RunOptions(workers=1, report_dir=report, trace="off"), registry=registry)
    write_html(summary, report)
    write_json(summary, report)
    write_junit(summary, report / "junit.xml")
    (report / "explain.txt").write_text(
        f"{format_table(summary)}\n\n{format_explanations(summary)}", encoding="utf-8")
    files = {p.name: p.read_text(encoding="utf-8") for p in report.iterdir() if p.is_file()}
    return Ran(summary, report, files, secrets)


@pytest.fixture
def report_page(ran: Ran, sso_browser: Browser) -> Iterator[Page]:
    """The HTML report in a fresh context."""
    context = sso_browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto((ran.report / "index.html").as_uri())
    yield page
    context.close()


def test_the_runs_went_as_planned(ran: Ran) -> None:
    status = {r.id: r.status for r in ran.summary.results}
    assert status == {NONCE: "passed", PROBE: "failed"}
    assert set(ran.files) == {"index.html", "results.json", "junit.xml", "explain.txt",
                              ".scenarios-files.json"}


def _step_names(section: Locator) -> list[str]:
    names: list[str] = section.locator("li.step").evaluate_all(
        "(steps) => steps.map(s => s.dataset.name)")
    return names


def test_nonce_mismatch_shows_redirect_authorize_callback_token_and_the_changed_nonce(
        report_page: Page) -> None:
    section = report_page.locator(f"section.scenario[id='{NONCE}'] section.protocol")
    expect(section).to_be_visible()
    names = _step_names(section)
    wanted = ["sign-in start", "authorize", "callback", "token"]
    positions = [names.index(name) for name in wanted]
    assert positions == sorted(positions), names
    assert "sign-in" not in names, names  # signed in at the company: no page at the provider
    # The faulted sign-in comes first; the plain one after it, which the app must let through
    # for its refusal to count, repeats these steps unchanged.
    redirect = section.locator("li.step[data-name='sign-in start']").first
    expect(redirect.locator(".outcome")).to_contain_text("302 -> provider")
    expect(redirect.locator(".outcome")).to_contain_text("/oauth2/v2.0/authorize")
    authorize = section.locator("li.step[data-name='authorize']").first
    expect(authorize.locator(".outcome")).to_contain_text("302 -> app")
    token = section.locator("li.step[data-name='token']").first
    expect(token).to_have_attribute("data-source", "app")
    expect(token).to_have_attribute("data-target", "provider")
    id_token = token.locator("details.token[data-token='ID token']")
    expect(id_token.locator(".fault-badge")).to_have_text("changed by fault wrong_nonce")
    nonce = id_token.locator("tr.claim[data-claim='nonce']")
    expect(nonce).to_be_visible()
    expect(nonce).to_have_class("claim changed")
    expect(nonce.locator(".was")).to_contain_text("was ")
    assert id_token.locator("tr.changed").count() == 1
    plain = id_token.locator("tr.claim[data-claim='aud']")
    assert nonce.evaluate("e => getComputedStyle(e).backgroundColor") != plain.evaluate(
        "e => getComputedStyle(e).backgroundColor")
    callback = section.locator("li.step[data-name='callback']").first
    expect(callback.locator(".failure-ref")).to_contain_text("RP-")
    expect(callback.locator(".link")).to_contain_text(["state matches the authorize request"])


def test_the_provider_sign_in_pages_are_the_browser_s_steps(report_page: Page) -> None:
    section = report_page.locator(f"section.scenario[id='{PROBE}'] section.protocol")
    expect(section).to_be_visible()
    names = _step_names(section)
    # Next asks GetCredentialType from the page; Sign in posts username and password.
    assert names.index("authorize") < names.index("username lookup") < names.index(
        "sign-in"), names
    sign_in_pages = section.locator(
        "li.step[data-name='username lookup'], li.step[data-name='sign-in']")
    assert sign_in_pages.count() >= 2, names
    for step in sign_in_pages.all():
        expect(step).to_have_attribute("data-source", "browser")
        expect(step).to_have_attribute("data-target", "provider")


def test_results_json_and_explain_carry_the_same_diagram(ran: Ran) -> None:
    results = {r["id"]: r for r in json.loads(ran.files["results.json"])["results"]}
    text = results[NONCE]["protocol_text"]
    assert text.startswith(f"{NONCE}: ")
    assert "<- CHANGED (was" in text and "[token]" in text
    steps = results[NONCE]["protocol"]["steps"]
    assert [s["n"] for s in steps] == list(range(1, len(steps) + 1))
    assert results[PROBE]["protocol_text"] in ran.files["explain.txt"]
    assert f"{NONCE}:" not in ran.files["explain.txt"]  # it passed: not explained
    assert "[token]" in ran.files["junit.xml"]  # the failing probe's diagram for CI


def test_no_report_file_holds_a_secret(ran: Ran) -> None:
    for kind in ("client secret", "password", "authorization code", "refresh token"):
        assert ran.secrets.get(kind), f"the probe put no {kind} through the exchange"
    for kind, values in ran.secrets.items():
        for value in values:
            for name, text in ran.files.items():
                assert value not in text, f"{kind} found in {name}"
                assert len(value) <= START or value[:START] not in text, (
                    f"the start of a {kind} found in {name}")
    codes = ran.secrets["authorization code"]
    assert any(fingerprint(code) in ran.files["results.json"] for code in codes)


def test_the_page_source_holds_no_secret(report_page: Page, ran: Ran) -> None:
    source = report_page.content()
    for values in ran.secrets.values():
        for value in values:
            assert value not in source
