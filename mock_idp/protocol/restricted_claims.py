"""Entra's JWT restricted claim set: claims no claims-mapping policy may set or change.

Microsoft Learn, "Claims mapping policy type" (entra/identity-platform/
reference-claims-mapping-policy-type), "JSON Web Token (JWT) restricted claim set": the data
source of these claims cannot be changed and no transformation applies to them; any claim
whose name starts with ``xms_`` is restricted too, and ``extn.`` is restricted as a prefix (the
directory extension claims, which an app gets through optional claims instead). Among them are
``roles`` (app roles are assigned, not mapped), ``groups`` and the overage's ``_claim_names`` /
``_claim_sources``, ``email`` and ``preferred_username``.

The mock's test-only custom claims (:mod:`mock_idp.endpoints.custom_claims`) refuse them, so a
test cannot give an app a token Entra would never issue; the mock's own mechanisms make these
claims (app role assignments, group memberships, a user's ``mail``, faults for tampered tokens).
"""

from __future__ import annotations

RESTRICTED_JWT_CLAIMS = frozenset({
    ".", "_claim_names", "_claim_sources", "aai", "access_token", "account_type", "acct", "acr",
    "acrs", "actor", "actortoken", "ageGroup", "aio", "altsecid", "amr", "app_chain",
    "app_displayname", "app_res", "appctx", "appctxsender", "appid", "appidacr", "assertion",
    "at_hash", "aud", "auth_data", "auth_time", "authorization_code", "azp", "azpacr",
    "bk_claim", "bk_enclave", "bk_pub", "brk_client_id", "brk_redirect_uri", "c_hash", "ca_enf",
    "ca_policy_result", "capolids", "capolids_latebind", "cc", "cert_token_use",
    "child_client_id", "child_redirect_uri", "client_id", "client_ip", "cloud_graph_host_name",
    "cloud_instance_host_name", "cloud_instance_name", "CloudAssignedMdmId", "cnf", "code",
    "controls", "controls_auds", "credential_keys", "csr", "csr_type", "ctry", "deviceid",
    "dns_names", "domain_dns_name", "domain_netbios_name", "e_exp", "email", "endpoint",
    "enfpolids", "exp", "expires_on", "fido_auth_data", "fido_ver", "fwd", "fwd_appidacr",
    "grant_type", "graph", "group_sids", "groups", "hasgroups", "hash_alg", "haswids",
    "home_oid", "home_puid", "home_tid", "iat", "identityprovider", "idp", "idtyp", "in_corp",
    "instance", "inviteTicket", "ipaddr", "isbrowserhostedapp", "iss", "isViral", "jwk",
    "key_id", "key_type", "login_hint", "mam_compliance_url", "mam_enrollment_url",
    "mam_terms_of_use_url", "mdm_compliance_url", "mdm_enrollment_url",
    "mdm_terms_of_use_url", "msgraph_host", "msproxy", "nameid", "nbf", "netbios_name",
    "nickname", "nonce", "oid", "on_prem_id", "onprem_sam_account_name", "onprem_sid",
    "openid2_id", "origin_header", "password", "platf", "polids", "pop_jwk",
    "preferred_username", "previous_refresh_token", "primary_sid", "prov_data", "puid",
    "pwd_exp", "pwd_url", "rdp_bt", "redirect_uri", "refresh_token", "refresh_token_issued_on",
    "refreshtoken", "request_nonce", "resource", "rh", "role", "roles", "rp_id", "rt_type",
    "scope", "scp", "secaud", "sid", "signature", "signin_state", "source_anchor", "src1",
    "src2", "sub", "target_deviceid", "tbid", "tbidv2", "tenant_ctry", "tenant_display_name",
    "tenant_id", "tenant_region_scope", "tenant_region_sub_scope", "thumbnail_photo", "tid",
    "tokenAutologonEnabled", "trustedfordelegation", "ttr", "unique_name", "upn", "user_agent",
    "user_setting_sync_url", "username", "uti", "ver", "verified_primary_email",
    "verified_secondary_email", "vnet", "vsm_binding_key", "wamcompat_client_info",
    "wamcompat_id_token", "wamcompat_scopes", "wids", "win_ver", "x5c_ca", "xcb2b_rclient",
    "xcb2b_rcloud", "xcb2b_rtenant", "ztdid",
})
"""The names the reference lists, spelled as it spells them (JWT claim names are
case-sensitive, RFC 7519 section 4)."""

RESTRICTED_PREFIXES = ("xms_", "extn.")
"""Every claim whose name starts so is restricted as well."""


def is_restricted(name: str) -> bool:
    """Whether no claims policy may set the JWT claim ``name`` (Entra's restricted claim set)."""
    return name in RESTRICTED_JWT_CLAIMS or name.startswith(RESTRICTED_PREFIXES)
