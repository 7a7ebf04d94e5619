"""The tenant's federation metadata document: who issues (the v1 issuer) and which
certificates sign, as Entra publishes them, read the way a client that falls back to it
(django-auth-adfs, when the OpenID Connect documents answer an error) reads them."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
from asgi_client import AppClient
from idp_testkit import DOMAIN, TENANT, paths, tokens_for

MD, DS = "urn:oasis:names:tc:SAML:2.0:metadata", "http://www.w3.org/2000/09/xmldsig#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
PATH = "/{}/FederationMetadata/2007-06/FederationMetadata.xml"


def _sts_signing_certificates(root: ET.Element) -> list[str]:
    """The X509 certificates of the security token service's signing keys, found by one
    path with predicates, as a client that reads them finds them."""
    path = (f"./{{{MD}}}RoleDescriptor[@{{{XSI}}}type='fed:SecurityTokenServiceType']"
            f"/{{{MD}}}KeyDescriptor[@use='signing']/{{{DS}}}KeyInfo/{{{DS}}}X509Data"
            f"/{{{DS}}}X509Certificate")
    return [node.text or "" for node in root.findall(path)]


@pytest.mark.parametrize("segment", [TENANT, DOMAIN])
def test_it_names_the_v1_issuer_and_the_published_signing_certificates(
        client: AppClient, segment: str) -> None:
    response = client.get(PATH.format(segment))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{{{MD}}}EntityDescriptor"
    assert root.get("entityID") == f"https://sts.windows.net/{TENANT}/"
    published = [k["x5c"][0] for k in client.get(paths(TENANT, "1.0")["keys"]).json()["keys"]]
    assert _sts_signing_certificates(root) == published
    idp_keys = root.findall(f"{{{MD}}}IDPSSODescriptor/{{{MD}}}KeyDescriptor[@use='signing']")
    assert len(idp_keys) == len(published)


def test_the_lower_case_path_answers_the_same_document(client: AppClient) -> None:
    lower = client.get(PATH.format(TENANT).lower())
    assert lower.status_code == 200 and lower.content == client.get(PATH.format(TENANT)).content


def test_after_a_rotation_it_lists_the_keys_the_key_set_publishes(client: AppClient) -> None:
    before = ET.fromstring(client.get(PATH.format(TENANT)).content)
    assert client.post("/_mock/keys/rotate").status_code in (200, 201)
    after = _sts_signing_certificates(ET.fromstring(client.get(PATH.format(TENANT)).content))
    assert after != _sts_signing_certificates(before)
    assert after == [k["x5c"][0] for k in client.get(paths(TENANT, "1.0")["keys"]).json()["keys"]]


def test_a_key_set_outage_takes_it_down_too(client: AppClient) -> None:
    armed = client.post("/_mock/faults", json={"kind": "outage", "endpoint": "jwks",
                                               "times": "until_cleared"})
    assert armed.status_code == 201, armed.text
    response = client.get(PATH.format(TENANT))
    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
    client.delete("/_mock/faults")
    assert client.get(PATH.format(TENANT)).status_code == 200


def test_an_unknown_tenant_is_refused_as_the_other_documents_refuse_it(
        client: AppClient) -> None:
    response = client.get(PATH.format("nosuchtenant.onmicrosoft.com"))
    assert response.status_code == 400 and "AADSTS90002" in response.json()["error_description"]


def test_a_key_set_fault_changes_its_certificates_as_it_changes_the_key_set(
        client: AppClient) -> None:
    """After a rotation two keys are published; ``kid_absent`` shows the active one only, and
    the metadata, another way to the same keys, lists just its certificate too."""
    assert len(client.get(PATH.format(TENANT)).content) > 0  # the first key, published
    assert client.post("/_mock/keys/rotate").status_code in (200, 201)
    armed = client.post("/_mock/faults", json={"kind": "kid_absent", "times": "until_cleared"})
    assert armed.status_code == 201, armed.text
    tokens_for(client)  # an ID token: the fault fires, and the key set changes
    listed = _sts_signing_certificates(ET.fromstring(client.get(PATH.format(TENANT)).content))
    shown = client.get(paths(TENANT, "1.0")["keys"]).json()["keys"]
    assert listed == [k["x5c"][0] for k in shown] and len(listed) == 1
    client.delete("/_mock/faults")
    after = _sts_signing_certificates(ET.fromstring(client.get(PATH.format(TENANT)).content))
    assert len(after) == 2
