"""How the steps of an exchange tie to earlier ones, by the values they carry: the state an
authorize request sent and the callback returned (in the same browser), the code the sign-in
issued, the callback carried and the token call redeemed, the nonce sent and the one in the ID
token, the session id in tokens and logout notifications. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from scenarios.protocol_view import names
from scenarios.protocol_view.model import Step, TokenView

__all__ = ["link"]


def _state_link(state: str, sent: Mapping[str, list[Step]], step: Step) -> str:
    """How a callback's ``state`` ties to the authorize request that sent it: one in the same
    browser matches; one another browser sent is named as that browser's."""
    requests = sent.get(state) or []
    if not requests:
        return "state was not sent by any authorize request seen"
    same = [a for a in requests
            if a.browser is None or step.browser is None or a.browser == step.browser]
    if same:
        return f"state matches the authorize request (step {same[0].n})"
    authorize = requests[0]
    return (f"state was sent by the authorize request of {authorize.browser_name} "
            f"(step {authorize.n}), not by this browser's")


def link(items: list[tuple[Step, list[tuple[str, str]]]]) -> list[Step]:
    """Each step with how it ties to earlier ones (state, code, nonce, sid); a state ties a
    callback to an authorize request of the same browser."""
    sent_state: dict[str, list[Step]] = {}
    sent_nonce: dict[str, int] = {}
    issued_code: dict[str, Step] = {}
    carried_code: dict[str, int] = {}
    session: dict[str, int] = {}
    out = []
    for step, location in items:
        params = dict(step.params)
        links: list[str] = list(step.links)  # what the step said of itself (no photo)
        if step.name == "authorize" or names.is_authorize(step.target_url):
            if "state" in params:
                sent_state.setdefault(params["state"], []).append(step)
            if "nonce" in params:
                sent_nonce.setdefault(params["nonce"], step.n)
        if step.name == "callback":
            state = params.get("state")
            if state is not None:
                links.append(_state_link(state, sent_state, step))
            code = params.get("code")
            issued = issued_code.get(code) if code else None
            if issued is not None:
                elsewhere = issued.browser is not None and step.browser is not None \
                    and issued.browser != step.browser
                links.append(f"code issued at step {issued.n}"
                             + (f" in {issued.browser_name}" if elsewhere else ""))
            if code:
                carried_code.setdefault(code, step.n)
        if step.name == "token" and params.get("code"):
            code = params["code"]
            if code in carried_code:
                links.append(f"redeems the code the callback carried (step {carried_code[code]})")
            elif code in issued_code:
                links.append(f"redeems the code issued at step {issued_code[code].n}")
        for token in step.tokens:
            links += _token_links(token, sent_nonce, session, step.n)
        for key, value in location:
            if key == "code":
                issued_code.setdefault(value, step)
        if step.name == "front-channel logout" and params.get("sid") in session:
            links.append(f"sid of the session signed in at step {session[params['sid']]}")
        out.append(replace(step, links=tuple(links)))
    return out


def _token_links(token: TokenView, sent_nonce: Mapping[str, int], session: dict[str, int],
                 n: int) -> list[str]:
    claims = dict(token.claims)
    links = []
    if token.name == "ID token" and "nonce" in claims:
        nonce = claims["nonce"].strip('"')
        if nonce in sent_nonce:
            links.append(f"ID token nonce matches the authorize request (step {sent_nonce[nonce]})")
        elif sent_nonce:
            steps = ", ".join(str(s) for s in sorted(set(sent_nonce.values())))
            links.append(f"ID token nonce is not the one sent (step {steps})")
    sid = claims.get("sid", "").strip('"')
    if sid and token.name == "ID token":
        session.setdefault(sid, n)
    elif sid and token.name == "logout token" and sid in session:
        links.append(f"logout token sid of the session signed in at step {session[sid]}")
    return links
