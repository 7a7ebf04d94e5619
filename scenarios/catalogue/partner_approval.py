"""The partner app's answer to its installation: Talkdesk's app confirms an installation through
the Apps API, and one nobody confirms times out after seven days (docs.talkdesk.com/docs/
app-enablement; the partner-sso.md reference, b.8). The rotated credentials' acknowledgement
is part of ``lifecycle.credentials-rotated``.
"""

from __future__ import annotations

from scenarios import ScenarioContext, scenario
from scenarios.catalogue.partner_events import APPS_API_STATE, acknowledged, installed_partner
from scenarios.live import LiveStack

Ctx = ScenarioContext[LiveStack]


@scenario(
    id="partner.installation-approved",
    title="app.installed: the app approves the installation through the platform's Apps API",
    proves="The platform installs the app; once it has accepted app.installed, the app approves "
    "the installation with a client-credentials token of the installation (an installation "
    "nobody approves times out on the platform after seven days), and the installation's "
    "credentials go on working",
    tags={"partner"},
    needs={"partner"},
)
def installation_approved(ctx: Ctx) -> None:
    stack = ctx.env
    with ctx.step("the platform installs the app: the app accepts the signed app.installed"):
        installed = installed_partner(stack)
        installation_id = str(installed["installation"]["installation_id"])
    with ctx.step("the app approves the installation through the Apps API"):
        approved = acknowledged(stack, installation_id, "approval", "completed",
                                f"approve its installation (POST {APPS_API_STATE} with "
                                '{"state": "approve"})')
        assert approved["state"] == "installed", f"the installation ended: {approved['state']}"
    with ctx.step("the installation's credentials still work at the provider"):
        response = stack.http.post(stack.idp_url(f"/{stack.tenant_id}/oauth2/v2.0/token"), data={
            "grant_type": "client_credentials", "client_id": approved["client_id"],
            "client_secret": approved["client_secret"],
            "scope": "https://graph.microsoft.com/.default"})
        assert response.status_code == 200, f"the provider refused them: {response.text}"
