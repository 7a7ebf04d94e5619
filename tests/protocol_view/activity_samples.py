"""What the protocol view reads, written out by hand: a browser's documents and a mock
provider's ``/_mock/activity`` answer for one sign-in whose ID token had its nonce changed,
followed by a sign-out with a back-channel logout token and a platform event."""

from __future__ import annotations

import base64
import json
from typing import Any

from mock_idp.redaction import fingerprint
from scenarios.protocol_view import BrowserHit, Collected

IDP = "http://localhost:9000"
APP = "http://127.0.0.1:9100"
TENANT = "tid"
CODE = "1.AbcdefghijklmnopqrstuvwxyzABCDEFGH0123456789"
MASKED_CODE = fingerprint(CODE)
T0 = 1_800_000_000.0


def b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def jwt(header: dict[str, Any], claims: dict[str, Any], signature: str = "[redacted]") -> str:
    return f"{b64(header)}.{b64(claims)}.{signature}"


ID_TOKEN = jwt({"typ": "JWT", "alg": "RS256", "kid": "k1"},
               {"aud": "client", "iss": f"{IDP}/{TENANT}/v2.0", "nonce": "n-11", "sid": "s-1",
                "sub": "alice"})
LOGOUT_TOKEN = jwt({"typ": "logout+jwt", "alg": "RS256", "kid": "k1"},
                   {"aud": "client", "sid": "s-1", "events": {}, "nonce": "not allowed"},
                   signature="c2lnbmF0dXJl")


def browser() -> tuple[BrowserHit, ...]:
    return (
        BrowserHit(wall=T0, method="GET", url=f"{APP}/sso/c1/widget", status=302,
                   location=f"{IDP}/{TENANT}/oauth2/v2.0/authorize?state=st-1&nonce=n-1"),
        BrowserHit(wall=T0 + 0.1, method="GET",
                   url=f"{IDP}/{TENANT}/oauth2/v2.0/authorize?state=st-1&nonce=n-1", status=200),
        BrowserHit(wall=T0 + 1.0, method="POST", url=f"{IDP}/{TENANT}/login", status=302,
                   location=f"{APP}/auth/callback?code={MASKED_CODE}&state=st-1"),
        BrowserHit(wall=T0 + 1.2, method="GET",
                   url=f"{APP}/auth/callback?code={MASKED_CODE}&state=st-1", status=502,
                   failure_ref="RP-0123456789"),
        BrowserHit(wall=T0 + 5.0, method="GET",
                   url=f"{APP}/auth/frontchannel-logout?sid=s-1", status=200, frame="frame"),
    )


def activity() -> dict[str, Any]:
    return {
        "requests": [
            {"seq": 1, "wall": T0 + 0.11, "method": "GET",
             "path": f"/{TENANT}/oauth2/v2.0/authorize",
             "query": "client_id=client&state=st-1&nonce=n-1&scope=openid", "status": 200},
            {"seq": 2, "wall": T0 + 0.12, "method": "GET", "path": "/favicon.ico", "query": "",
             "status": 404},
            {"seq": 3, "wall": T0 + 1.01, "method": "POST", "path": f"/{TENANT}/login",
             "query": "", "status": 302,
             "location": f"{APP}/auth/callback?code={MASKED_CODE}&state=st-1",
             "request": {"content_type": "application/x-www-form-urlencoded",
                         "form": {"login": "alice", "passwd": "[redacted]"}}},
            {"seq": 4, "wall": T0 + 1.3, "method": "POST",
             "path": f"/{TENANT}/oauth2/v2.0/token", "query": "", "status": 200,
             "request": {"content_type": "application/x-www-form-urlencoded",
                         "form": {"grant_type": "authorization_code", "code": MASKED_CODE,
                                  "client_secret": "[redacted]"}},
             "response": {"content_type": "application/json",
                          "json": {"token_type": "Bearer", "id_token": ID_TOKEN,
                                   "refresh_token": "[redacted]"}},
             "notes": [{"fault": {"id": "f1", "kind": "wrong_nonce", "endpoint": "token"},
                        "target": "id_token",
                        "changes": [{"part": "claims", "name": "nonce", "before": "n-1",
                                     "after": "n-11"}]}]},
            {"seq": 5, "wall": T0 + 1.4, "method": "GET",
             "path": f"/{TENANT}/discovery/v2.0/keys", "query": "", "status": 200,
             "response": {"content_type": "application/json",
                          "json": {"keys": [{"kid": "k1", "kty": "RSA"}]}}},
            {"seq": 6, "wall": T0 + 4.0, "method": "GET", "path": f"/{TENANT}/oauth2/v2.0/logout",
             "query": "", "status": 400,
             "notes": [{"target": "error", "code": "AADSTS90014", "error": "invalid_request",
                        "message": "The required field 'client_id' is missing."}]},
        ],
        "notifications": [
            {"kind": "frontchannel", "url": f"{APP}/auth/frontchannel-logout?sid=s-1",
             "wall": T0 + 4.9, "loaded_at": "x"},
            {"kind": "backchannel", "url": f"{APP}/auth/backchannel-logout", "wall": T0 + 4.5,
             "status": 400, "payload": {"logout_token": LOGOUT_TOKEN},
             "faults": [{"fault": {"id": "f2", "kind": "lt_nonce", "endpoint": "logout_token"},
                         "target": "logout_token",
                         "changes": [{"part": "claims", "name": "nonce",
                                      "after": "not allowed"}]}]},
        ],
        "deliveries": [
            {"event_id": "e1", "type": "user.logout", "url": f"{APP}/events", "attempt": 1,
             "status": None, "error": "timeout", "outcome": "retry_scheduled",
             "next_retry_at": "2027-01-01T00:05:00Z", "wall": T0 + 4.6},
        ],
        "events": [{"id": "e1", "type": "user.logout",
                    "data": {"user_id": "u-1", "client_secret": "s3cr3t-value"}}],
        "faults": [],
    }


def collected(**changes: Any) -> Collected:
    base: dict[str, Any] = {"browser": browser(), "provider": activity(), "provider_url": IDP,
                            "app_url": APP}
    return Collected(**{**base, **changes})
