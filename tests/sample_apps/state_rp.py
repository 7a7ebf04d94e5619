"""A small relying party that keeps each sign-in's ``state`` on its server and takes it once,
served in-process (``asgi``). With ``BIND_STATE = "0"`` it does not check that the browser
bringing the state back is the one that started the sign-in: open to login CSRF (RFC 9700
§4.7), which only ``failure.state-other-browser`` catches; ``failure.state-tampered`` and
``failure.state-replayed`` pass against it either way. With ``FORM_POST = "1"`` it asks for
``response_mode=form_post`` and takes the answer the provider's page posts to its callback (its
cookie is then ``SameSite=None``, as ASP.NET Core's correlation cookie is, or the provider's
cross-site post would come without it). With ``ID_TOKEN = "1"`` it asks for an ID token alone
(``response_type=id_token``, posted: express-openid-connect's default) and makes no token
request; its profile lets the registration issue ID tokens (``id_token_issuance``). With
``CHECK_DATES = "1"`` it refuses an ID token not valid yet by its own clock (``nbf`` over five
minutes ahead, as passport-azure-ad's default clock skew allows). With ``REFUSE_ALL = "1"`` it
refuses every ID token on its failure page, as an app that checks it against a wrong issuer
does (next-auth v4 on ``/common``). Its home page ``/`` says who is signed in and never starts a
sign-in: a profile may tell who is signed in by it instead of ``/me`` (``signed_in_selector``).
With ``SIGN_IN_BUTTON`` set, ``/login`` is a page with a button of that name whose form posts
back to ``/login``, which then starts the sign-in (a "Sign in with Microsoft" page); with
``SIGN_IN_LINK = "1"`` too, a link of that name to ``/login?go=1``, which starts it. With
``RESTART = "1"`` a state it refuses sends the browser to ``/login`` again, no failure page (an
app after Microsoft's older MSAL Python web-app sample, which passes over the ``ValueError`` of a
state mismatch and redirects to its home page, whose sign-in starts by itself).

It checks nothing else of the sign-in (the ID token is read, not verified): it is here for
its ``state``.
"""

from __future__ import annotations

import html
import json
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import jwt
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from scenarios.ca_trust import public_trust

if TYPE_CHECKING:
    from scenarios.app.servers import AppLaunch

CONTACT = "help@state.example"
BROWSER_COOKIE = "browser"
SESSION_COOKIE = "session"


def state_profile(directory: Path, *, bind: bool, weak: bool = False,
                  form_post: bool = False, id_token: bool = False,
                  check_dates: bool = False, signed_in_selector: str | None = None,
                  button: str = "", control: str | None = None, link: bool = False,
                  restart: bool = False, protected: bool = False) -> Path:
    """A profile for this app, binding the state to the browser or not; ``weak``: the app
    asks only that the browser has some login cookie of its own, not the one issued with the
    state; ``form_post``: it asks for ``response_mode=form_post``; ``id_token``: for an ID
    token alone, posted; ``check_dates``: it refuses an ID token not valid yet;
    ``signed_in_selector``: who is signed in is told by the home page and this selector, not
    by ``/me`` (``#signed-in-as`` shows only while someone is, ``h1`` always); ``button``: the
    name of the button its sign-in page waits for a click on (a link, with ``link``),
    ``control``: the profile's ``[sign_in] control``; ``restart``: a refused state starts a
    new sign-in instead of the failure page; ``protected``: ``/account`` is a protected URL
    (without a session it redirects to ``/login``)."""
    mode = "weak" if weak else str(int(bind))
    form_post = form_post or id_token
    flow = "-id-token" if id_token else "-form-post" if form_post else ""
    by_page = "" if signed_in_selector is None else "-page-" + "".join(
        c for c in signed_in_selector if c.isalnum())
    clicked = (f"-{len(button)}-{len(control or '')}{'-link' if link else ''}"
               if button or control else "")
    path = directory / (f"state-{mode}{flow}{'-dated' if check_dates else ''}{by_page}"
                        f"{clicked}{'-restart' if restart else ''}"
                        f"{'-protected' if protected else ''}.toml")
    signed_in = ('me_url = "/me"' if signed_in_selector is None
                 else f'page = "/"\nselector = "{signed_in_selector}"')
    path.write_text(f"""\
name = "state app"

[app]
asgi = "sample_apps.state_rp:create"

[app.env]
OIDC_DISCOVERY_URL = "{{discovery_url}}"
OIDC_CLIENT_ID = "{{client_id}}"
OIDC_CLIENT_SECRET = "{{client_secret}}"
OIDC_REDIRECT_URI = "{{redirect_uri}}"
BIND_STATE = "{mode}"
FORM_POST = "{int(form_post)}"
ID_TOKEN = "{int(id_token)}"
CHECK_DATES = "{int(check_dates)}"
SIGN_IN_BUTTON = "{button}"
SIGN_IN_LINK = "{int(link)}"
RESTART = "{int(restart)}"

[provider]
redirect_uris = ["{{base_url}}/callback"]
id_token_issuance = {str(id_token).lower()}

[sign_in]
urls = {{ login = {{ url = "/login", lands_on = "/account" }} }}
{'protected_urls = ["/account"]' if protected else ""}
{"" if control is None else f"control = {json.dumps(control)}"}

[signed_in]
{signed_in}

[failure]
contact = "{CONTACT}"
text = "Sign-in failed"
""", encoding="utf-8")
    return path


