"""The tenant's federation metadata document (WS-Federation 1.2 metadata over SAML 2.0
metadata), as Entra publishes it at ``/{tenant}/FederationMetadata/2007-06/FederationMetadata.xml``
(Microsoft Learn, "Federation metadata", learn.microsoft.com/entra/identity-platform/
federation-metadata): the ``entityID`` is the v1 issuer, ``https://sts.windows.net/<tenant
id>/``, and the token-signing certificates are in a ``KeyDescriptor use="signing"`` of the
security token service's ``RoleDescriptor`` and of the ``IDPSSODescriptor``. Libraries read the
signing keys from it when the OpenID Connect documents cannot be had: django-auth-adfs falls
back to it when the discovery document or the key set answers an error. The mock's document is
not signed (Entra's carries an XML signature, which such readers do not check) and lists only
the elements that say who the issuer is, which keys sign and where the protocols' endpoints are.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

__all__ = ["federation_metadata"]

_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
_DS = "http://www.w3.org/2000/09/xmldsig#"
_FED = "http://docs.oasis-open.org/wsfed/federation/200706"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_WSA = "http://www.w3.org/2005/08/addressing"
for _prefix, _uri in (("", _MD), ("ds", _DS), ("fed", _FED), ("xsi", _XSI), ("wsa", _WSA)):
    ET.register_namespace(_prefix, _uri)


def _signing_keys(parent: ET.Element, certificates: list[str]) -> None:
    for der_b64 in certificates:
        descriptor = ET.SubElement(parent, f"{{{_MD}}}KeyDescriptor", use="signing")
        data = ET.SubElement(ET.SubElement(descriptor, f"{{{_DS}}}KeyInfo"), f"{{{_DS}}}X509Data")
        ET.SubElement(data, f"{{{_DS}}}X509Certificate").text = der_b64


def _endpoint(parent: ET.Element, tag: str, address: str) -> None:
    reference = ET.SubElement(ET.SubElement(parent, tag), f"{{{_WSA}}}EndpointReference")
    ET.SubElement(reference, f"{{{_WSA}}}Address").text = address


def federation_metadata(base: str, tenant_id: str, certificates: list[str]) -> bytes:
    """The document for ``tenant_id`` on the provider at ``base``, listing ``certificates``
    (base64 DER, the published signing keys' ``x5c``) as its token-signing keys."""
    entity = ET.Element(f"{{{_MD}}}EntityDescriptor", {
        "ID": f"_{tenant_id}", "entityID": f"https://sts.windows.net/{tenant_id}/"})
    sts = ET.SubElement(entity, f"{{{_MD}}}RoleDescriptor", {
        f"{{{_XSI}}}type": "fed:SecurityTokenServiceType",
        "protocolSupportEnumeration": _FED})
    _signing_keys(sts, certificates)
    wsfed = f"{base}/{tenant_id}/wsfed"
    _endpoint(sts, f"{{{_FED}}}SecurityTokenServiceEndpoint", wsfed)
    _endpoint(sts, f"{{{_FED}}}PassiveRequestorEndpoint", wsfed)
    idp = ET.SubElement(entity, f"{{{_MD}}}IDPSSODescriptor", {
        "protocolSupportEnumeration": "urn:oasis:names:tc:SAML:2.0:protocol"})
    _signing_keys(idp, certificates)
    saml2 = f"{base}/{tenant_id}/saml2"
    ET.SubElement(idp, f"{{{_MD}}}SingleLogoutService", {
        "Binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect", "Location": saml2})
    for binding in ("HTTP-Redirect", "HTTP-POST"):
        ET.SubElement(idp, f"{{{_MD}}}SingleSignOnService", {
            "Binding": f"urn:oasis:names:tc:SAML:2.0:bindings:{binding}", "Location": saml2})
    document: bytes = ET.tostring(entity, encoding="utf-8", xml_declaration=True)
    return document
