"""A login script that signs in without a browser, written for login.microsoftonline.com, runs
unchanged against the mock.

``ConvergedScript`` is written the way HTTP-only scripts for Entra are (saml2aws's Entra
provider and the requests-, Java- and PowerShell-based scripts people publish): it reads each
page's ``$Config`` and posts the next form from its members, by Entra's names. It deliberately
imports nothing of the mock's, so a change to the mock's pages that breaks such scripts breaks
this test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from asgi_client import AppClient
from idp_testkit import (
    ALICE,
    ALICE_SECRET,
    BOB,
    TENANT,
    CodeGrant,
    alice_with_authenticator,
    auth_params,
    claims,
    config_of,
    password,
    paths,
    pkce_pair,
    redeem,
    redirect_params,
)

from mock_idp import totp
from mock_idp.clock import MockClock

pytestmark = pytest.mark.idp_config(alice_with_authenticator())


class LoginError(Exception):
    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text}")
        self.code = code
        self.text = text


@dataclass
class ConvergedScript:
    """Signs in from ``$Config`` alone, as HTTP-only scripts for Entra do."""

    http: httpx.Client
    code: Any = None
    """A callable giving the authenticator app's code, for users who have one."""
    stay_signed_in: bool = True
    pages: list[str] | None = None

    def sign_in(self, authorize_url: str, username: str, secret: str) -> httpx.Response:
        """Sign in and return the provider's redirect to the app."""
        self.pages = []
        page = self.http.get(authorize_url, follow_redirects=False)
        config = self._config(page)
        assert config["pgid"] == "ConvergedSignIn"
        found = self.http.post(config["urlGetCredentialType"], json={
            "username": username, "isOtherIdpSupported": True, "checkPhones": False,
            "originalRequest": config["sCtx"], "flowToken": config["sFT"],
        }, headers={"canary": config["apiCanary"], "hpgrequestid": config["sessionId"],
                    "client-request-id": config["correlationId"],
                    "hpgid": str(config["hpgid"]), "hpgact": str(config["hpgact"])})
        assert found.json()["IfExistsResult"] == 0
        response = self._post(page, config, {
            "login": username, "loginfmt": username, "passwd": secret, "ctx": config["sCtx"],
            "hpgrequestid": config["sessionId"], "type": "11"})
        while response.status_code != 302:
            assert len(self.pages) < 6, self.pages
            config = self._config(response)
            if config["pgid"] == "ConvergedTFA":
                response = self._second_factor(response, config)
            elif config["pgid"] == "KmsiInterrupt":
                response = self._post(response, config, {
                    "LoginOptions": "1" if self.stay_signed_in else "3",
                    "ctx": config["sCtx"], "type": "28"})
            else:
                raise AssertionError(f"unexpected page {config['pgid']}")
        return response

    def _config(self, response: httpx.Response) -> dict[str, Any]:
        config = config_of(response.text)
        assert self.pages is not None
        self.pages.append(f"{config['pgid']} {httpx.URL(str(response.url)).path}")
        if config["pgid"] == "ConvergedError":
            raise LoginError(config["iErrorCode"], config["strServiceExceptionMessage"])
        if config.get("sErrorCode", "") not in ("", "50058"):
            raise LoginError(config["sErrorCode"], config["sErrTxt"])
        return config

    def _post(self, page: httpx.Response, config: dict[str, Any], form: dict[str, str]
              ) -> httpx.Response:
        form = {config["sFTName"]: config["sFT"], config["sCanaryTokenName"]: config["canary"],
                **form}
        return self.http.post(urljoin(str(page.url), config["urlPost"]), data=form,
                              follow_redirects=False)

    def _second_factor(self, page: httpx.Response, config: dict[str, Any]) -> httpx.Response:
        proof = next(p for p in config["arrUserProofs"] if p["isDefault"])
        begun = self.http.post(config["urlBeginAuth"], json={
            "AuthMethodId": proof["authMethodId"], "Method": "BeginAuth",
            "Ctx": config["sCtx"], "FlowToken": config["sFT"]}).json()
        assert begun["Success"], begun
        ended = self.http.post(config["urlEndAuth"], json={
            "AuthMethodId": begun["AuthMethodId"], "Method": "EndAuth", "Ctx": begun["Ctx"],
            "FlowToken": begun["FlowToken"], "SessionId": begun["SessionId"],
            "AdditionalAuthData": self.code()}).json()
        if not ended["Success"]:
            raise LoginError(ended["ResultValue"], str(ended["Message"]))
        return self.http.post(urljoin(str(page.url), config["urlPost"]), data={
            config["sFTName"]: ended["FlowToken"], "request": ended["Ctx"],
            "login": config["sPOST_Username"], config["sAuthMethodInputFieldName"]:
            proof["authMethodId"], "type": "19", "canary": config["canary"]},
            follow_redirects=False)


