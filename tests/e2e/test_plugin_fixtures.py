"""The ``sso_harness`` fixtures, used the way an outside project would use them."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from mock_idp.keys import RsaKeyPool, fresh_rsa_key
from scenarios.app import AppProfile
from scenarios.flows import first_login, sign_in_at_idp
from scenarios.live import LiveStack, Person, StackOptions
from scenarios.pages import FailurePage
from scenarios.pytest_plugin import (
    DEFAULT_KEY_POOL,
    StackFactory,
    StackIdp,
    _key_pool_size,
    chosen_app,
    signing_key_source,
    stack_options_from_marker,
)


def _connections(stack: LiveStack) -> list[dict[str, object]]:
    """The reference RP's connections, read with the admin token the stack started it with."""
    token = stack.app.values["admin_token"]
    response = httpx.get(stack.rp_url("/api/admin/connections"),
                         headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    found: list[dict[str, object]] = response.json()
    return found


def test_mock_idp_is_the_provider_the_relying_party_uses(
    mock_idp: StackIdp, sso_stack: LiveStack, relying_party: LiveStack
) -> None:
    assert relying_party is sso_stack
    assert mock_idp.url == sso_stack.idp.base_url
    assert mock_idp.clock is sso_stack.clock
    assert mock_idp.tenant_id == sso_stack.tenant_id
    discovery = httpx.get(f"{mock_idp.authority}/v2.0/.well-known/openid-configuration")
    assert discovery.json()["issuer"] == f"{mock_idp.url}/{mock_idp.tenant_id}/v2.0"
    assert httpx.get(mock_idp.url + "/_mock/health").json()["status"] == "ok"
    assert httpx.get(sso_stack.rp_url("/api/admin/connections")).status_code == 401
    connections = _connections(sso_stack)
    assert [c["id"] for c in connections] == [sso_stack.connection_id]
    assert connections[0]["authorization_uri"].startswith(mock_idp.authority)


def test_each_test_gets_its_own_stack(sso_stack: LiveStack,
                                      sso_stack_factory: StackFactory) -> None:
    other = sso_stack_factory()
    assert {other.idp.port, other.rp.port}.isdisjoint({sso_stack.idp.port, sso_stack.rp.port})
    sso_stack.advance(days=3)
    assert sso_stack.clock.now() - other.clock.now() > timedelta(days=2)


@pytest.mark.sso_stack_options(connection=False, support_contact="it@fabrikam.example")
def test_marker_sets_the_stack_options(sso_stack: LiveStack,
                                       sso_stack_options: StackOptions) -> None:
    assert sso_stack_options.connection is False
    assert sso_stack.options == sso_stack_options
    assert sso_stack.connection_id is None
    assert _connections(sso_stack) == []


@pytest.mark.sso_stack_options(StackOptions(connection=False))
@pytest.mark.sso_stack_options(support_contact="x@example.test")
def test_markers_combine_outermost_first(request: pytest.FixtureRequest) -> None:
    options = stack_options_from_marker(request.node)
    assert options.connection is False
    assert options.support_contact == "x@example.test"


@pytest.mark.sso_stack_options("not options")
def test_a_bad_marker_is_a_usage_error(request: pytest.FixtureRequest) -> None:
    with pytest.raises(pytest.UsageError, match="sso_stack_options"):
        stack_options_from_marker(request.node)


@pytest.mark.browser
def test_sign_in_through_the_stack(sso_stack: LiveStack, sso_page: Page) -> None:
    alice = sso_stack.people["alice"]
    first_login(sso_page, sso_stack, alice, "portal")
    me = sso_page.request.get(sso_stack.rp_url("/api/me"))
    assert me.status == 200
    assert me.json()["email"] == alice.upn


@pytest.mark.browser
def test_a_new_user_signs_in(mock_idp: StackIdp, sso_stack: LiveStack, sso_page: Page) -> None:
    erin = mock_idp.add_user("erin", display_name="Erin Evans", assign_to=[sso_stack.client_id])
    first_login(sso_page, sso_stack, Person(erin.upn, erin.password, "Erin Evans"), "kb")


@pytest.mark.browser
def test_moving_the_clock_expires_the_secret(mock_idp: StackIdp, sso_stack: LiveStack,
                                             sso_page: Page) -> None:
    alice = sso_stack.people["alice"]
    before = httpx.get(mock_idp.url + "/_mock/clock").json()["epoch"]
    mock_idp.advance(days=181)
    after = httpx.get(mock_idp.url + "/_mock/clock").json()["epoch"]
    assert after - before >= 181 * 86400
    sso_page.goto(sso_stack.sign_in_url("widget"))
    sign_in_at_idp(sso_page, alice)
    failure = FailurePage(sso_page)
    expect(failure.heading).to_be_visible()
    expect(failure.idp_error_code).to_contain_text("7000222")
    expect(failure.contact).to_have_text(sso_stack.support_contact)
    assert sso_page.request.get(sso_stack.rp_url("/api/me")).status == 401  # not signed in


@pytest.mark.browser
def test_an_armed_fault_shows_the_failure_page(mock_idp: StackIdp, sso_stack: LiveStack,
                                               sso_page: Page) -> None:
    first_login(sso_page, sso_stack, sso_stack.people["bob"], "widget")
    sso_page.context.clear_cookies()
    mock_idp.arm_fault("wrong_aud")
    sso_page.goto(sso_stack.sign_in_url("widget"))
    sign_in_at_idp(sso_page, sso_stack.people["bob"])
    failure = FailurePage(sso_page)
    expect(failure.heading).to_be_visible()
    reference = failure.reference.inner_text().strip()
    logged = sso_stack.app.logged_error(reference)
    assert logged is not None and logged["ref"] == reference
    me = sso_page.request.get(sso_stack.rp_url("/api/me"))
    assert me.status == 401


def test_add_tenant_app_and_secret(mock_idp: StackIdp) -> None:
    tenant = mock_idp.add_tenant("fabrikam.onmicrosoft.com", name="Fabrikam")
    found = httpx.get(f"{mock_idp.url}/fabrikam.onmicrosoft.com/v2.0/.well-known/"
                      "openid-configuration")
    assert found.status_code == 200
    assert tenant["id"] in found.json()["issuer"]
    app = mock_idp.add_app("Outside app", redirect_uris=["http://localhost/cb"],
                           tenant=tenant["id"])
    secret = mock_idp.add_secret(app.client_id, tenant=tenant["id"])
    token = httpx.post(f"{mock_idp.url}/{tenant['id']}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": app.client_id, "client_secret": secret,
        "scope": f"{app.client_id}/.default"})
    assert token.status_code == 200, token.text
    mock_idp.advance(days=3 * 365)
    expired = httpx.post(f"{mock_idp.url}/{tenant['id']}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": app.client_id, "client_secret": secret,
        "scope": f"{app.client_id}/.default"})
    assert expired.status_code == 401
    assert 7000222 in expired.json()["error_codes"]


