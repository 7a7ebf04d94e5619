"""@azure/msal-node against the provider over HTTPS: a silent call is served from its cache.

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


def test_acquire_token_silent_is_served_from_the_cache(msal_node: Path, idp: MockIdp) -> None:
    config = {"clientId": CLIENT_ID, "clientSecret": SECRET, "authority": idp.authority,
              "redirectUri": REDIRECT, "scopes": ["User.Read"]}
    env = {**os.environ, "MSAL_CLIENT_CONFIG": json.dumps(config),
           "NODE_EXTRA_CA_CERTS": str(idp.ca_file)}
    with subprocess.Popen(["node", "client.mjs"], cwd=msal_node, env=env, text=True,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as process:
        try:
            auth_url = _line(process)["authUrl"]
            assert auth_url.startswith(f"{idp.authority}/oauth2/v2.0/authorize?")
            code = browser_sign_in(idp, auth_url, REDIRECT)["code"]
            before = token_requests(idp)
            assert process.stdin is not None
            process.stdin.write(code + "\n")
            process.stdin.flush()
            result = _line(process)
            process.wait(timeout=RUN_TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
    first, second = result["first"], result["second"]
    assert first["fromCache"] is False and first["username"] == ALICE
    assert "User.Read" in first["scopes"]
    assert second["fromCache"] is True, second
    assert second["accessToken"] == first["accessToken"]
    assert token_requests(idp) == before + 1, "only the code redemption reached the token endpoint"
