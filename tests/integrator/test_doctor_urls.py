"""``doctor`` given a URL that does not parse (an unclosed ``[``, a port out of range): a bad
option exits 2 naming it, and a discovery document's is that check's FAIL, never a traceback."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from scenarios.__main__ import main
from scenarios.doctor import DoctorOptions, Secret, diagnose

GOOD = "https://idp.example/6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318/oauth2"


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@pytest.mark.parametrize(("option", "value"), [
    ("--authorization-uri", "https://[::1/t/oauth2/authorize"),
    ("--token-url", "https://idp.example:99999/t/oauth2/token"),
    ("--discovery-url", "https://[::1/.well-known/openid-configuration"),
    ("--redirect-uri", "https://[::1/callback"),
    ("--redirect-uri", "https://app.example:70000/callback"),
])
def test_a_url_that_does_not_parse_is_a_bad_option(
        option: str, value: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCTOR_TEST_SECRET", "s3cret-value")
    args = {"--authorization-uri": f"{GOOD}/authorize", "--token-url": f"{GOOD}/token",
            option: value}
    argv = ["doctor", "--client-id", "x", "--client-secret-env", "DOCTOR_TEST_SECRET"]
    for name, given in args.items():
        argv += [name, given]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"doctor: {option} {value!r} is not a URL"), err
    assert "Traceback" not in err and len(err.splitlines()) == 1, err


@pytest.mark.parametrize("key", ["authorization_endpoint", "token_endpoint"])
def test_a_document_endpoint_that_does_not_parse_fails_discovery(key: str) -> None:
    document = {"issuer": "https://idp.example/t",
                "authorization_endpoint": "https://idp.example/t/authorize",
                "token_endpoint": "https://idp.example/t/token",
                "jwks_uri": "https://idp.example/keys", "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"]}
    document[key] = "https://[::1/t/endpoint"

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=document)

    options = DoctorOptions(authorization_uri="", token_url="", client_id="x",
                            client_secret=Secret("s3cret-value"), timeout=5,
                            discovery_url="https://idp.example/t/.well-known/openid-configuration")
    with httpx.Client(transport=httpx.MockTransport(answer)) as http:
        diagnosis = diagnose(options, http, clock=Clock())
    found = {r.name: r for r in diagnosis.results}["discovery"]
    assert found.status == "FAIL" and f"its {key} 'https://[::1/t/endpoint' is not a URL" in (
        found.detail), found


def test_a_document_endpoint_that_does_not_parse_is_not_the_one_given() -> None:
    """With the endpoints given, the document's unparsable one is simply another endpoint."""
    document = {"issuer": "https://idp.example/t/v2.0",
                "authorization_endpoint": "https://[::1/t/oauth2/v2.0/authorize",
                "token_endpoint": f"{GOOD}/v2.0/token", "jwks_uri": "https://idp.example/keys",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"]}

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("openid-configuration"):
            return httpx.Response(200, json=document)
        return httpx.Response(404)

    options = DoctorOptions(authorization_uri=f"{GOOD}/v2.0/authorize",
                            token_url=f"{GOOD}/v2.0/token", client_id="x",
                            client_secret=Secret("s3cret-value"), timeout=5)
    with httpx.Client(transport=httpx.MockTransport(answer)) as http:
        diagnosis = diagnose(options, http, clock=Clock())
    found = {r.name: r for r in diagnosis.results}["endpoints"]
    assert found.status == "FAIL" and "https://[::1/t/oauth2/v2.0/authorize" in found.detail
