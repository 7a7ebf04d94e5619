"""@azure/msal-node against the provider over HTTPS: a silent call is served from its cache, and
a refresh token past its lifetime raises InteractionRequiredAuthError.

``msal_node/client.mjs`` is a confidential client that redeems a code and then asks for the same
scopes silently; the ``node_package`` fixture installs it (without Node.js 20+ or the package
the test is skipped with the reason). Node trusts the mock's local CA through
``NODE_EXTRA_CA_CERTS``.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from idp_testkit import ALICE, CLIENT_ID, SECRET, browser_sign_in, token_requests

from mock_idp.testing import MockIdp

HERE = Path(__file__).parent / "msal_node"
REDIRECT = "http://localhost/auth/callback"
RUN_TIMEOUT = 60


@pytest.fixture(scope="module")
def msal_node(node_package: Callable[..., Path]) -> Path:
    return node_package(HERE, module="@azure/msal-node", min_node=20)


@pytest.fixture
def idp(tmp_path: Path) -> Iterator[MockIdp]:
    with MockIdp(https=True, tls_dir=tmp_path / "tls") as running:
        yield running


def _line(process: subprocess.Popen[str]) -> dict[str, Any]:
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line, f"the msal-node client said nothing; stderr: {process.stderr.read()[-800:]}"  # type: ignore[union-attr]
    out: dict[str, Any] = json.loads(line)
    assert "error" not in out, out["error"]
    return out


@contextmanager
def _client(msal_node: Path, idp: MockIdp, **options: Any) -> Iterator[subprocess.Popen[str]]:
    """``client.mjs`` for the test app, killed if the test leaves it running."""
    config = {"clientId": CLIENT_ID, "clientSecret": SECRET, "authority": idp.authority,
              "redirectUri": REDIRECT, "scopes": ["User.Read"], **options}
    env = {**os.environ, "MSAL_CLIENT_CONFIG": json.dumps(config),
           "NODE_EXTRA_CA_CERTS": str(idp.ca_file)}
    with subprocess.Popen(["node", "client.mjs"], cwd=msal_node, env=env, text=True,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as process:
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()


def _send(process: subprocess.Popen[str], line: str) -> None:
    assert process.stdin is not None
    process.stdin.write(line + "\n")
    process.stdin.flush()


def _signed_in(process: subprocess.Popen[str], idp: MockIdp) -> dict[str, Any]:
    """Sign in at the URL the client prints and hand it the code; its first answer."""
    auth_url = _line(process)["authUrl"]
    assert auth_url.startswith(f"{idp.authority}/oauth2/v2.0/authorize?")
    _send(process, browser_sign_in(idp, auth_url, REDIRECT)["code"])
    return _line(process)


@pytest.mark.parametrize("scopes", [
    ["User.Read"], ["https://graph.microsoft.com/User.Read"],
    ["https://graph.microsoft.com/.default"],
], ids=["short-name", "full-uri", "default"])
def test_acquire_token_silent_is_served_from_the_cache(msal_node: Path, idp: MockIdp,
                                                       scopes: list[str]) -> None:
    """msal-node caches the token under the response's ``scope``, which holds each scope in the
    form asked (``.default`` too, as Azure Identity asks), so the silent call finds it."""
    with _client(msal_node, idp, scopes=scopes) as process:
        before = token_requests(idp) + 1  # the code redemption
        result = _signed_in(process, idp)
        process.wait(timeout=RUN_TIMEOUT)
    first, second = result["first"], result["second"]
    assert first["fromCache"] is False and first["username"] == ALICE
    assert set(scopes) <= set(first["scopes"]), first["scopes"]
    assert second["fromCache"] is True, second
    assert second["accessToken"] == first["accessToken"]
    assert token_requests(idp) == before, "only the code redemption reached the token endpoint"


def test_an_expired_refresh_token_requires_interaction(msal_node: Path, idp: MockIdp) -> None:
    """AADSTS700082 with ``suberror: bad_token``: msal-common's isInteractionRequiredError
    does not count ``invalid_grant`` alone, so without the suberror this is a ServerError."""
    with _client(msal_node, idp, refreshAfterInput=True) as process:
        _signed_in(process, idp)
        idp.clock.advance(idp.config.refresh_token_lifetime + timedelta(minutes=1))
        _send(process, "")
        result = _line(process)
        process.wait(timeout=RUN_TIMEOUT)
    for call in ("silent", "byRefreshToken"):
        assert result[call] == {"name": "InteractionRequiredAuthError",
                                "errorCode": "invalid_grant", "subError": "bad_token",
                                "errorNo": 700082}, (call, result)
