"""A plain sign-in right after a refused faulted one, as ``conformance`` makes after a REJECT
row: the refusal counts only when the app signs the same person in once the fault is gone. An
app that refuses every sign-in (python-social-auth's ``AzureADTenantOAuth2`` looks for a
``kid`` in the unsigned ID token of Entra's v1.0 token endpoint, social-core #723) would
otherwise pass every ID-token scenario for a reason that has nothing to do with the fault."""

from __future__ import annotations

from scenarios import ScenarioContext
from scenarios.flows import first_login_at_company
from scenarios.live import LiveStack

__all__ = ["expect_plain_sign_in_after"]


def expect_plain_sign_in_after(ctx: ScenarioContext[LiveStack], first_name: str = "alice"
                               ) -> None:
    """With every fault cleared, ``first_name`` (signed in at her company) follows the sign-in
    URL and lands on the app signed in; else the scenario fails, saying its refusal proved
    nothing."""
    stack = ctx.env
    person = stack.people[first_name]
    with ctx.step(f"a plain sign-in right after it, no fault armed, signs {first_name} in (a "
                  "refusal counts only from an app that signs people in)"):
        stack.clear_faults()
        if ctx.browser_log is not None:  # the failure page's reference, before it is left
            ctx.browser_log.finish()
        try:
            first_login_at_company(ctx.page, stack, person)
        except AssertionError as exc:
            raise AssertionError(
                "the app refused the faulted sign-in, but a plain sign-in right after it, no "
                f"fault armed, did not sign {person.upn} in either: its refusal says nothing "
                f"about the fault (conformance fails such a row the same way)\n{exc}") from exc
