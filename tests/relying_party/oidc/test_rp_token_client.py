"""The code exchange: client authentication encodings, Entra error parsing, transport faults."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from urllib.parse import parse_qs

import httpx
import loops
import pytest

from relying_party.oidc import errors
from relying_party.oidc.token_client import (
    ClientCredentials,
    TokenRequest,
    TokenResponse,
    basic_authorization,
    build_code_exchange,
    exchange_code,
)

Handler = Callable[[httpx.Request], httpx.Response]
TOKEN_URL = "https://login.mock.test/contoso.onmicrosoft.com/oauth2/v2.0/token"
CLIENT_ID = "2b8e4f61-9c3a-4d7e-b5f2-08a6c1d9e473"
SECRET = "rp7Q~Reference.Relying.Party.Secret-Value01"
TRAILER = (
    " Trace ID: 654ce9b2-a626-4e0b-8598-0cac69970200 Correlation ID: "
    "5be327fc-93cb-4bef-ab4e-0373f11a8017 Timestamp: 2025-03-01 12:00:00Z"
)


def request_for(method: str) -> TokenRequest:
    credentials = ClientCredentials(
        client_id=CLIENT_ID,
        client_secret=SECRET,
        auth_method=method,  # type: ignore[arg-type]
    )
    return build_code_exchange(
        TOKEN_URL,
        code="c0de",
        redirect_uri="http://localhost:8500/auth/callback",
        code_verifier="v" * 43,
        credentials=credentials,
    )


def send(handler: Handler, method: str = "client_secret_post") -> TokenResponse:
    async def run() -> TokenResponse:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await exchange_code(client, request_for(method))

    return loops.run(run())


def entra_error(code: int, error: str, message: str, status: int = 400) -> Handler:
    body = {
        "error": error,
        "error_description": f"AADSTS{code}: {message}{TRAILER}",
        "error_codes": [code],
        "timestamp": "2025-03-01 12:00:00Z",
        "trace_id": "654ce9b2-a626-4e0b-8598-0cac69970200",
        "correlation_id": "5be327fc-93cb-4bef-ab4e-0373f11a8017",
        "error_uri": f"https://login.mock.test/error?code={code}",
    }
    return lambda request: httpx.Response(status, json=body)


SUCCESS = {
    "token_type": "Bearer",
    "scope": "openid profile email",
    "expires_in": 3600,
    "access_token": "at-123",
    "id_token": "eyJ.id.token",
}


def test_client_secret_post_puts_credentials_in_the_form() -> None:
    seen: dict[str, list[str]] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert "authorization" not in request.headers
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        seen.update(parse_qs(request.content.decode()))
        return httpx.Response(200, json=SUCCESS)

    result = send(handler)
    assert result.access_token == "at-123" and result.id_token == "eyJ.id.token"
    assert result.expires_in == 3600
    assert seen == {
        "grant_type": ["authorization_code"],
        "code": ["c0de"],
        "redirect_uri": ["http://localhost:8500/auth/callback"],
        "code_verifier": ["v" * 43],
        "client_id": [CLIENT_ID],
        "client_secret": [SECRET],
    }


@pytest.mark.parametrize(("sent", "read"), [
    ("3599", 3599), ("²", None), ("٣", None), ("9" * 5000, None), ("9" * 21, None)])
def test_an_expires_in_sent_as_a_string_is_read_only_in_ascii_digits(
        sent: str, read: int | None) -> None:
    """Entra's v1 endpoint sends ``"3599"``; other digits, or more than int() reads, are no
    expiry, not a failure."""
    answer = {**SUCCESS, "expires_in": sent}
    assert send(lambda request: httpx.Response(200, json=answer)).expires_in == read


def test_client_secret_basic_uses_the_authorization_header_only() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        assert "client_secret" not in form and "client_id" not in form
        scheme, _, value = request.headers["authorization"].partition(" ")
        assert scheme == "Basic"
        assert base64.b64decode(value).decode() == f"{CLIENT_ID}:{SECRET}"
        return httpx.Response(200, json=SUCCESS)

    assert send(handler, "client_secret_basic").token_type == "Bearer"


def test_basic_credentials_are_form_urlencoded_first() -> None:
    header = basic_authorization("my client", "p@ss:w/rd+é")
    decoded = base64.b64decode(header.removeprefix("Basic ")).decode()
    assert decoded == "my+client:p%40ss%3Aw%2Frd%2B%C3%A9"


def test_unknown_auth_method_is_refused() -> None:
    with pytest.raises(ValueError):
        request_for("private_key_jwt")


def test_expired_secret_is_parsed_from_aadsts7000222() -> None:
    message = f"The provided client secret keys for app '{CLIENT_ID}' are expired."
    with pytest.raises(errors.ClientSecretExpired) as info:
        send(entra_error(7000222, "invalid_client", message, status=401))
    error = info.value
    assert (error.code, error.error, error.aadsts, error.status_code) == (
        "client_secret_expired",
        "invalid_client",
        7000222,
        401,
    )
    assert "AADSTS" not in error.message  # the failure page shows the code once, on its own
    assert error.admin_hint and "new client secret" in error.admin_hint
    assert isinstance(error, errors.IdpError)


def test_invalid_secret_is_parsed_from_aadsts7000215() -> None:
    message = "Invalid client secret provided. Ensure the secret being sent is the value."
    with pytest.raises(errors.ClientSecretInvalid) as info:
        send(entra_error(7000215, "invalid_client", message, status=401))
    assert info.value.aadsts == 7000215
    assert info.value.admin_hint and "Secret ID" in info.value.admin_hint


def test_other_entra_errors_keep_their_code() -> None:
    with pytest.raises(errors.IdpError) as info:
        send(entra_error(54005, "invalid_grant", "OAuth2 Authorization code was already redeemed"))
    assert type(info.value) is errors.IdpError
    assert (info.value.error, info.value.aadsts) == ("invalid_grant", 54005)
    assert info.value.error_description and info.value.error_description.startswith("AADSTS54005")


def test_plain_oauth_error_without_aadsts() -> None:
    with pytest.raises(errors.IdpError) as info:
        send(lambda request: httpx.Response(400, json={"error": "invalid_grant"}))
    assert info.value.aadsts is None and info.value.error == "invalid_grant"


def test_aadsts_falls_back_to_error_codes() -> None:
    error = errors.idp_error_from_body({"error": "invalid_client", "error_codes": [7000222]})
    assert isinstance(error, errors.ClientSecretExpired)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, "<html>oops</html>"),
        (200, "not json"),
        (200, json.dumps({**SUCCESS, "id_token": None})),
        (200, json.dumps({**SUCCESS, "token_type": "mac"})),
        (200, json.dumps(["a", "list"])),
    ],
)
def test_unusable_responses_are_token_endpoint_errors(status: int, body: str) -> None:
    with pytest.raises(errors.TokenEndpointError):
        send(lambda request: httpx.Response(status, text=body))


def _raise(exc: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


@pytest.mark.parametrize(
    "exc", [httpx.ReadTimeout("slow"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("busy")]
)
def test_timeouts_are_idp_timeout(exc: Exception) -> None:
    with pytest.raises(errors.IdpTimeout) as info:
        send(_raise(exc))
    assert info.value.code == "idp_timeout" and info.value.endpoint == "token"


def test_connection_refused_is_idp_unreachable() -> None:
    with pytest.raises(errors.IdpUnreachable) as info:
        send(_raise(httpx.ConnectError("[Errno 111] Connection refused")))
    assert type(info.value) is errors.IdpUnreachable and info.value.code == "idp_unreachable"


def test_real_connection_refused_is_idp_unreachable() -> None:
    async def run() -> None:
        async with httpx.AsyncClient() as client:
            refused = TokenRequest(url="http://127.0.0.1:1/token", form={}, headers={})
            await exchange_code(client, refused, timeout=2.0)

    with pytest.raises(errors.IdpUnreachable):
        loops.run(run())
