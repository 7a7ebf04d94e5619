"""Who a token request is from: the code or refresh token it redeems, the tenant that answers
it and the app, found once the form is in and again after a fault held the request
(:mod:`mock_idp.endpoints.token`)."""

from __future__ import annotations

from ..errors import EntraError
from ..protocol import redemption, tenants
from ..protocol.discovery import MSA_TENANT_ID
from ..state import IdpState
from ..store import Application, AuthorizationCode, RefreshToken, Tenant


def find_client(state: IdpState, segment: str, tenant: Tenant | None, grant_type: str,
                client_id: str, form: dict[str, str]
                ) -> tuple[AuthorizationCode | RefreshToken | None, Tenant, Application]:
    """The code or refresh token the request redeems (if the provider knows it), the tenant
    that answers it and the app, enabled; Entra's error when there is none."""
    record = _peek(state, form, grant_type)
    tenant, app = _tenant_and_app(state, segment, tenant, grant_type, client_id, record)
    if segment.lower() == tenants.CONSUMERS and grant_type in ("authorization_code",
                                                               "refresh_token"):
        # Codes and refresh tokens are all work accounts': none was issued by the personal
        # accounts' directory, so /consumers knows none (AADSTS70000 / 9002313).
        redemption.issued(grant_type, form, record, client_id=app.client_id,
                          tenant_id=MSA_TENANT_ID)
    if not app.enabled:
        raise EntraError(7000112, {"app_id": app.client_id, "app_name": app.name})
    return record, tenant, app


def _tenant_and_app(state: IdpState, segment: str, tenant: Tenant | None, grant_type: str,
                    client_id: str, record: AuthorizationCode | RefreshToken | None
                    ) -> tuple[Tenant, Application]:
    """The tenant a token request is answered in, and its app. Through ``/common`` or
    ``/organizations``, a multi-tenant app's code or refresh token is redeemed in the tenant it
    was issued in (the user's), any other request in the app's own. In another organization's
    tenant a multi-tenant app gets app-only tokens (client credentials) only once it has a
    service principal there, made by a consent (an administrator's, typically)."""
    if tenant is None:
        if grant_type == "client_credentials" and segment.lower() in ("common", "consumers"):
            raise EntraError(9001023)
        found = state.store.find_app_any(client_id)
        if found is None:
            raise EntraError(700016, {"app_id": client_id, "tenant": segment})
        tenants.check_audience(segment, found[1])
        tenant = found[0]
        if record is not None and record.client_id == found[1].client_id and found[1].multi_tenant:
            tenant = state.store.tenants.get(record.tenant_id, tenant)
    app = tenants.app_in(state.store, tenant, client_id)
    if app is None or (grant_type == "client_credentials" and not tenants.provisioned(tenant, app)):
        raise EntraError(700016, {"app_id": client_id, "tenant": tenant.domain})
    return tenant, app


def _peek(state: IdpState, form: dict[str, str], grant_type: str
          ) -> AuthorizationCode | RefreshToken | None:
    """The code or refresh token being redeemed, if the provider knows it (nothing is used
    up: :func:`_redeem_code` and :func:`_redeem_refresh` check it)."""
    if grant_type == "authorization_code":
        return state.store.codes.get(form.get("code", ""))
    if grant_type == "refresh_token":
        return state.store.refresh_tokens.find(form.get("refresh_token", ""), state.clock.now())
    return None
