"""``conformance --app`` on an app we did not write: the Flask example on Microsoft's ``identity``
package (MSAL underneath), which takes only https authorities. The mock serves https with a
local CA that the app (``{ca_file}``) and the browser trust, and every row is judged as the
specifications say: what MSAL leaves to TLS is allowed, what it never exercises is not tested."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from scenarios.__main__ import main

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a whole conformance run

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "flask_apps" / "identity_app.py"
MISSING = [m for m in ("flask", "identity", "flask_session") if importlib.util.find_spec(m) is None]

PROFILE = """\
name = "Flask + identity (MSAL)"

[app]
command = [{python}, {script}, "--port", "{{port}}"]
ready_url = "/"
timeout = 60

[app.env]
OIDC_AUTHORITY = "{{authority}}"
OIDC_CLIENT_ID = "{{client_id}}"
OIDC_CLIENT_SECRET = "{{client_secret}}"
OIDC_REDIRECT_URI = "{{redirect_uri}}"
OIDC_POST_LOGOUT_REDIRECT_URI = "{{post_logout_redirect_uri}}"
OIDC_CA_FILE = "{{ca_file}}"

[provider]
redirect_uris = ["{{base_url}}/auth/callback"]
post_logout_redirect_uri = "{{base_url}}/signed-out"

[sign_in]
urls = {{ login = {{ url = "/login", lands_on = "/account" }} }}

[signed_in]
me_url = "/me"

[sign_out]
backchannel_uri = "{{base_url}}/auth/backchannel-logout"
"""

EXPECTED = {
    "rp-response_type-code": "PASS",
    # MSAL never fetches the provider's keys: it trusts the token endpoint's TLS instead.
    "rp-id_token-kid-absent-single-jwks": "SKIP",
    "rp-id_token-kid-absent-multiple-jwks": "SKIP",
    "rp-key-rotation-op-sign-key-native": "SKIP",
    "rp-id_token-sig-none": "INFO",
    "rp-id_token-bad-sig-rs256": "INFO",
    "harness-id_token-unknown-key": "INFO",
    # The code flow: at_hash and c_hash are optional.
    "rp-id_token-bad-at_hash": "INFO",
    "rp-id_token-bad-c_hash": "INFO",
    # Claim checks the spec requires whatever the transport: the library's defaults skip them.
    "rp-id_token-issuer-mismatch": "FAIL",
    "rp-id_token-sub": "FAIL",
    "rp-id_token-aud": "FAIL",
    "oidcc-client-test-missing-aud": "FAIL",
    "rp-id_token-iat": "FAIL",
    "harness-id_token-expired": "FAIL",
    "harness-id_token-nbf-future": "FAIL",
    "rp-nonce-invalid": "PASS",
    "rp-userinfo-bad-sub-claim": "SKIP",  # it never calls userinfo
    # No back-channel logout endpoint: the valid token's row fails, the others are not tested.
    "rp-backchannel-rpinitlogout": "FAIL",
}


@pytest.mark.skipif(bool(MISSING), reason=f"the identity example needs {', '.join(MISSING)}: "
                    "pip install 'sso-harness[examples]'")
def test_conformance_on_the_msal_example_over_https(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "identity.toml"
    profile.write_text(PROFILE.format(python=json.dumps(sys.executable),
                                      script=json.dumps(str(EXAMPLE))), encoding="utf-8")
    code = main(["conformance", "--app", str(profile), "--https", "--json"])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["provider"].startswith("https://localhost:")
    rows = {r["id"]: r for r in report["rows"]}
    results = {i: r["result"] for i, r in rows.items()}
    bad_tokens = {i for i in rows if i.startswith(("rp-backchannel-rpinitlogout-",
                                                   "harness-backchannel-"))}
    assert results == {**EXPECTED, **dict.fromkeys(bad_tokens, "SKIP")}, captured.err
    assert code == 1
    assert rows["rp-id_token-bad-sig-rs256"]["reason"].startswith(
        "allowed by OpenID Connect Core 3.1.3.7 (6): the ID token came straight from the token "
        "endpoint over TLS")
    assert "no GET of its signing keys (jwks_uri) during this row" in rows[
        "rp-key-rotation-op-sign-key-native"]["reason"]
    assert rows["rp-backchannel-rpinitlogout"]["reason"].startswith(
        "the back-channel logout URI answered 404")
    assert "Flask + identity (MSAL) at http://127.0.0.1:" in captured.err
