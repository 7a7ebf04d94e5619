"""A partner app's free trial: the customer chooses it while installing, it starts once the app
approves the installation (``app.trial_started``), it can be extended (``app.trial_extended``),
and it ends (``app.trial_ended``: expired, uninstalled or upgraded;
docs.talkdesk.com/reference/apptrial_started, …/apptrial_ended). The platform itself restricts
the users' access once a trial expires (docs.talkdesk.com/docs/managing-trials-and-user-roles):
what it asks of the app is to take each event, answering 2xx.
"""

from __future__ import annotations

from scenarios import ScenarioContext, scenario
from scenarios.catalogue.partner_events import (
    APPS_API_STATE,
    acknowledged,
    delivered,
    installed_partner,
)
from scenarios.live import LiveStack

Ctx = ScenarioContext[LiveStack]
TRIAL_DAYS = 30


@scenario(
    id="partner.trial",
    title="A trial: app.trial_started after the approval, then extended, then ended",
    proves="The platform installs the app with a 30-day trial; once the app has approved the "
    "installation the platform sends app.trial_started, and the app accepts it, as it accepts "
    "the trial's extension (app.trial_extended) and its end (app.trial_ended, expired)",
    tags={"partner"},
    needs={"partner"},
)
def trial(ctx: Ctx) -> None:
    stack = ctx.env
    with ctx.step("the platform installs the app with a 30-day trial: the app accepts it"):
        installed = installed_partner(stack, trial_days=TRIAL_DAYS)
        installation_id = str(installed["installation"]["installation_id"])
    with ctx.step("the app approves the installation; it accepts app.trial_started"):
        acknowledged(stack, installation_id, "approval", "completed",
                     f"approve its installation (POST {APPS_API_STATE} with "
                     '{"state": "approve"})')
        started = delivered(stack, "app.trial_started", installation_id)
        assert started["data"]["expires_at"], started
    trial_url = stack.idp_url(f"/_mock/installations/{installation_id}/trial")
    for action, body in (("extends", {"action": "extend", "days": 14}),
                         ("ends", {"action": "end", "reason": "trial_expired"})):
        event_type = "app.trial_extended" if body["action"] == "extend" else "app.trial_ended"
        with ctx.step(f"the platform {action} the trial: the app accepts {event_type}"):
            answer = stack.http.post(trial_url, json=body)
            assert answer.status_code == 200, f"the mock did not send {event_type}: {answer.text}"
            delivered(stack, event_type, installation_id)
