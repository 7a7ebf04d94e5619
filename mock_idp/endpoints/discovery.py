"""Discovery documents, signing keys, instance discovery and home realm discovery."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..errors import EntraError
from ..faults.registry import held
from ..protocol import discovery, tenants
from ..protocol import federation_metadata as metadata
from ..store import Tenant
from .common import base_url, entra_headers, error_json, idp, json_response
from .faults_hook import json_fault, token_fault

CACHE = "max-age=86400, private"
MAX_USERNAME = 256
DISCOVERY_CORS = {"Access-Control-Allow-Methods": "GET, OPTIONS"}
"""Beside ``Access-Control-Allow-Origin: *``, on Entra's discovery and instance-discovery
answers (``entra-id.md`` §1.4, recorded headers)."""


async def _tenant_or_refusal(request: Request, endpoint: str
                             ) -> tuple[Tenant | None, Response | None]:
    """The tenant the path names (``None`` for ``common``, ``organizations`` or
    ``consumers``), or the answer given instead: Entra's error for a segment that names no
    tenant, or what a fault armed on ``endpoint`` (``discovery``, ``jwks``) answers. A request
    a latency or hang fault held reads its tenant again: it may have been deleted (or made
    again) meanwhile, and is then answered as the same route answers for an unknown one."""
    segment = request.path_params["tenant"]
    try:
        tenant = tenants.resolve(idp(request).store, segment)
    except EntraError as err:
        return None, error_json(request, err)
    fault = await json_fault(request, endpoint, tenant=tenant.id if tenant else None)
    if fault is not None or not held(request):
        return tenant, fault
    try:
        return tenants.resolve(idp(request).store, segment), None
    except EntraError as err:
        return None, error_json(request, err)


async def openid_configuration(request: Request, *, version: str) -> Response:
    segment = request.path_params["tenant"]
    tenant, refusal = await _tenant_or_refusal(request, "discovery")
    if refusal is not None:
        return refusal
    build = discovery.v1_document if version == "1.0" else discovery.v2_document
    doc = build(base_url(request), segment, tenant_id=tenant.id if tenant else None,
                region=tenant.region if tenant else None)
    doc = discovery.for_app(doc, request.query_params.get("appid"))
    return json_response(request, doc, cache=CACHE, headers=DISCOVERY_CORS)


async def v2_configuration(request: Request) -> Response:
    return await openid_configuration(request, version="2.0")


async def v1_configuration(request: Request) -> Response:
    return await openid_configuration(request, version="1.0")


async def keys(request: Request, *, version: str) -> Response:
    segment = request.path_params["tenant"]
    tenant, refusal = await _tenant_or_refusal(request, "jwks")
    if refusal is not None:
        return refusal
    key_issuer = None
    if version == "2.0":
        tid = discovery.v2_issuer_tenant(segment, tenant.id if tenant else None)
        key_issuer = f"{base_url(request)}/{tid}/v2.0"
    return json_response(request, _key_set(request, tenant, key_issuer), cache=CACHE)


def _key_set(request: Request, tenant: Tenant | None, issuer: str | None) -> dict[str, Any]:
    """The published keys as the key set shows them now: changed by the key-set fault in
    effect (``kid_absent`` shows the active key only, without ``kid``), if any."""
    body = {"keys": [k.jwk(issuer=issuer) for k in idp(request).keys.published()]}
    transform = token_fault(request, "jwks", tenant=tenant.id if tenant else None)
    result: dict[str, Any] = transform(body) if transform is not None else body
    return result


async def keys_v2(request: Request) -> Response:
    return await keys(request, version="2.0")


async def keys_v1(request: Request) -> Response:
    return await keys(request, version="1.0")


async def federation_metadata(request: Request) -> Response:
    """The tenant's federation metadata (:mod:`mock_idp.protocol.federation_metadata`): its
    signing certificates, so the faults of the key set (``jwks``) apply to it too, as to
    another way to the same keys: its outages, and the certificates of the keys the key set
    shows at that moment (a key-set fault's change included), so that an app that falls back
    to it sees what the key set would show."""
    tenant, refusal = await _tenant_or_refusal(request, "jwks")
    if refusal is not None:
        return refusal
    certificates = [k["x5c"][0] for k in _key_set(request, tenant, None)["keys"] if "x5c" in k]
    body = metadata.federation_metadata(base_url(request), tenant.id if tenant else "{tenantid}",
                                        certificates)
    return Response(body, media_type="text/xml; charset=utf-8",
                    headers={**entra_headers(request), "Cache-Control": CACHE})


async def instance(request: Request) -> Response:
    answer = discovery.instance_discovery(
        base_url(request), request.query_params.get("authorization_endpoint"),
        request.query_params.get("api-version", "1.1"),
    )
    if answer is None:
        return error_json(request, EntraError(50049))
    return json_response(request, answer, cache=CACHE, headers=DISCOVERY_CORS)


async def user_realm(request: Request) -> Response:
    """``GET /common/userrealm/{username}?api-version=1.0``: MSAL's question before a password
    grant (``Federated`` would send it to a WS-Trust endpoint; the mock's are ``Managed``)."""
    username = request.path_params["username"][:MAX_USERNAME]
    return json_response(request, discovery.user_realm(idp(request).store, username))


async def preflight(request: Request) -> Response:
    """A browser's CORS preflight for the documents that advertise ``OPTIONS``: allowed from
    any origin, with whatever headers it asks for (the documents are public)."""
    asked = request.headers.get("access-control-request-headers")
    headers = {"Access-Control-Allow-Origin": "*", **DISCOVERY_CORS,
               "Access-Control-Max-Age": "86400"}
    if asked:
        headers["Access-Control-Allow-Headers"] = asked[:1000]
    return Response(status_code=204, headers=headers)


routes: list[BaseRoute] = [
    Route("/common/discovery/instance", instance, methods=["GET"]),
    Route("/{tenant}/v2.0/.well-known/openid-configuration", v2_configuration, methods=["GET"]),
    Route("/{tenant}/.well-known/openid-configuration", v1_configuration, methods=["GET"]),
    *(Route(path, preflight, methods=["OPTIONS"]) for path in (
        "/common/discovery/instance", "/{tenant}/v2.0/.well-known/openid-configuration",
        "/{tenant}/.well-known/openid-configuration")),
    Route("/{tenant}/discovery/v2.0/keys", keys_v2, methods=["GET"]),
    Route("/{tenant}/discovery/keys", keys_v1, methods=["GET"]),
    # Entra answers either spelling (Learn's capitals, and the lower case of many samples).
    Route("/{tenant}/FederationMetadata/2007-06/FederationMetadata.xml", federation_metadata,
          methods=["GET"]),
    Route("/{tenant}/federationmetadata/2007-06/federationmetadata.xml", federation_metadata,
          methods=["GET"]),
    # MSAL Python asks for /common/userrealm/, MSAL Go and .NET for /common/UserRealm/.
    Route("/common/userrealm/{username}", user_realm, methods=["GET"]),
    Route("/common/UserRealm/{username}", user_realm, methods=["GET"]),
]