def _authorize(version: str = "2.0") -> tuple[str, str]:
    verifier, challenge = pkce_pair()
    url = httpx.URL(paths(TENANT, version)["authorize"], params=auth_params(
        code_challenge=challenge, code_challenge_method="S256"))
    return str(url), verifier


def _tokens(client: AppClient, response: httpx.Response, verifier: str) -> dict[str, Any]:
    code = redirect_params(response)["code"]
    answer = redeem(client, CodeGrant(code, verifier, auth_params()["redirect_uri"], response))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_password_sign_in_from_config_alone(client: AppClient) -> None:
    url, verifier = _authorize()
    script = ConvergedScript(client)
    response = script.sign_in(url, BOB, password(BOB))
    assert script.pages == [f"ConvergedSignIn {paths(TENANT, '2.0')['authorize']}",
                            f"KmsiInterrupt /{TENANT}/login"]
    assert client.cookies.get("MOCKIDP_SESSION_PERSISTENT")
    token = claims(_tokens(client, response, verifier)["id_token"])
    assert token["preferred_username"] == BOB and "mfa" not in token.get("amr", [])


def test_no_to_stay_signed_in_keeps_the_session_to_the_browser(client: AppClient) -> None:
    url, _ = _authorize()
    response = ConvergedScript(client, stay_signed_in=False).sign_in(url, BOB, password(BOB))
    assert "code" in redirect_params(response)
    assert client.cookies.get("MOCKIDP_SESSION") and not client.cookies.get(
        "MOCKIDP_SESSION_PERSISTENT")


def test_the_code_through_begin_and_end_auth(client: AppClient, clock: MockClock) -> None:
    url, verifier = _authorize("1.0")
    script = ConvergedScript(client, code=lambda: totp.code_at(ALICE_SECRET, clock.now()))
    response = script.sign_in(url, ALICE, password(ALICE))
    # "Stay signed in?" comes from ProcessAuth's post, as on Entra.
    assert script.pages == [f"ConvergedSignIn {paths(TENANT, '1.0')['authorize']}",
                            f"ConvergedTFA /{TENANT}/login",
                            "KmsiInterrupt /common/SAS/ProcessAuth"]
    tokens = _tokens(client, response, verifier)
    assert "mfa" in claims(tokens["access_token"])["amr"]


def test_a_wrong_password_is_the_sign_in_page_with_its_code(client: AppClient) -> None:
    url, _ = _authorize()
    with pytest.raises(LoginError) as raised:
        ConvergedScript(client).sign_in(url, BOB, "not-it")
    assert raised.value.code == "50126" and raised.value.text.startswith("AADSTS50126:")


def _code_page(client: AppClient) -> dict[str, Any]:
    page = client.get(_authorize()[0])
    config = config_of(page.text)
    after = client.post(config["urlPost"], data={
        "loginfmt": ALICE, "passwd": password(ALICE), "ctx": config["sCtx"],
        "flowToken": config["sFT"]})
    code_page = config_of(after.text)
    assert code_page["pgid"] == "ConvergedTFA" and code_page["sPOST_Username"] == ALICE
    assert code_page["arrUserProofs"][0]["authMethodId"] == "PhoneAppOTP"
    return code_page


def _sas(client: AppClient, config: dict[str, Any], method: str, **extra: str
         ) -> httpx.Response:
    url = config["urlBeginAuth"] if method == "BeginAuth" else config["urlEndAuth"]
    return client.post(url, json={"AuthMethodId": "PhoneAppOTP", "Method": method,
                                  "Ctx": config["sCtx"], "FlowToken": config["sFT"], **extra})


