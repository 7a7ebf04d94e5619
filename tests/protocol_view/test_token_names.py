"""A value under a name ending in ``token`` (a CSRF token, the sign-in page's ``flowToken``) is
masked in the protocol view as it is in a Playwright trace: in query strings, form bodies, JSON
members and headers, by one rule (:func:`mock_idp.redaction.kind_of`); names that hold no
secret (``token_type``, a paging cursor) stay readable."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import Any

import pytest
from asgi_client import AppClient

from mock_idp import create_app
from mock_idp.config import DEFAULT_TENANT_ID, REFERENCE_RP_CLIENT_ID, IdpConfig
from mock_idp.redaction import REDACTED, mask_form, mask_json, mask_query, mask_url, mask_value
from scenarios.protocol_view import BrowserHit, Collected, correlate, render_text
from scenarios.protocol_view.tokens import masked_field

from .activity_samples import APP, IDP

CSRF = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


@pytest.mark.parametrize("name", [
    "csrfToken", "csrf_token", "X-CSRF-Token", "csrfmiddlewaretoken", "authenticity_token",
    "flowToken", "FlowToken", "ADMIN_TOKEN", "session[csrf_token]"])
def test_a_token_under_a_token_name_is_masked_in_queries_forms_and_json(name: str) -> None:
    assert CSRF not in mask_query(f"{name}={CSRF}&state=st-1")
    assert mask_query(f"{name}={CSRF}&state=st-1").endswith("&state=st-1")
    assert mask_form(f"{name}={CSRF}") == {name: REDACTED}
    assert mask_json({name: CSRF}) == {name: REDACTED}
    assert CSRF not in mask_url(f"{APP}/auth/signin?{name}={CSRF}#{name}={CSRF}")


@pytest.mark.parametrize(("name", "value"), [
    ("token_type", "Bearer"), ("token_endpoint_auth_method", "client_secret_post"),
    ("$skiptoken", "RFNwdAIAAQAAAB86YWxpY2VAY29udG9zby5vbm1pY3Jvc29mdC5jb20"),
    ("$deltatoken", "oEcOySpF_hWYmTIUZBOIfPzcwisr_rPe8o9M54L45qEXQGmvQC6T2dbL"),
    ("csrfToken", "expired"), ("flowToken", ""), ("invalidToken", "invalid_grant")])
def test_a_name_that_holds_no_secret_or_a_value_no_token_looks_like_is_shown(
        name: str, value: str) -> None:
    assert mask_value(name, value) == value
    assert masked_field(name, value) is None


@pytest.mark.parametrize("name", ["csrfToken", "X-CSRF-Token", "flowToken", "token_type",
                                  "$skiptoken", "client_secret", "code", "state"])
def test_the_view_and_the_trace_mask_the_same_names(name: str) -> None:
    """One rule: what a trace masks under a name (:func:`masked_field`) is what the view's
    query strings and bodies mask (:func:`mask_value`)."""
    shown = mask_value(name, CSRF)
    assert masked_field(name, CSRF) == (shown if shown != CSRF else None)


def _shown(collected: Collected) -> str:
    exchange = correlate(collected)
    return json.dumps(asdict(exchange)) + render_text(exchange)


def test_a_csrf_token_in_a_browser_s_query_is_masked_in_the_drawn_exchange() -> None:
    from scenarios.protocol_view import BrowserLog

    class Request:
        url = f"{APP}/auth/signin/entra?csrfToken={CSRF}&token_type=Bearer"
        method, resource_type, failure, frame = "GET", "document", "x", None
        timing: dict[str, float] = {"startTime": -1}  # noqa: RUF012
        headers: dict[str, str] = {}  # noqa: RUF012
        post_data = None

    log = BrowserLog(clock=lambda: 1.0)
    request: Any = Request()
    log._request(request)
    log._failed(request, 0)
    shown = _shown(Collected(browser=tuple(log.hits), app_url=APP))
    assert CSRF not in shown and "token_type=Bearer" in shown


def test_the_sign_in_page_s_flow_token_is_masked_in_the_provider_s_log_and_the_view() -> None:
    app = create_app(IdpConfig.default())
    with AppClient(app) as client:
        page = client.get(f"/{DEFAULT_TENANT_ID}/oauth2/v2.0/authorize", params={
            "client_id": REFERENCE_RP_CLIENT_ID, "response_type": "code", "scope": "openid",
            "redirect_uri": "http://localhost:5555/auth/callback", "state": "st-1", "nonce": "n-1"})
        flow = re.search(r'"sFT":\s*"([^"]+)"', page.text)
        ctx = re.search(r'"sCtx":\s*"([^"]+)"', page.text)
        post = re.search(r'"urlPost":\s*"([^"]+)"', page.text)
        assert flow and ctx and post, page.text[:300]
        client.post(post[1], data={"loginfmt": "nobody@contoso.onmicrosoft.com",
                                   "passwd": "wrong", "ctx": ctx[1], "flowToken": flow[1]})
        activity = client.get("/_mock/activity").json()
    assert len(flow[1]) >= 8 and flow[1] not in json.dumps(activity)
    hit = BrowserHit(wall=activity["requests"][-1]["wall"], method="POST",
                     url=f"{IDP}{post[1]}", status=200)
    shown = _shown(Collected(browser=(hit,), provider=activity, provider_url=IDP,
                             app_url=APP))
    assert flow[1] not in shown