OUTSIDE_TEST = '''
import httpx
import pytest

from scenarios.live import StackOptions


@pytest.mark.sso_stack_options(connection=False)
def test_fixtures(mock_idp, sso_stack, sso_timeout_ms):
    assert sso_stack.connection_id is None
    assert sso_timeout_ms == 1500
    assert httpx.get(mock_idp.url + "/_mock/health").status_code == 200


def test_the_app_chosen_on_the_command_line(sso_app_profile, sso_stack, sso_app):
    assert sso_app_profile.name == "reference relying party"
    assert sso_app is sso_stack.app


def test_unknown_option_is_refused(request):
    with pytest.raises(pytest.UsageError):
        from scenarios.pytest_plugin import stack_options_from_marker
        request.node.add_marker(pytest.mark.sso_stack_options(no_such_option=1))
        stack_options_from_marker(request.node)


def test_signing_keys_come_from_a_pool_of_one(sso_stack):
    from mock_idp.keys import new_rsa_key

    assert new_rsa_key() is new_rsa_key()
    assert sso_stack.idp_app.state.idp.keys.active.private_key is new_rsa_key()
'''


@pytest.mark.slow
def test_an_outside_project_loads_the_plugin(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --strict-markers\n")
    (tmp_path / "test_outside.py").write_text(textwrap.dedent(OUTSIDE_TEST))
    # Autoload off, so the -p below is the only registration whether or not the
    # pytest11 entry point is installed.
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "scenarios.pytest_plugin", "-p",
         "no:cacheprovider", "--sso-timeout", "1.5", "--sso-app", "reference-rp",
         "--sso-key-pool", "1", "-q",
         str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout


TIMEOUT_TEST = '''
import pytest
from playwright.sync_api import expect


def test_expectations_wait_the_sso_timeout(sso_page):
    sso_page.set_content("<p id=x>before</p>")
    with pytest.raises(AssertionError, match="with timeout 1500ms"):
        expect(sso_page.locator("#x")).to_have_text("after")
'''


@pytest.mark.slow
@pytest.mark.browser
def test_the_timeout_option_is_the_default_of_expectations_too(tmp_path: Path) -> None:
    """``--sso-timeout`` says "actions and expectations": Playwright's ``expect`` has a 5 s
    default of its own, which a context's timeout does not change."""
    (tmp_path / "test_timeout.py").write_text(textwrap.dedent(TIMEOUT_TEST))
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "scenarios.pytest_plugin", "-p",
         "no:cacheprovider", "--sso-timeout", "1.5", "-q", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.sso_stack_options(idp_https=True)
def test_mock_idp_arranges_a_provider_on_https(mock_idp: StackIdp, sso_stack: LiveStack) -> None:
    assert sso_stack.ca_file is not None and mock_idp.ca_file == sso_stack.ca_file
    assert mock_idp.url.startswith("https://")
    user = mock_idp.add_user("hank", assign_to=[sso_stack.client_id])
    assert mock_idp.graph("GET", f"users/{user.upn}").json()["id"] == user.id
    assert mock_idp.add_secret(sso_stack.client_id)


def test_the_key_pool_option_chooses_where_signing_keys_come_from(
        pytestconfig: pytest.Config) -> None:
    assert pytestconfig.getoption("sso_key_pool") == DEFAULT_KEY_POOL
    pool = signing_key_source(2)
    assert isinstance(pool, RsaKeyPool) and pool.size == 2
    assert signing_key_source(0) is fresh_rsa_key
    for bad in ("-1", "many", "1001"):
        with pytest.raises(argparse.ArgumentTypeError, match=repr(bad)):
            _key_pool_size(bad)


@pytest.mark.sso_app("reference-rp")
def test_the_sso_app_marker_names_a_shipped_profile(
        request: pytest.FixtureRequest, sso_stack_options: StackOptions) -> None:
    assert chosen_app(request.node, request.config) == "reference-rp"
    assert isinstance(sso_stack_options.app, AppProfile)
    assert sso_stack_options.app.name == "reference relying party"


@pytest.mark.sso_app("reference-rp", "another")
def test_a_bad_sso_app_marker_is_a_usage_error(request: pytest.FixtureRequest) -> None:
    with pytest.raises(pytest.UsageError, match="sso_app: pass one profile"):
        chosen_app(request.node, request.config)