def test_a_wrong_code_may_be_tried_again(client: AppClient, clock: MockClock) -> None:
    config = _code_page(client)
    right = totp.code_at(ALICE_SECRET, clock.now())
    wrong = _sas(client, config, "EndAuth", AdditionalAuthData="000000" if right != "000000"
                 else "111111").json()
    assert (wrong["Success"], wrong["ResultValue"], wrong["Ctx"]) == (
        False, "OathCodeIncorrect", config["sCtx"])
    ended = _sas(client, config, "EndAuth", AdditionalAuthData=right).json()
    assert ended["Success"] and ended["ResultValue"] == "Success"
    assert ended["Ctx"] != config["sCtx"]  # the proven sign-in goes on under a new context
    assert ended["Timestamp"].endswith("Z") and "T" in ended["Timestamp"]
    # The old context is used up: proving the code again with it fails.
    again = _sas(client, config, "EndAuth", AdditionalAuthData=right).json()
    assert (again["Success"], again["ErrCode"]) == (False, 9002313)


def test_process_auth_without_a_proof_or_a_code_asks_again(client: AppClient) -> None:
    config = _code_page(client)
    page = client.post(config["urlPost"], data={
        "request": config["sCtx"], "flowToken": config["sFT"], "login": ALICE,
        "mfaAuthMethod": "PhoneAppOTP"})
    assert page.status_code == 200 and config_of(page.text)["pgid"] == "ConvergedTFA"


def test_a_flow_token_of_another_page_ends_the_sign_in(client: AppClient) -> None:
    first = config_of(client.get(_authorize()[0]).text)
    second = config_of(client.get(_authorize()[0]).text)
    page = client.post(second["urlPost"], data={
        "loginfmt": BOB, "passwd": password(BOB), "ctx": second["sCtx"],
        "flowToken": first["sFT"]})
    error = config_of(page.text)
    assert error["pgid"] == "ConvergedError" and error["iErrorCode"] == "9002313"
    assert error["strServiceExceptionMessage"].startswith("AADSTS9002313: ")
    assert "set-cookie" not in page.headers
    # A flow token is checked against the context it came with, in the SAS calls too.
    code_page = _code_page(client)
    begun = _sas(client, {**code_page, "sFT": first["sFT"]}, "BeginAuth").json()
    assert (begun["Success"], begun["ErrCode"]) == (False, 9002313)


@pytest.mark.parametrize(("body", "field"), [
    ({"AuthMethodId": "PhoneAppOTP", "FlowToken": "x"}, "Ctx"),
    ({"AuthMethodId": "PhoneAppOTP", "Ctx": "x"}, "FlowToken"),
    ({"AuthMethodId": "PhoneAppNotification", "Ctx": "x", "FlowToken": "y"}, "AuthMethodId"),
    ({"AuthMethodId": "PhoneAppOTP", "Ctx": "x", "FlowToken": "y", "Method": "EndAuth"},
     "Method"),
    ({"AuthMethodId": "PhoneAppOTP", "Ctx": 7, "FlowToken": "y"}, "Ctx"),
    ({"AuthMethodId": "PhoneAppOTP", "Ctx": "x" * 300, "FlowToken": "y"}, "Ctx"),
])
def test_begin_auth_refuses_a_bad_body_naming_the_member(
        client: AppClient, body: dict[str, Any], field: str) -> None:
    response = client.post("/common/SAS/BeginAuth", json=body)
    assert response.status_code == 400 and response.json()["error"]["field"] == field


def test_begin_auth_refuses_a_body_that_is_not_an_object(client: AppClient) -> None:
    assert client.post("/common/SAS/BeginAuth", content=b"[1]").status_code == 400
    assert client.post("/common/SAS/EndAuth", content=b"{").status_code == 400
    assert client.post("/common/SAS/EndAuth", content=b"{}" + b" " * 20000).status_code == 413


def test_config_is_safe_inside_its_script(client: AppClient) -> None:
    hint = "</script><script>alert(1)</script>&'"
    page = client.get(paths(TENANT, "2.0")["authorize"], params=auth_params(login_hint=hint))
    assert "</script><script>alert(1)" not in page.text
    assert config_of(page.text)["sPOST_Username"] == hint


def test_the_request_log_fingerprints_the_code(client: AppClient, clock: MockClock) -> None:
    config = _code_page(client)
    code = totp.code_at(ALICE_SECRET, clock.now())
    _sas(client, config, "EndAuth", AdditionalAuthData=code)
    logged = json.dumps(client.get("/_mock/requests").json())
    assert "/common/SAS/EndAuth" in logged and f'"{code}"' not in logged
