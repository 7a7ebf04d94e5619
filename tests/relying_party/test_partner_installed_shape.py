"""``app.installed`` as the platform documents it (partner-sso.md b.3): ``_links`` with ``root``,
``self``, ``userinfo``, ``authorization`` and ``token``, and no ``openid_configuration`` link (only
the mock adds one). Without it the discovery document is the one OpenID Connect Discovery derives
from the authorization endpoint's issuer. The key pair in ``data`` (``private_key``,
``public_key``, ``key_id``, ``key_algorithm``) is optional, checked and stored; the private key,
like the client secret, never shows in an admin view and is forgotten at uninstall. Ids are kept
exactly as sent: surrounding white space is refused, naming the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fake_op import (
    AUTHORIZE,
    BASE,
    CLIENT_ID,
    CLIENT_SECRET,
    DISCOVERY,
    TID,
    TOKEN,
    USERS,
    USERS_ME,
    event,
)
from rp_support import INSTALLATION, RpHarness, launch, post_event

from relying_party.db import Database
from relying_party.event_links import discovery_link
from relying_party.inputs import InputError, identifier
from relying_party.oidc.discovery import derive_discovery_url

PRIVATE_KEY = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPRIVATEPRIVATEPRIV\n"
    "-----END PRIVATE KEY-----\n"
)
PUBLIC_KEY = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEPUBLICPUBLICPUBLIC\n"
    "-----END PUBLIC KEY-----\n"
)
KEYS = {"private_key": PRIVATE_KEY, "public_key": PUBLIC_KEY,
        "key_id": "78a574781e434d0b9991edd0994fbeed", "key_algorithm": "ES256"}


def documented_links(authorization: str = AUTHORIZE) -> dict[str, Any]:
    return {
        "self": {"href": f"{BASE}/apps/app/events/3214155a170c4d4aaa344a540ceckrik1"},
        "userinfo": {"href": USERS_ME},
        "authorization": {"href": authorization},
        "token": {"href": TOKEN},
    }


def documented(rp: RpHarness, *, links: dict[str, Any] | None = None, **data: Any) -> bytes:
    """The reference page's example: every ``data`` member, the documented links."""
    payload = {"installation_id": INSTALLATION, "account_id": TID, "account_name": "starship",
               "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **KEYS, **data}
    return event("app.installed", payload, created_at=rp.clock.now(),
                 links=links if links is not None else documented_links())


def installations(rp: RpHarness) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = rp.client.get("/api/admin/installations").json()
    return body


def stored(rp: RpHarness) -> Any:
    return rp.client.app.state.rp.db.installations.get(INSTALLATION)  # type: ignore[attr-defined]


def assert_refused(rp: RpHarness, body: bytes, fields: dict[str, str]) -> None:
    response = post_event(rp, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "event_malformed"
    assert response.json()["fields"] == fields
    assert installations(rp) == []


def test_the_documented_shape_is_installed_and_signs_in(rp: RpHarness) -> None:
    response = post_event(rp, documented(rp))
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "installed"
    [shown] = installations(rp)
    assert shown["openid_configuration_url"] == DISCOVERY
    assert launch(rp, "alice").status_code == 303
    assert rp.me().json()["platform_user_id"] == USERS["alice"].oid


@pytest.mark.parametrize(("authorization", "discovery"), [
    ("https://starship.talkdeskid.com/oauth/authorize",
     "https://starship.talkdeskid.com/.well-known/openid-configuration"),
    ("https://starship.talkdeskid.eu/oauth/authorize",
     "https://starship.talkdeskid.eu/.well-known/openid-configuration"),
    (f"https://login.microsoftonline.com/{TID}/oauth2/v2.0/authorize",
     f"https://login.microsoftonline.com/{TID}/v2.0/.well-known/openid-configuration"),
    (f"https://login.microsoftonline.com/{TID}/oauth2/authorize",
     f"https://login.microsoftonline.com/{TID}/.well-known/openid-configuration"),
])
def test_the_discovery_url_is_derived_from_the_authorization_link(
    rp: RpHarness, authorization: str, discovery: str
) -> None:
    assert derive_discovery_url(authorization) == discovery
    links = documented_links(authorization)
    assert discovery_link(links, authorization, allow_http=False) == discovery
    assert post_event(rp, documented(rp, links=links)).status_code == 200
    assert stored(rp).openid_configuration_url == discovery


def test_an_openid_configuration_link_when_given_is_used(rp: RpHarness) -> None:
    given = "https://idp.example/tenant/.well-known/openid-configuration"
    links = {**documented_links(), "openid_configuration": {"href": given}}
    assert discovery_link(links, AUTHORIZE, allow_http=False) == given
    assert post_event(rp, documented(rp, links=links)).status_code == 200
    assert stored(rp).openid_configuration_url == given


@pytest.mark.parametrize(("entry", "problem"), [
    ({"href": "http://evil.example/.well-known/openid-configuration"},
     "must use https (http is allowed only for localhost)"),
    ({"href": 5}, "is required (an absolute https URL)"),
    ("https://idp.example/.well-known/openid-configuration", "is required (an absolute https URL)"),
])
def test_an_openid_configuration_link_given_is_checked(
    rp: RpHarness, entry: object, problem: str
) -> None:
    links = {**documented_links(), "openid_configuration": entry}
    assert_refused(rp, documented(rp, links=links),
                   {"_links.openid_configuration.href": problem})


def test_a_derived_discovery_url_follows_the_url_rules(rp: RpHarness) -> None:
    authorization = f"https://idp.example/{'a' * 2000}/oauth2/v2.0/authorize"
    with pytest.raises(InputError) as refusal:
        discovery_link(documented_links(authorization), authorization, allow_http=False)
    assert list(refusal.value.errors) == ["_links.authorization.href"]
    assert_refused(rp, documented(rp, links=documented_links(authorization)),
                   {"_links.authorization.href": refusal.value.errors[
                       "_links.authorization.href"]})


def test_the_key_pair_is_stored_and_the_private_key_never_shown(rp: RpHarness) -> None:
    assert post_event(rp, documented(rp)).status_code == 200
    installation = stored(rp)
    assert (installation.private_key, installation.public_key) == (PRIVATE_KEY, PUBLIC_KEY)
    assert (installation.key_id, installation.key_algorithm) == (KEYS["key_id"], "ES256")
    assert PRIVATE_KEY not in repr(installation)
    [shown] = installations(rp)
    assert shown["key_id"] == KEYS["key_id"]
    assert shown["key_algorithm"] == "ES256"
    assert shown["public_key"] == PUBLIC_KEY
    assert shown["private_key_set"] is True
    rp.admin_sign_in()
    page = rp.client.get("/admin").text
    for secret in ("PRIVATEPRIVATE", CLIENT_SECRET):
        assert secret not in json.dumps(shown) and secret not in page


def test_the_key_pair_is_optional(rp: RpHarness) -> None:
    body = documented(rp, private_key=None, public_key=None, key_id=None, key_algorithm=None)
    assert post_event(rp, body).status_code == 200
    [shown] = installations(rp)
    assert (shown["key_id"], shown["key_algorithm"], shown["public_key"]) == (None, None, None)
    assert shown["private_key_set"] is False


def test_a_new_install_replaces_the_key_pair_and_an_uninstall_forgets_the_private_key(
    rp: RpHarness
) -> None:
    assert post_event(rp, documented(rp)).status_code == 200
    rp.clock.advance(seconds=1)
    assert post_event(rp, documented(rp, key_id="second", key_algorithm="PS384")).status_code == 200
    assert (stored(rp).key_id, stored(rp).key_algorithm) == ("second", "PS384")
    rp.clock.advance(seconds=1)
    assert post_event(rp, documented(rp, private_key="", public_key="", key_id="",
                                     key_algorithm="")).status_code == 200
    assert not stored(rp).has_key
    rp.clock.advance(seconds=1)
    assert post_event(rp, documented(rp)).status_code == 200
    rp.clock.advance(seconds=1)
    uninstall = event("app.uninstalled", {"installation_id": INSTALLATION, "account_id": TID},
                      created_at=rp.clock.now())
    assert post_event(rp, uninstall).status_code == 200
    assert stored(rp).private_key == ""
    assert stored(rp).client_secret == ""
    assert stored(rp).public_key == PUBLIC_KEY


def test_a_rotation_stores_the_key_pair_it_carries_and_keeps_the_pair_when_it_carries_none(
    rp: RpHarness
) -> None:
    assert post_event(rp, documented(rp)).status_code == 200
    rotated: dict[str, Any] = {"installation_id": INSTALLATION, "account_id": TID,
                               "client_id": CLIENT_ID, "client_secret": "second-secret"}
    rp.clock.advance(seconds=1)
    bare = event("app.credentials_rotated", rotated, created_at=rp.clock.now())
    assert post_event(rp, bare).status_code == 200
    assert (stored(rp).key_id, stored(rp).private_key) == (KEYS["key_id"], PRIVATE_KEY)
    rp.clock.advance(seconds=1)
    renewed = event("app.credentials_rotated",
                    {**rotated, "client_secret": "third-secret", "account_name": "starship",
                     **KEYS, "key_id": "renewed", "key_algorithm": "PS256",
                     "private_key": PRIVATE_KEY.replace("PRIVATEPRIV", "RENEWEDRENE")},
                    created_at=rp.clock.now())
    assert post_event(rp, renewed).status_code == 200
    installation = stored(rp)
    assert (installation.key_id, installation.key_algorithm) == ("renewed", "PS256")
    assert "RENEWEDRENE" in installation.private_key
    assert installation.client_secret == "third-secret"
    rp.clock.advance(seconds=1)
    bad = event("app.credentials_rotated", {**rotated, "client_secret": "fourth-secret",
                                            **KEYS, "key_algorithm": "RS256"},
                created_at=rp.clock.now())
    assert post_event(rp, bad).status_code == 400
    assert stored(rp).client_secret == "third-secret"  # nothing half-stored


def test_real_pem_keys_and_the_largest_accepted_size_are_stored(rp: RpHarness) -> None:
    key = ec.generate_private_key(ec.SECP521R1())
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    body = documented(rp, private_key=private_pem, public_key=public_pem, key_algorithm="ES512")
    assert post_event(rp, body).status_code == 200
    assert (stored(rp).private_key, stored(rp).public_key) == (private_pem, public_pem)
    rp.clock.advance(seconds=1)
    largest = ("A" * 63 + "\r\n") * 126 + "AA"  # 8192 characters: room for an 8192-bit RSA key
    assert len(largest) == 8192
    assert post_event(rp, documented(rp, private_key=largest)).status_code == 200
    assert stored(rp).private_key == largest


@pytest.mark.parametrize("algorithm", ["ES256", "ES384", "ES512", "PS256", "PS384", "PS512"])
def test_each_documented_key_algorithm_is_accepted(rp: RpHarness, algorithm: str) -> None:
    assert post_event(rp, documented(rp, key_algorithm=algorithm)).status_code == 200
    assert stored(rp).key_algorithm == algorithm


KEY_ALGORITHM_PROBLEM = "must be one of ES256, ES384, ES512, PS256, PS384, PS512"
BAD_KEY_MEMBERS: dict[str, tuple[str, object, str]] = {
    "algorithm RS256": ("key_algorithm", "RS256", KEY_ALGORITHM_PROBLEM),
    "algorithm none": ("key_algorithm", "none", KEY_ALGORITHM_PROBLEM),
    "algorithm in lower case": ("key_algorithm", "es256", KEY_ALGORITHM_PROBLEM),
    "algorithm a number": ("key_algorithm", 256, KEY_ALGORITHM_PROBLEM),
    "private key a number": ("private_key", 5, "must be a string"),
    "private key too long": ("private_key", "A" * 8193, "must be at most 8192 characters"),
    "private key with NUL": ("private_key", "AB\x00CD",
                             "must be printable ASCII text (PEM or base64), line breaks allowed"),
    "public key with a bidi override": (
        "public_key", "AB\u202eCD",
        "must be printable ASCII text (PEM or base64), line breaks allowed"),
    "public key an object": ("public_key", {"kty": "EC"}, "must be a string"),
    "key id with a zero-width space": (
        "key_id", "ab\u200bcd", "must not contain invisible characters such as bidi overrides"),
    "key id too long": ("key_id", "k" * 257, "must be at most 256 characters"),
    "key id with surrounding space": ("key_id", "kid ", "must not start or end with white space"),
}


@pytest.mark.parametrize("case", sorted(BAD_KEY_MEMBERS))
def test_bad_key_members_are_refused_naming_them(rp: RpHarness, case: str) -> None:
    member, value, problem = BAD_KEY_MEMBERS[case]
    assert_refused(rp, documented(rp, **{member: value}), {f"data.{member}": problem})


@pytest.mark.parametrize("member", ["installation_id", "account_id", "client_id"])
@pytest.mark.parametrize("value", [f" {INSTALLATION}", f"{INSTALLATION} ", f"\t{INSTALLATION}"])
def test_ids_with_surrounding_white_space_are_refused(
    rp: RpHarness, member: str, value: str
) -> None:
    assert_refused(rp, documented(rp, **{member: value}),
                   {f"data.{member}": "must not start or end with white space"})


@pytest.mark.parametrize("event_type", ["app.credentials_rotated", "app.uninstalled",
                                        "user.logout"])
def test_other_events_refuse_ids_with_surrounding_white_space(
    rp: RpHarness, event_type: str
) -> None:
    assert post_event(rp, documented(rp)).status_code == 200
    data = {"installation_id": f"{INSTALLATION} ", "client_id": CLIENT_ID,
            "client_secret": "new-secret", "user_id": USERS["alice"].oid}
    response = post_event(rp, event(event_type, data, created_at=rp.clock.now()))
    assert response.status_code == 400, response.text
    assert response.json()["fields"] == {
        "data.installation_id": "must not start or end with white space"}
    assert stored(rp).active and stored(rp).client_secret == CLIENT_SECRET


def test_identifier_keeps_ids_exactly_as_given() -> None:
    assert identifier("9514148a", "id") == "9514148a"
    assert identifier(None, "id", required=False) == ""
    for bad in (" 9514148a", "9514148a ", "9514148a\n", "\u00a09514148a", " "):
        with pytest.raises(InputError) as refusal:
            identifier(bad, "id")
        assert refusal.value.errors == {"id": "must not start or end with white space"}


def test_a_database_made_before_the_key_table_opens_with_its_installations(
    rp: RpHarness, tmp_path: Path
) -> None:
    assert post_event(rp, documented(rp)).status_code == 200
    before = stored(rp)
    path = str(tmp_path / "older.db")
    older = Database(path)
    older.installations.upsert(before)
    older._sql.run("DROP TABLE installation_keys")
    older.close()
    reopened = Database(path)
    try:
        installation = reopened.installations.get(INSTALLATION)
        assert installation is not None and installation.client_secret == CLIENT_SECRET
        assert not installation.has_key
    finally:
        reopened.close()
