"""Entra ID's errors: the AADSTS catalogue and the shapes they are served in.

Back-channel endpoints answer with Entra's JSON body (``error``, ``error_description`` ending in
trace, correlation and timestamp trailers, ``error_codes``, ``timestamp``, ``trace_id``,
``correlation_id``, ``error_uri``); the authorize endpoint either redirects the error to a
validated redirect URI or renders the "trouble signing you in" page.

Long because: the catalogue is one table, an entry (and its source) per code the mock answers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AadstsCode:
    code: int
    error: str
    status: int
    message: str
    suberror: str | None = None


def _c(code: int, error: str, status: int, message: str, suberror: str | None = None) -> AadstsCode:
    return AadstsCode(code, error, status, message, suberror)


CATALOGUE: dict[int, AadstsCode] = {
    c.code: c
    for c in (
        _c(7000222, "invalid_client", 401,
           "The provided client secret keys for app '{app_id}' are expired. Visit the Azure "
           "portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider "
           "using certificate credentials for added security: https://aka.ms/certCreds."),
        _c(7000215, "invalid_client", 401,
           "Invalid client secret provided. Ensure the secret being sent in the request is the "
           "client secret value, not the client secret ID, for a secret added to app '{app_id}'."),
        _c(7000218, "invalid_client", 401,
           "The request body must contain the following parameter: 'client_assertion' or "
           "'client_secret'."),
        _c(700025, "invalid_client", 401,
           "Client is public so neither 'client_assertion' nor 'client_secret' should be "
           "presented."),
        _c(700027, "invalid_client", 401,
           "Client assertion failed signature validation.{reason}"),
        # The times as msal4j #984 and MSAL.NET #4951 quote them (a missing nbf: 1970).
        _c(700024, "invalid_client", 401,
           "Client assertion is not within its valid time range. Current time: {now}, assertion "
           "valid from {nbf}, expiry time of assertion {exp}. Review the documentation at "
           "https://learn.microsoft.com/entra/identity-platform/certificate-credentials ."),
        # The two audience refusals, as MSAL.NET users (issue 2746) and zitadel/oidc's users
        # (issue 887, an assertion with [issuer, token URL]) quote them.
        _c(700023, "invalid_client", 401,
           "Client assertion audience claim does not match Realm issuer. Review the "
           "documentation at https://docs.microsoft.com/azure/active-directory/develop/"
           "active-directory-certificate-credentials ."),
        _c(5002741, "invalid_client", 401,
           "Number of audience values in the provided client credential exceed maximum "
           "allowed. {count} audience values provided, maximum allowed is 1."),
        _c(700021, "invalid_client", 401,
           "Client assertion application identifier doesn't match 'client_id' parameter."),
        _c(5002723, "invalid_client", 401,
           "Client assertion header must contain an 'x5t', 'x5t#S256' or 'kid' member."),
        _c(5002738, "invalid_client", 401,
           "'{alg}' is not a supported signing algorithm. Supported signing algorithms are: "
           "'RS256,RS384,RS512'."),
        _c(50027, "invalid_request", 400, "JWT token is invalid or malformed."),
        _c(50011, "invalid_client", 400,
           "The redirect URI '{redirect_uri}' specified in the request does not match the "
           "redirect URIs configured for the application '{app_id}'. Make sure the redirect URI "
           "sent in the request matches one added to your application in the Azure portal. "
           "Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix "
           "this."),
        _c(500113, "invalid_request", 400, "No reply address is registered for the application."),
        _c(500117, "invalid_request", 400,
           "The reply uri specified in the request isn't using a secure scheme."),
        # A code redeemed with another redirect URI than the one it was issued for: the token
        # request's URI first, then the authorization request's (snok/django-auth-adfs #354,
        # 2024; PartnerCenterSamples/Reseller-Web-Application #73 gives the same text).
        _c(500112, "invalid_client", 400,
           "The reply address '{redirect_uri}' does not match the reply address "
           "'{code_redirect_uri}' provided when requesting Authorization code."),
        # v1's ``resource`` sent to the v2 authorize or token endpoint beside scopes of another
        # resource (or none): microsoft/vscode #321249 and microsoft/azure-devops-mcp #1381
        # (``invalid_target`` at token acquisition), modelcontextprotocol/python-sdk #2578 (a
        # refresh), punkpeye/mcp-remote #217, anthropics/claude-code #73460 (the authorize
        # endpoint). It replaced AADSTS901002 ("The 'resource' request parameter isn't
        # supported.") at the authorize endpoint in March 2026 (microsoft/powerbi-modeling-mcp
        # #68).
        _c(9010010, "invalid_target", 400,
           "The resource parameter provided in the request doesn't match with the requested "
           "scopes."),
        # A disabled service principal, as reported on the sign-in page and by the token
        # endpoint (Worklytics/psoxy #74, isaacrlevin/presencelight #935,
        # microsoftgraph/microsoft-graph-docs-contrib #9082).
        _c(7000112, "unauthorized_client", 400, "Application '{app_id}'({app_name}) is disabled."),
        _c(700016, "unauthorized_client", 400,
           "Application with identifier '{app_id}' was not found in the directory '{tenant}'. "
           "This can happen if the application has not been installed by the administrator of "
           "the tenant or consented to by any user in the tenant. You may have sent your "
           "authentication request to the wrong tenant."),
        _c(90002, "invalid_tenant", 400,
           "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and "
           "are signing into the correct cloud. Check with your subscription administrator, "
           "this may happen if there are no active subscriptions for the tenant."),
        _c(900023, "invalid_request", 400,
           "Specified tenant identifier '{tenant}' is neither a valid DNS name, nor a valid "
           "external domain."),
        # A single-tenant app used through /common (or /organizations): the error developers
        # report from the sign-in page and the token endpoint (flask-dance #180,
        # microsoftgraph/msgraph-sample-phpapp #199, UvA-FNWI/M365-IMAP #9, MicrosoftDocs/azure-docs
        # #19346). The date is part of Entra's text.
        _c(50194, "invalid_request", 400,
           "Application '{app_id}'({app_name}) is not configured as a multi-tenant application. "
           "Usage of the /common endpoint is not supported for such applications created after "
           "'10/15/2018'. Use a tenant-specific endpoint or configure the application to be "
           "multi-tenant."),
        # A ``claims`` request parameter that is not a JSON object of objects: the text a
        # public AADSTS reference quotes for 50117 (not in Microsoft's own error list).
        _c(50117, "invalid_request", 400,
           "Failed to deserialize policy specified in the request's claim parameter."),
        _c(9001023, "invalid_request", 400,
           "The grant type is not supported over the /common or /consumers endpoints. Please "
           "use the /organizations or tenant-specific endpoint."),
        _c(70008, "invalid_grant", 400,
           "The provided authorization code or refresh token has expired due to inactivity. "
           "Send a new interactive authorization request for this user and resource."),
        _c(54005, "invalid_grant", 400,
           "OAuth2 Authorization code was already redeemed, please retry with a new valid code "
           "or use an existing refresh token."),
        _c(70000, "invalid_grant", 400, "Provided grant is invalid or malformed."),
        _c(9002313, "invalid_grant", 400, "Invalid request. Request is malformed or invalid."),
        # A live refresh token redeemed by another app, or in another tenant
        # (mock_idp.protocol.redemption.issued has the reports).
        _c(700007, "invalid_grant", 400, "The grant was issued for a different client id."),
        _c(7000012, "invalid_grant", 400, "The grant was obtained for a different tenant."),
        # entra-docs' error-code reference: InvalidCodeChallengeMethodInvalidSize.
        _c(501491, "invalid_request", 400, "Invalid size of Code_Challenge parameter."),
        _c(501481, "invalid_grant", 400,
           "The Code_Verifier does not match the code_challenge supplied in the authorization "
           "request."),
        # The text of reports since 2020, with the reason last (microsoftgraph/
        # msgraph-sdk-python-core #49, seanfisher/passport-microsoft #6,
        # oauth2-proxy/oauth2-proxy #2158).
        _c(70011, "invalid_scope", 400,
           "The provided request must include a 'scope' input parameter. The provided value for "
           "the input parameter 'scope' is not valid. The scope {scope} is not valid. {reason}."),
        # A token request's scope naming two resources: MSAL.js and Microsoft.Identity.Web
        # report it (AzureAD/microsoft-authentication-library-for-js #1487,
        # Azure-Samples/active-directory-aspnetcore-webapp-openidconnect-v2 #271 "by design",
        # Earlybyte/aad_oauth #328); invalid_request, as its sibling 28003
        # (AzureAD/microsoft-authentication-library-for-python #125).
        _c(28000, "invalid_request", 400,
           "Provided value for the input parameter scope is not valid because it contains more "
           "than one resource. Scope {scope} is not valid."),
        _c(1002012, "invalid_scope", 400,
           "The provided value for scope {scope} is not valid. Client credential flows must "
           "have a scope value with /.default suffixed to the resource identifier (application "
           "ID URI)."),
        # ``response_mode=query`` with an ID token or access token in the response
        # (MicrosoftDocs/azure-docs #10191, 2018, ``code id_token`` at v1). The OAuth error
        # value is not reported; ``invalid_request`` as for the other malformed requests.
        _c(70007, "invalid_request", 400,
           "'{mode}' is not a supported value of 'response_mode' when requesting a token."),
        _c(900144, "invalid_request", 400,
           "The request body must contain the following parameter: '{name}'."),
        _c(90023, "invalid_request", 400, "Unsupported 'prompt' value."),
        _c(500121, "invalid_request", 400,
           "Authentication failed during strong authentication request."),
        # A parameter given twice, at authorize (its error page) and at the token endpoint:
        # Azure/azure-sdk-for-java #31733 (``scope`` at /token, 400 invalid_request),
        # AzureAD/microsoft-authentication-library-for-android #688 (``login_hint``),
        # anthropics/claude-code #43280 (``prompt`` at /authorize, shown on Entra's page).
        _c(9000411, "invalid_request", 400,
           "The request is not properly formatted. The parameter '{name}' is duplicated."),
        # A request whose parameters are too long, on Entra's page: ``state`` at authorize
        # (bitwarden/server #953), ``id_token_hint`` at logout (aspnet/Identity #2010).
        _c(90015, "invalid_request", 400, "Requested query string is too long."),
        _c(90014, "invalid_request", 400,
           "The required field '{name}' is missing from the credential. Ensure that you have "
           "all the necessary parameters for the login request."),
        _c(65001, "invalid_grant", 400,
           "The user or administrator has not consented to use the application with ID "
           "'{app_id}' named '{app_name}'. Send an interactive authorization request for this "
           "user and resource.", "consent_required"),
        _c(65004, "access_denied", 400, "User declined to consent to access the app."),
        # a permission the API does not expose (:mod:`mock_idp.protocol.exposed_scopes`)
        _c(650053, "invalid_client", 400,
           "The application '{app_name}' asked for scope '{scope}' that doesn't exist on the "
           "resource '{resource}'. Contact the app vendor."),
        # ``.default`` (or v1's ``resource``) of an API the app's registration does not list,
        # at sign-in (Azure/azure-cli #33887; ploomber/msal_streamlit_authentication #43;
        # microsoft/Agents #358): :func:`mock_idp.protocol.resources.check_default_listed`.
        _c(650057, "invalid_client", 400,
           "Invalid resource. The client has requested access to a resource which is not "
           "listed in the requested permissions in the client's application registration. "
           "Client app ID: {app_id}({app_name}). Resource value from request: {resource}. "
           "Resource app ID: {resource_id}. List of valid resources from app registration: "
           "{listed}."),
        # Consent only an administrator may give: "Need admin approval" (Entra's troubleshooting
        # article on consent errors; the page as reported in ms-identity-python-webapp #19).
        _c(90094, "access_denied", 400,
           "{app_name} needs permission to access resources in your organization that only an "
           "admin can grant. Please ask an admin to grant permission to this app before you can "
           "use it."),
        # On-behalf-of (protocol/on_behalf_of.py cites where each was reported).
        _c(50013, "invalid_grant", 400, "Assertion failed signature validation. [Reason - "
           "{reason}]"),
        _c(500133, "invalid_grant", 400,
           "Assertion is not within its valid time range. Ensure that the access token is not "
           "expired before using it for user assertion, or request a new token. Current time: "
           "{now}, expiry time of assertion {exp}."),
        _c(500131, "invalid_grant", 400,
           "Assertion audience does not match the Client app presenting the assertion. The "
           "audience in the assertion was '{aud}' and the expected audience is '{app_id}' or "
           "one of the Application Uris of this application with App ID '{app_id}'"
           "({app_name}). The downstream client must request a token for the expected audience "
           "(the application that made the OBO request) and this application should use that "
           "token as the assertion."),
        _c(90083, "invalid_grant", 400, "Request is unsupported."),
        _c(50058, "login_required", 400, "A silent sign-in request was sent but {who}."),
        # An API that requires assignment, asked for an app-only token by an app holding none
        # of its app roles: the protected web API's registration docs (``invalid_client``; the
        # HTTP status is not documented).
        _c(501051, "invalid_client", 400,
           "Application '{app_id}'({app_name}) is not assigned to a role for the application "
           "'{resource_id}'({resource_name})."),
        # The user is named as Entra masks them, not by their address: a captured /authorize
        # error redirect of 2020 (nais/device's apiserver app) reads '{EmailHidden}' here, as
        # AADSTS50034's message does (mock_idp.faults.responses.MASKED_USER).
        _c(50105, "interaction_required", 400,
           "The signed in user '{{EmailHidden}}' is not assigned to a role for the application "
           "'{app_id}'({app_name})."),
        _c(50057, "invalid_grant", 400, "The user account is disabled."),
        _c(50126, "invalid_grant", 400,
           "Error validating credentials due to invalid username or password."),
        # Smart lockout (MSAL Python #211 quotes it from a password-grant test run).
        _c(50053, "invalid_grant", 400,
           "The account is locked, you've tried to sign in too many times with an incorrect "
           "user ID or password."),
        _c(50173, "invalid_grant", 400,
           "The provided grant has expired due to it being revoked, a fresh auth token is "
           "needed. The user might have changed or reset their password. The grant was issued "
           "on '{issued}' and the TokensValidFrom date (before which tokens are not valid) for "
           "this user is '{valid_from}'.", "bad_token"),
        _c(700054, "unsupported_response_type", 400,
           "response_type 'id_token' is not enabled for the application."),
        _c(700051, "unsupported_response_type", 400,
           "response_type 'token' is not enabled for the application."),
        _c(50049, "invalid_instance", 400, "Unknown or invalid instance."),
        _c(9002326, "invalid_request", 400,
           "Cross-origin token redemption is permitted only for the 'Single-Page Application' "
           "client-type. Request origin: '{origin}'."),
        # Single-page apps' redemptions, as browsers and the tools that copy them report them
        # (MSAL.js issues #2458, #2482 and #6765; oauth2c #108; scalar #7424).
        _c(9002327, "invalid_request", 400,
           "Tokens issued for the 'Single-Page Application' client-type may only be redeemed "
           "via cross-origin requests."),
        _c(9002325, "invalid_request", 400,
           "Proof Key for Code Exchange is required for cross-origin authorization code "
           "redemption."),
        # With ``suberror: bad_token``, which MSAL.js reads as interaction required
        # (AzureAD/microsoft-authentication-library-for-js #4693, #7033).
        _c(700084, "invalid_grant", 400,
           "The refresh token was issued to a single page app (SPA), and therefore has a fixed, "
           "limited lifetime of 1.00:00:00, which cannot be extended. It is now expired and a "
           "new sign in request must be sent by the SPA to the sign in page. The token was "
           "issued on {issued}.", "bad_token"),
        # The parenthesis names the resource as requested (Azure-Samples/azure-search-openai-demo
        # #1534 and DuendeArchive/IdentityModel #528 show ``api://…`` there).
        _c(90009, "invalid_request", 400,
           "Application '{app_id}'({resource}) is requesting a token for itself. This scenario "
           "is supported only if resource is specified using the GUID based App Identifier."),
        # The OAuth error value beside 500014 is not reported; the mock uses 500011's.
        _c(500014, "invalid_resource", 400,
           "The service principal for resource '{resource}' is disabled. This indicate that a "
           "subscription within the tenant has lapsed, or that the administrator for this "
           "tenant has disabled the application, preventing tokens from being issued for it."),
        # A v1 implicit access token for no resource (MicrosoftDocs/azure-docs #67544 at v1
        # /authorize; a v1 code redeemed for none gets Azure AD Graph's instead:
        # claims.V1_DEFAULT). AADSTS50001 until about 2018 (laardee/serverless-authentication
        # #7 shows the whole body), AADSTS500013 since (damienbod/dotnet-template-angular #9,
        # xamarin/Xamarin.Auth #407).
        _c(500013, "invalid_resource", 400, "Resource identifier is not provided."),
        _c(500011, "invalid_resource", 400,
           "The resource principal named {resource} was not found in the tenant named "
           "{tenant}. This can happen if the application has not been installed by the "
           "administrator of the tenant or consented to by any user in the tenant. You might "
           "have sent your authentication request to the wrong tenant."),
        _c(70003, "unsupported_grant_type", 400,
           "The app requested an unsupported grant type '{grant_type}'."),
        _c(900561, "invalid_request", 400,
           "The endpoint only accepts {method} requests. Received a {received} request."),
        _c(90056, "invalid_request", 400,
           "BadRequest - The request body is not a valid form-encoded body or has the wrong "
           "content type."),
        _c(90033, "temporarily_unavailable", 503,
           "A transient error has occurred. Please try again."),
        _c(50000, "server_error", 500,
           "There was an error issuing a token or an issue with our sign-in service."),
        _c(50196, "temporarily_unavailable", 429,
           "The server terminated an operation because it encountered a client request loop."),
        _c(70016, "authorization_pending", 400,
           "The provided request has not yet been authorized by the user. The user must input "
           "their code."),
        _c(70018, "bad_verification_code", 400,
           "Invalid verification code: the code is not one this service issued, or it was "
           "already used."),
        _c(70019, "expired_token", 400,
           "Verification code expired. Have the user retry the sign-in."),
        _c(70020, "expired_token", 400,
           "The provided value for the input parameter 'device_code' is not valid. This device "
           "code has expired."),
        # A user of another tenant at a tenant's sign-in, reported on Entra's error page
        # (MicrosoftDocs/azure-docs #118443, OfficeDev/O365-ASPNETMVC-Start #42,
        # microsoft/PowerBI-CSharp #64); the page is all the user sees.
        _c(50020, "invalid_request", 400,
           "User account '{upn}' from identity provider '{idp}' does not exist in tenant "
           "'{tenant}' and cannot access the application '{app_id}'({app_name}) in that "
           "tenant. The account needs to be added as an external user in the tenant first. "
           "Sign out and sign in again with a different Azure Active Directory user account."),
        _c(50034, "invalid_grant", 400,
           "The user account {identifier} does not exist in the {tenant} directory. To sign "
           "into this application, the account must be added to the directory."),
        # Several signed-in accounts and ``prompt=none`` without a hint, as MSAL.js's SSO
        # guide quotes it (InteractionRequiredAuthError) and MSAL.js #1450 reports it.
        _c(16000, "interaction_required", 400,
           "Either multiple user identities are available for the current request or selected "
           "account is not supported for the scenario."),
        _c(50055, "user_password_expired", 400, "Password is expired.", "user_password_expired"),
        _c(50076, "invalid_grant", 400,
           "Due to a configuration change made by your administrator, or because you moved to a "
           "new location, you must use multi-factor authentication to access '{app_id}'.",
           "basic_action"),
        # A user who must use MFA and has no method registered: the On-Behalf-Of flow
        # reference's error example (``interaction_required``, with ``claims``). With
        # ``suberror: basic_action``, as the token endpoint's bodies posted since 2018 carry it
        # (Azure/azure-kusto-python #89; juunas11/aspnetcore2aadauth #6, beside ``claims``).
        _c(50079, "interaction_required", 400,
           "Due to a configuration change made by your administrator, or because you moved to a "
           "new location, you must enroll in multi-factor authentication to access '{app_id}'.",
           "basic_action"),
        # With ``suberror: bad_token``, as an msal-node log of 2026 shows it (an
        # InteractionRequiredAuthError, microsoft/foundry-dev-tools #707); bodies quoted in
        # 2019-2022 have none (Azure/azure-cli #14244). For 70008 and 70000 no report shows one.
        _c(700082, "invalid_grant", 400,
           "The refresh token has expired due to inactivity. The token was issued on {issued} "
           "and was inactive for 90.00:00:00.", "bad_token"),
    )
}

DEFAULT_PARAMS: dict[int, dict[str, str]] = {
    # With users signed in, none the one login_hint names: "none of the currently signed in
    # user(s) match the requested login hint", as MSAL.js users quote it (issue 1720).
    50058: {"who": "no user is signed in"},
}
"""What a message says where its raiser names nothing else."""
HINT_MATCHES_NO_ONE = "none of the currently signed in user(s) match the requested login hint"


class _SafeFormat(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass
class EntraError(Exception):
    """An AADSTS error raised anywhere in the provider and rendered by the endpoint's handler."""

    code: int
    params: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    status: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    text: str | None = None
    """The message instead of the catalogue's, where no Entra wording for the case is known."""

    def __post_init__(self) -> None:
        super().__init__(self.description_head)

    @property
    def entry(self) -> AadstsCode:
        fallback = AadstsCode(self.code, self.error or "invalid_request", self.status or 400,
                              f"An error occurred ({self.code}).")
        return CATALOGUE.get(self.code, fallback)

    @property
    def error_value(self) -> str:
        return self.error or self.entry.error

    @property
    def http_status(self) -> int:
        return self.status or self.entry.status

    @property
    def message(self) -> str:
        return (self.text or self.entry.message).format_map(_SafeFormat(
            {**DEFAULT_PARAMS.get(self.code, {}), **self.params}))

    @property
    def description_head(self) -> str:
        return f"AADSTS{self.code}: {self.message}"


