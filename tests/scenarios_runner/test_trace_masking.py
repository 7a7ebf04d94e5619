"""A Playwright trace is masked by the values the run knows, as the reports are: the password a
scenario types, the codes in the callback URLs and the tokens the provider's store holds read
``[redacted]`` in the trace's actions, network log, kept bodies and DOM snapshots, and the
trace still opens. Every signed JWT in it loses its signature, header and claims kept, as in
the reports. A trace that cannot be masked is not kept."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from urllib.parse import quote

import jwt as pyjwt
import pytest

import scenarios.worker
from scenarios.__main__ import main
from scenarios.masking import mask_trace
from scenarios.protocol_view.tokens import TOKEN_NAMES

SECRET = 'Zx"9-s3cret\\value-ü'
KNOWN = {SECRET: "[redacted]"}


def _trace(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as trace:
        for name, data in parts.items():
            trace.writestr(name, data)
    return path


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as trace:
        return {name: trace.read(name) for name in trace.namelist()}


def test_each_form_of_a_known_value_is_masked_in_every_part_but_the_pictures(
        tmp_path: Path) -> None:
    raw = SECRET.encode()
    action = json.dumps({"method": "fill", "params": {"value": SECRET}}).encode()
    network = json.dumps({"postData": "passwd=Zx%229-s3cret%5Cvalue-%C3%BC&ctx=1"},
                         ensure_ascii=False).encode()
    path = _trace(tmp_path / "t.zip", {
        "trace.trace": action + b"\n",
        "trace.network": network + b"\n",
        "resources/page.html": b"<p>" + raw + b"</p>",
        "resources/blob.dat": b"\xff\xfe" + raw + b"\x00\x80",
        "resources/frame.jpeg": b"\xff\xd8" + raw,
    })
    assert mask_trace(path, KNOWN) is True
    parts = _parts(path)
    assert json.loads(parts["trace.trace"])["params"]["value"] == "[redacted]"
    assert json.loads(parts["trace.network"])["postData"] == "passwd=[redacted]&ctx=1"
    assert parts["resources/page.html"] == b"<p>[redacted]</p>"
    assert parts["resources/blob.dat"] == b"\xff\xfe[redacted]\x00\x80", "other bytes kept"
    assert parts["resources/frame.jpeg"] == b"\xff\xd8" + raw, "pictures are not read"


CSRF = "6d646c691e395d7dfe963ff0646b527b2eb4b2e614991bfd95779feb2101b8a6"


def test_a_csrf_token_an_app_puts_in_its_forms_is_masked_wherever_it_stands(
        tmp_path: Path) -> None:
    # Auth.js signs in and out with POSTs that carry its CSRF token (the first half of its
    # authjs.csrf-token cookie) in a hidden field: the run does not know the value, the name
    # tells what it is, as mask_text finds csrfToken=… in free text.
    form = (f'<form method="post"><input type="hidden" name="csrfToken" value="{CSRF}">'
            '<input type="hidden" name="callbackUrl" value="/account-page"></form>')
    snapshot = {"type": "frame-snapshot", "snapshot": {"html": [
        "FORM", {}, ["INPUT", {"type": "hidden", "name": "csrfToken", "value": CSRF}],
        ["INPUT", {"value": CSRF[::-1], "name": "authenticity_token"}]]}}
    network = {"snapshot": {"request": {
        "method": "POST", "url": "http://app/auth/signin/microsoft-entra-id",
        "headers": [{"name": "X-CSRF-Token", "value": CSRF}],
        "postData": {"mimeType": "application/x-www-form-urlencoded", "_file": "body.dat",
                     "params": [{"name": "csrfToken", "value": CSRF},
                                {"name": "callbackUrl", "value": "/account-page"}]}}}}
    path = _trace(tmp_path / "t.zip", {
        "trace.network": json.dumps(network).encode() + b"\n",
        "trace.trace": json.dumps(snapshot).encode() + b"\n",
        "resources/page.html": form.encode(),
        "resources/body.dat": f"csrfToken={CSRF}&callbackUrl=%2Faccount-page".encode(),
    })
    assert mask_trace(path, {}) is True
    parts = _parts(path)
    text = b"".join(parts.values()).decode()
    assert CSRF not in text and CSRF[:12] not in text
    assert CSRF[::-1] not in text, "attributes in either order"
    assert parts["resources/body.dat"] == b"csrfToken=[redacted]&callbackUrl=%2Faccount-page"
    assert 'name="csrfToken" value="[redacted]"' in parts["resources/page.html"].decode()
    assert text.count("/account-page") == 2, "what no name calls a secret is kept"
    assert mask_trace(path, {}) is False, "masked once"


def test_the_credentials_of_an_authorization_header_are_masked_after_their_scheme(
        tmp_path: Path) -> None:
    # An opaque bearer token (a personal account's access token is no JWT) a page sends to
    # an API, HTTP Basic credentials for an app behind a password: masked as mask_text and
    # the mock's log mask them.
    bearer, basic = "EwBwA8l6BAAUO9chh8cJscQLmU+LSWpbnr0vmwwAAdQeQ0", "dXNlcjpzM2NyZXQtcGFzcw=="
    network = {"snapshot": {"request": {"url": "https://graph/v1.0/me", "headers": [
        {"name": "Authorization", "value": f"Bearer {bearer}"},
        {"name": "proxy-authorization", "value": f"Basic {basic}"}]}}}
    action = {"method": "setExtraHTTPHeaders",
              "params": {"headers": [{"name": "authorization", "value": f"Basic {basic}"}]}}
    path = _trace(tmp_path / "t.zip", {"trace.network": json.dumps(network).encode(),
                                       "trace.trace": json.dumps(action).encode()})
    assert mask_trace(path, {}) is True
    parts = _parts(path)
    text = b"".join(parts.values()).decode()
    assert bearer[:12] not in text and basic[:12] not in text
    headers = json.loads(parts["trace.network"])["snapshot"]["request"]["headers"]
    assert [h["value"] for h in headers] == ["Bearer [redacted]", "Basic [redacted]"]
    assert mask_trace(path, {}) is False, "masked once"


def test_a_cookie_holding_a_value_masked_elsewhere_is_masked_whole(tmp_path: Path) -> None:
    # Auth.js's CSRF cookie is its token (the form's csrfToken, masked by value) and a hash:
    # the cookie's value, once its token part reads [redacted], is not masked yet.
    digest = "da5a96621e0badb1730ad87b68e0b26fef379ebaff9aac5c3f1a2b3c4d5e6f70"
    cookie = f"{CSRF}%7C{digest}"
    network = {"snapshot": {
        "request": {"postData": {"params": [{"name": "csrfToken", "value": CSRF}]},
                    "cookies": [{"name": "authjs.csrf-token", "value": cookie}],
                    "headers": [{"name": "Cookie", "value": f"authjs.csrf-token={cookie}"}]},
        "response": {"headers": [{"name": "Set-Cookie",
                                  "value": f"authjs.csrf-token={cookie}; Path=/"}]}}}
    path = _trace(tmp_path / "t.zip", {"trace.network": json.dumps(network).encode() + b"\n"})
    assert mask_trace(path, {}) is True
    text = b"".join(_parts(path).values()).decode()
    assert CSRF not in text and digest not in text and digest[:12] not in text
    request = json.loads(text)["snapshot"]["request"]
    assert re.fullmatch(r"authjs\.csrf-token=\[redacted-\w{6}\]", request["headers"][0]["value"])
    assert mask_trace(path, {}) is False, "masked once"


FLASK_SESSION = ".eJx9kFtrgzAYhv9LoN6sVnPQqCCjZe3oDjcyGL2SmHyuYc6IpqVb6X9f.axUbMg.6YrIMcOj"
PROVIDER_SESSION = "c0eqNpoi16AAIOrQnhmLaIFulll82n4PnLcgM3YE-t8"


def test_cookie_values_are_masked_and_their_names_kept_in_headers_and_cookie_lists(
        tmp_path: Path) -> None:
    exchange = {"snapshot": {
        "request": {
            "cookies": [{"name": "MOCKIDP_SESSION", "value": PROVIDER_SESSION},
                        {"name": "rp_csrf", "value": "csrf-Value-123"}],
            "headers": [{"name": "Host", "value": "localhost"},
                        {"name": "Cookie", "value": f"MOCKIDP_SESSION={PROVIDER_SESSION}; "
                                                    "rp_csrf=csrf-Value-123"}]},
        "response": {
            "cookies": [{"name": "session", "value": FLASK_SESSION, "httpOnly": True},
                        {"name": "MOCKIDP_SESSION_PERSISTENT", "value": '""'}],
            "headers": [{"name": "Set-Cookie",
                         "value": f"session={FLASK_SESSION}; HttpOnly; Path=/"},
                        {"name": "set-cookie", "value": 'rp_login="a\\b c,d"; Path=/\n'
                                                        'MOCKIDP_SESSION_PERSISTENT=""; '
                                                        "Max-Age=0; Path=/"}]}}}
    action = {"method": "addCookies", "params": {"cookies": [
        {"name": "rp_session", "value": "rp-Session-Value", "url": "http://localhost"}]},
        "headers": {"cookie": "rp_session=rp-Session-Value"}}
    path = _trace(tmp_path / "t.zip", {
        "trace.network": json.dumps(exchange, separators=(",", ":")).encode() + b"\n",
        "trace.trace": json.dumps(action).encode() + b"\n",
    })
    assert mask_trace(path, {}) is True
    parts = _parts(path)
    text = b"".join(parts.values()).decode()
    for value in (PROVIDER_SESSION, FLASK_SESSION, "csrf-Value-123", "rp-Session-Value",
                  "b c,d"):
        assert value not in text
    snapshot = json.loads(parts["trace.network"])["snapshot"]
    request, response = snapshot["request"], snapshot["response"]
    assert [c["name"] for c in request["cookies"]] == ["MOCKIDP_SESSION", "rp_csrf"]
    assert all(c["value"].startswith("[redacted-") for c in request["cookies"])
    cookie = request["headers"][1]["value"]
    assert re.fullmatch(r"MOCKIDP_SESSION=\[redacted-\w{6}\]; rp_csrf=\[redacted-\w{6}\]",
                        cookie), cookie
    assert request["cookies"][0]["value"] in cookie, "the same value, the same fingerprint"
    assert response["cookies"][1]["value"] == '""', "a deleted cookie has nothing to hide"
    set_cookie = [h["value"] for h in response["headers"]]
    assert re.fullmatch(r"session=\[redacted-\w{6}\]; HttpOnly; Path=/", set_cookie[0])
    assert re.fullmatch(r'rp_login=\[redacted-\w{6}\]; Path=/\n'
                        r'MOCKIDP_SESSION_PERSISTENT=""; Max-Age=0; Path=/', set_cookie[1])
    action = json.loads(parts["trace.trace"])
    assert action["params"]["cookies"][0]["name"] == "rp_session"
    assert action["params"]["cookies"][0]["value"].startswith("[redacted-")
    assert action["headers"]["cookie"].startswith("rp_session=[redacted-")


WHOLE_JWT = re.compile(r"eyJ[\w-]*\.eyJ[\w-]*\.[\w-]+")
"""A JWT with its signature (what an app would take)."""


def _jwt(name: str) -> str:
    return pyjwt.encode({"sub": "alice", "typ": name}, "k" * 32, algorithm="HS256",
                        headers={"kid": "k1"})


def _unsigned(token: str) -> str:
    """``token`` as the reports show it: header and claims, no signature."""
    return f"{token.rsplit('.', 1)[0]}.[redacted]"


def test_every_jwt_loses_its_signature_wherever_it_stands_in_the_trace(tmp_path: Path) -> None:
    token = {name: _jwt(name) for name in TOKEN_NAMES}
    hint, assertion = token["id_token_hint"], token["client_assertion"]
    back = quote(f"/signed-out?id_token_hint={hint}", safe="")
    network = {"snapshot": {
        "request": {
            "url": f"http://idp/logout?id_token_hint={hint}&x=1",
            "headers": [{"name": "Authorization", "value": f"Bearer {token['access_token']}"},
                        {"name": "Referer", "value": f"http://app/?next={back}"},
                        {"name": "Cookie", "value": f"id={token['id_token']}"}],
            "queryString": [{"name": "id_token_hint", "value": hint}],
            "postData": {"text": f"client_assertion={assertion}&grant_type=x",
                         "params": [{"name": "client_assertion", "value": assertion}]}},
        "response": {"content": {"text": json.dumps({"access_token": token["access_token"],
                                                     "id_token": token["id_token"]})}}}}
    snapshot = {"type": "frame-snapshot", "snapshot": {"html": [
        "HTML", {}, ["BODY", {}, ["INPUT", {"name": "id_token", "value": token["id_token"]}],
                     ["PRE", {}, f"logout_token: {token['logout_token']}"]]]}}
    console = '{"type": "console", "text": "got \\u003d' + token["access_token"] + '"}'
    path = _trace(tmp_path / "t.zip", {
        "trace.network": json.dumps(network).encode() + b"\n",
        "trace.trace": (json.dumps(snapshot) + "\n" + console + "\n").encode(),
        "resources/form.html": f'<input name="id_token" value="{token["id_token"]}">'.encode(),
        "resources/body.dat": f"logout_token={token['logout_token']}".encode(),
    })
    assert mask_trace(path, {}) is True
    parts = _parts(path)
    text = b"".join(parts.values()).decode()
    assert WHOLE_JWT.findall(text) == []
    for name, value in token.items():
        assert value.split(".")[2] not in text, name
        assert _unsigned(value) in text, name
    request = json.loads(parts["trace.network"])["snapshot"]["request"]
    assert request["url"] == f"http://idp/logout?id_token_hint={_unsigned(hint)}&x=1"
    assert re.fullmatch(r"id=\[redacted-\w{6}\]", request["headers"][2]["value"]), \
        "a cookie's value reads as its fingerprint, whatever it holds"
    assert json.loads(parts["trace.trace"].splitlines()[1])["text"] == \
        f"got ={_unsigned(token['access_token'])}", "after a JSON escape too"
    assert mask_trace(path, {}) is False, "masked once"


def test_a_trace_with_nothing_to_mask_is_left_as_it_is(tmp_path: Path) -> None:
    path = _trace(tmp_path / "t.zip", {"trace.trace": b'{"method":"click"}\n'})
    before = path.stat()
    assert mask_trace(path, KNOWN) is False
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@pytest.mark.slow
@pytest.mark.browser
def test_a_sign_in_traced_against_the_reference_rp_keeps_no_password_or_code(
        tmp_path: Path) -> None:
    assert main(["run", "--only", "auto-login.widget", "--workers", "1", "--trace", "on",
                 "--report", str(tmp_path)]) == 0
    parts = _parts(tmp_path / "traces" / "auto-login.widget.zip")
    text = "\n".join(data.decode("utf-8", "replace") for name, data in parts.items()
                     if not name.endswith(".jpeg"))
    assert "P@ssw0rd-alice" not in text and "P%40ssw0rd-alice" not in text
    fills = [json.loads(line)["params"]["value"] for line in parts["trace.trace"].splitlines()
             if b'"method":"fill"' in line]
    assert fills == ["alice@contoso.onmicrosoft.com", "[redacted]"]
    codes = re.findall(r"[?&]code=([^&\"\s]+)", text)
    assert codes and all(code.startswith(("[redacted-", "%5Bredacted-")) for code in codes)
    cookies = re.findall(r"\b(MOCKIDP_SESSION|rp_session|rp_login)=([^;\"\\]*)", text)
    # Cookie and Set-Cookie reach the trace with Chromium's raw headers, which a loaded host
    # can deliver after the trace has taken the exchange: one of the two is enough to check
    # the masking here (every form of it is checked above without a browser).
    assert {name for name, _ in cookies} & {"MOCKIDP_SESSION", "rp_session"}, cookies
    assert all(value.startswith("[redacted-") or not value for _, value in cookies), cookies


@pytest.mark.slow
@pytest.mark.browser
def test_a_sign_out_traced_against_the_reference_rp_keeps_no_whole_jwt_in_any_report(
        tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    assert main(["run", "--only", "signout.rp-initiated", "--workers", "1", "--trace", "on",
                 "--report", str(tmp_path), "--junit", str(junit)]) == 0
    parts = _parts(tmp_path / "traces" / "signout.rp-initiated.zip")
    texts = {name: data.decode("utf-8", "replace") for name, data in parts.items()
             if not name.endswith(".jpeg")}
    texts.update({str(f.relative_to(tmp_path)): f.read_text(encoding="utf-8")
                  for f in tmp_path.rglob("*") if f.suffix in (".html", ".json", ".xml", ".log")})
    assert {"index.html", "results.json", "junit.xml"} <= set(texts)
    assert {name: WHOLE_JWT.findall(text) for name, text in texts.items()
            if WHOLE_JWT.search(text)} == {}
    hints = re.findall(r"id_token_hint=(eyJ[\w-]*\.eyJ[\w-]*\.[^&\"]*)", texts["trace.network"])
    assert hints and all(hint.endswith(".[redacted]") for hint in hints), hints


@pytest.mark.browser
def test_a_trace_that_cannot_be_masked_is_not_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def unreadable(path: Path, known: object) -> bool:
        raise zipfile.BadZipFile("not a zip")

    monkeypatch.setattr(scenarios.worker, "mask_trace", unreadable)
    assert main(["run", "--catalogue", "scenarios_runner.toy_catalogue:registry", "--only",
                 "toy.pass.heading", "--workers", "1", "--trace", "on",
                 "--report", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "results.json").read_text())["results"][0]
    assert result["status"] == "passed" and result["trace"] is None
    assert not list((tmp_path / "traces").glob("*.zip"))
