"""What "Pick an account" on the end-session endpoint keeps until the account is picked: the
parameters the sign-out reads, not every one the request carried."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from asgi_client import AppClient
from idp_testkit import TENANT, get_code, page_kind, pick_to_sign_out, redeem

LOGOUT = f"/{TENANT}/oauth2/v2.0/logout"
SIGNED_OUT = "http://localhost/signed-out"


def test_the_picker_keeps_only_the_parameters_the_sign_out_reads(client: AppClient) -> None:
    browser = client
    redeem(browser, get_code(browser))
    junk = {f"junk{i}": "x" * 8000 for i in range(50)}
    picker = browser.post(LOGOUT, data={"post_logout_redirect_uri": SIGNED_OUT,
                                        "state": "s-1", **junk})
    assert picker.status_code == 200 and page_kind(picker) == "picker"
    pending = browser.app.state.idp.store.pending
    kept = [dict(t.logout_params) for t in pending.values() if t.kind == "logout"]
    assert kept == [{"post_logout_redirect_uri": SIGNED_OUT, "state": "s-1"}]
    done = pick_to_sign_out(browser, picker)
    target = done.headers.get("location") or done.text.split('var target = "')[1].split('"')[0]
    assert parse_qs(urlsplit(target.replace("\\u0026", "&")).query) == {"state": ["s-1"]}