@dataclass(frozen=True)
class ErrorContext:
    """What an error body needs besides the code: when, trace and correlation ids, host."""

    now: datetime
    base_url: str
    correlation_id: str | None = None
    trace_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def timestamp(self) -> str:
        return self.now.strftime("%Y-%m-%d %H:%M:%SZ")

    @property
    def correlation(self) -> str:
        return self.correlation_id or str(uuid.uuid4())


def error_body(err: EntraError, ctx: ErrorContext) -> dict[str, Any]:
    """Entra's JSON error body, members in the order Entra serves them."""
    correlation = ctx.correlation
    # Each of the tail's parts on a line of its own, after CR LF, as Entra's bodies have them
    # ("…\r\nTrace ID: …\r\nCorrelation ID: …\r\nTimestamp: …": the token-endpoint bodies
    # quoted in AzureAD/microsoft-authentication-library-for-python and azure-sdk issues, and
    # %0d%0a in the redirect's error_description): apps show the first line.
    description = (
        f"{err.description_head}\r\nTrace ID: {ctx.trace_id}\r\nCorrelation ID: {correlation}"
        f"\r\nTimestamp: {ctx.timestamp}"
    )
    body: dict[str, Any] = {
        "error": err.error_value,
        "error_description": description,
        "error_codes": [err.code],
        "timestamp": ctx.timestamp,
        "trace_id": ctx.trace_id,
        "correlation_id": correlation,
        "error_uri": f"{ctx.base_url}/error?code={err.code}",
    }
    if err.entry.suberror:
        body["suberror"] = err.entry.suberror
    body.update(err.extra)
    return body