def create(launch: AppLaunch) -> Starlette:
    env = launch.env
    bind = env.get("BIND_STATE", "1") != "0"
    weak = env.get("BIND_STATE") == "weak"
    id_token = env.get("ID_TOKEN") == "1"
    form_post = id_token or env.get("FORM_POST") == "1"
    check_dates = env.get("CHECK_DATES") == "1"
    refuse_all = env.get("REFUSE_ALL") == "1"
    button = env.get("SIGN_IN_BUTTON", "")
    link = env.get("SIGN_IN_LINK") == "1"
    restart = env.get("RESTART") == "1"
    metadata = httpx.get(env["OIDC_DISCOVERY_URL"], verify=public_trust(), timeout=5).json()
    pending: dict[str, str] = {}
    """state -> the browser (its cookie) that started the sign-in"""
    sessions: dict[str, str] = {}

    def failure(why: str) -> Response:
        return HTMLResponse(f"<h1>Sign-in failed</h1><p>{html.escape(why)}</p>"
                            f"<p>Contact {CONTACT}</p>", status_code=400)

    def login(request: Request) -> Response:
        if button and link and "go" not in request.query_params:
            return HTMLResponse(f'<h1>Welcome</h1><a href="/login?go=1">{html.escape(button)}</a>')
        if button and not link and request.method != "POST":
            return HTMLResponse(f'<h1>Welcome</h1><form method="post" action="/login">'
                                f"<button>{html.escape(button)}</button></form>")
        state = secrets.token_urlsafe(16)
        browser = request.cookies.get(BROWSER_COOKIE) or secrets.token_urlsafe(16)
        pending[state] = browser
        query = {"client_id": env["OIDC_CLIENT_ID"],
                 "response_type": "id_token" if id_token else "code",
                 "redirect_uri": env["OIDC_REDIRECT_URI"], "scope": "openid profile email",
                 "state": state, "nonce": secrets.token_urlsafe(16)}
        if form_post:
            query["response_mode"] = "form_post"
        answer = RedirectResponse(str(httpx.URL(metadata["authorization_endpoint"],
                                                params=query)), status_code=302)
        # The provider's form_post is a cross-site post, which carries only SameSite=None
        # cookies; those must be Secure (Chromium takes them from http://127.0.0.1). ASP.NET
        # Core's correlation cookie is SameSite=None for that (learn.microsoft.com/dotnet/api/
        # microsoft.aspnetcore.authentication.remoteauthenticationoptions.correlationcookie).
        answer.set_cookie(BROWSER_COOKIE, browser, httponly=True, secure=form_post,
                          samesite="none" if form_post else "lax")
        return answer

    async def callback(request: Request) -> Response:
        if form_post and request.method != "POST":
            return HTMLResponse("<h1>Method not allowed</h1>", status_code=405)
        sent = ({k: str(v) for k, v in (await request.form()).items()} if form_post
                else dict(request.query_params))
        # the code exchange blocks: off the event loop, as a sync endpoint would run
        return await run_in_threadpool(signed_in, sent, request.cookies.get(BROWSER_COOKIE))

    def signed_in(sent: dict[str, str], cookie: str | None) -> Response:
        browser = pending.pop(sent.get("state", ""), None)
        if browser is None:
            return RedirectResponse("/login", status_code=302) if restart else failure(
                "unknown state")
        if weak and cookie is None:
            return failure("this browser started no sign-in")
        if bind and not weak and browser != cookie:
            return failure("this sign-in was started in another browser")
        if id_token:
            return session_for(sent.get("id_token", ""))
        redeemed = httpx.post(metadata["token_endpoint"], verify=public_trust(), timeout=5, data={
            "grant_type": "authorization_code", "code": sent.get("code", ""),
            "redirect_uri": env["OIDC_REDIRECT_URI"], "client_id": env["OIDC_CLIENT_ID"],
            "client_secret": env["OIDC_CLIENT_SECRET"]})
        if not redeemed.is_success:
            return failure("the code was refused")
        return session_for(redeemed.json()["id_token"])

    def session_for(token: str) -> Response:
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.InvalidTokenError:
            return failure("no ID token")
        if refuse_all:
            return failure("the ID token's issuer is not the one expected")
        if check_dates and float(claims.get("nbf", 0)) > time.time() + 300:
            return failure("the ID token is not valid yet")
        session = secrets.token_urlsafe(16)
        sessions[session] = str(claims.get("preferred_username", ""))
        answer = RedirectResponse("/account", status_code=302)
        answer.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="lax")
        return answer

    def account(request: Request) -> Response:
        who = sessions.get(request.cookies.get(SESSION_COOKIE, ""))
        if who is None:
            return RedirectResponse("/login", status_code=302)
        return HTMLResponse(f"<h1>Account</h1><p>Signed in as {html.escape(who)}</p>")

    def home(request: Request) -> Response:
        who = sessions.get(request.cookies.get(SESSION_COOKIE, ""))
        shown = ("<p>Not signed in.</p>" if who is None
                 else f'<p id="signed-in-as">Signed in as {html.escape(who)}</p>')
        return HTMLResponse(f"<h1>State app</h1>{shown}")

    def me(request: Request) -> Response:
        who = sessions.get(request.cookies.get(SESSION_COOKIE, ""))
        if who is None:
            return JSONResponse({"error": "not signed in"}, status_code=401)
        return JSONResponse({"email": who})

    return Starlette(routes=[Route("/", home), Route("/login", login, methods=["GET", "POST"]),
                             Route("/callback", callback, methods=["GET", "POST"]),
                             Route("/account", account), Route("/me", me)])
