"""An app profile: what the scenarios need to know about an app under test, read from TOML.

:func:`load_profile` reads and checks a profile and returns an :class:`AppProfile` (frozen
dataclasses all the way down). Every key is known and typed; a profile with problems raises
:class:`~scenarios.app.validation.ProfileError` listing each one with its key path and
``file:line``. The README's "Testing your own app" section documents every key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from scenarios.app.capabilities import capabilities_of
from scenarios.app.templating import APP_VARIABLES, PROVIDER_VARIABLES, check_template
from scenarios.app.validation import LineIndex, Problem, ProfileError, Reader, Table

__all__ = [
    "END_SESSION_PARAMS",
    "FAILURE_KINDS",
    "ME_FIELDS",
    "AppProfile",
    "AppSection",
    "FailureExpectation",
    "FailureSection",
    "HttpCall",
    "JsonValue",
    "PartnerSection",
    "ProviderSection",
    "SecretStatus",
    "SignInSection",
    "SignInUrl",
    "SignOutSection",
    "SignedInSection",
    "AdminSection",
    "load_profile",
    "parse_profile",
]

JsonValue = str | int | float | bool | list["JsonValue"] | dict[str, "JsonValue"]

FAILURE_KINDS: Mapping[str, str] = {
    "expired-secret": "the client secret has expired (AADSTS7000222 at the token endpoint)",
    "invalid-secret": "the app holds a wrong client secret (AADSTS7000215)",
    "user-not-assigned": "the user is not assigned to the app (AADSTS50105 sent to the app)",
    "user-cancels": "the user cancelled on the provider's sign-in page (access_denied)",
    "idp-down": "the token endpoint drops the connection",
    "idp-down-keys": "the provider's key set (JWKS) is down",
    "idp-slow": "the token endpoint answers after the app's timeout",
    "bad-signature": "an ID token whose signature does not verify",
    "wrong-issuer": "an ID token from another issuer",
    "wrong-audience": "an ID token issued to another client",
    "nonce-mismatch": "an ID token whose nonce is not the one the sign-in sent",
    "expired-id-token": "an ID token that expired an hour ago",
    "missing-sub": "an ID token without a sub claim",
    "userinfo-sub-mismatch": "a UserInfo response about another subject than the ID token",
    "state-tampered": "a callback whose state was altered",
    "state-replayed": "a callback URL opened a second time",
    "unknown-installation": "a launch for an installation the app never received",
    "duplicate-email": "a second identity with an e-mail address already in use",
    "connection-disabled": "a sign-in while the administrator has switched SSO off",
}

ME_FIELDS: Mapping[str, str] = {
    "email": "the signed-in user's e-mail address (the mock's users: their UPN)",
    "name": "the user's display name",
    "user_id": "the platform user id (the user's object id at the provider), partner sign-ins",
    "installation_id": "the installation the partner sign-in came through",
}

END_SESSION_PARAMS = ("id_token_hint", "post_logout_redirect_uri", "state", "client_id",
                      "logout_hint")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PERSON_VARIABLES = ("name", "upn", "email")
BUILTIN_VARIABLES = frozenset(APP_VARIABLES) | frozenset(PROVIDER_VARIABLES)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CAPTURE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_URL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_DOTTED_PATH = re.compile(r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")
_Check = Callable[[str], str | None]


# -- the sections ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class HttpCall:
    """An HTTP request the harness makes to the app (configure, renew, read a log...)."""

    method: str
    url: str
    """A template: a path (joined to the app's base URL) or an absolute URL."""
    headers: Mapping[str, str] = field(default_factory=dict)
    json: JsonValue | None = None
    """A JSON body; every string in it is a template."""
    form: Mapping[str, str] | None = None
    """A form-encoded body (templates)."""
    expect_status: tuple[int, ...] = ()
    """Statuses that count as success; empty: any 2xx."""
    capture: Mapping[str, str] = field(default_factory=dict)
    """New template names, each taken from the JSON response at a dotted path (``id``,
    ``data.id``, ``items.0.id``)."""


@dataclass(frozen=True, kw_only=True)
class AppSection:
    """How to reach the app: a running ``base_url``, a ``command`` or an in-process ``asgi``
    factory."""

    base_url: str
    """A template; ``{port}`` makes the harness pick a free port."""
    command: str | tuple[str, ...] | None = None
    """A shell command line (string) or an argument list, started in its own process group."""
    asgi: str | None = None
    """``module:function`` called with a :class:`~scenarios.app.servers.AppLaunch`, returning
    an ASGI app that the harness serves in-process."""
    ready_url: str = "{base_url}"
    timeout: float = 30.0
    """Seconds to wait for ``ready_url`` to answer."""
    reuse_existing: bool = False
    """Use the app already answering ``ready_url`` instead of starting one (and leave it
    running)."""
    cwd: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    shared_clock: bool = False
    """``asgi`` only: the app reads the mock provider's clock (``clock = "shared"``)."""

    @property
    def mode(self) -> str:
        return "asgi" if self.asgi else "command" if self.command is not None else "running"

    @property
    def picks_port(self) -> bool:
        return "{port}" in self.base_url


@dataclass(frozen=True, kw_only=True)
class ProviderSection:
    """How the harness registers the app at the mock provider."""

    redirect_uris: tuple[str, ...]
    post_logout_redirect_uri: str | None = None
    secret_lifetime: timedelta = timedelta(days=180)


@dataclass(frozen=True, kw_only=True)
class SignInUrl:
    name: str
    url: str
    lands_on: str | None = None
    """The path the browser ends on once signed in (checked when given)."""


@dataclass(frozen=True, kw_only=True)
class SignInSection:
    urls: tuple[SignInUrl, ...] = ()
    protected_urls: tuple[str, ...] = ()
    """Pages that start SSO by themselves when nobody is signed in, and show themselves once
    someone is."""

    def url(self, name: str) -> SignInUrl | None:
        return next((u for u in self.urls if u.name == name), None)


@dataclass(frozen=True, kw_only=True)
class SignedInSection:
    me_url: str | None = None
    """2xx while signed in; 401, 403 or a redirect when not."""
    page: str | None = None
    """A page that shows ``text``/``selector`` when signed in and never starts SSO itself."""
    text: str | None = None
    """Visible on a signed-in page; may name ``{name}``, ``{upn}``, ``{email}``."""
    selector: str | None = None
    """A CSS selector visible on a signed-in page (holding ``text`` when both are given)."""
    me_json: Mapping[str, str] = field(default_factory=dict)
    """Which dotted path of the ``me_url`` JSON holds each of :data:`ME_FIELDS`."""


@dataclass(frozen=True, kw_only=True)
class FailureExpectation:
    """What else the failure page (and the app's error log) shows for one failure kind."""

    texts: tuple[str, ...] = ()
    contact: str | None = None
    logged: Mapping[str, str] = field(default_factory=dict)
    """Error-log JSON path -> the value it must have."""
    logged_contains: Mapping[str, str] = field(default_factory=dict)
    """Error-log JSON path -> text its value must contain."""


@dataclass(frozen=True, kw_only=True)
class FailureSection:
    contact: str
    text: str | None = None
    reference: re.Pattern[str] | None = None
    error_status: bool = False
    shows_idp_code: bool = False
    provider_timeout: float | None = None
    error_log: HttpCall | None = None
    expect: Mapping[str, FailureExpectation] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class PartnerSection:
    events_url: str
    launch_url: str
    lands_on: str | None = None
    passes_login_hint: bool = False
    installations: HttpCall | None = None


@dataclass(frozen=True, kw_only=True)
class SignOutSection:
    url: str | None = None
    control: str | None = None
    lands_on: str | None = None
    text: str | None = None
    end_session_params: tuple[str, ...] = ()
    backchannel_uri: str | None = None
    frontchannel_uri: str | None = None


@dataclass(frozen=True, kw_only=True)
class SecretStatus:
    """A JSON view of the app's client-secret health (needs a shared clock to be truthful)."""

    call: HttpCall
    expired: str
    """Dotted path of a boolean: the app considers its secret expired."""


@dataclass(frozen=True, kw_only=True)
class AdminSection:
    renew_secret: tuple[HttpCall, ...] = ()
    disable_sso: tuple[HttpCall, ...] = ()
    enable_sso: tuple[HttpCall, ...] = ()
    secret_status: SecretStatus | None = None


@dataclass(frozen=True, kw_only=True)
class AppProfile:
    """One app under test. Build it with :func:`load_profile`."""

    name: str
    path: Path | None
    app: AppSection
    provider: ProviderSection
    configure: tuple[HttpCall, ...] = ()
    sign_in: SignInSection = field(default_factory=SignInSection)
    signed_in: SignedInSection = field(default_factory=SignedInSection)
    failure: FailureSection | None = None
    partner: PartnerSection | None = None
    sign_out: SignOutSection = field(default_factory=SignOutSection)
    admin: AdminSection = field(default_factory=AdminSection)

    @property
    def captures(self) -> tuple[str, ...]:
        return tuple(name for call in self.configure for name in call.capture)

    @property
    def capabilities(self) -> frozenset[str]:
        return capabilities_of(self)

    def expectation(self, kind: str) -> FailureExpectation:
        if self.failure is None:
            return FailureExpectation()
        return self.failure.expect.get(kind, FailureExpectation())


# -- reading -----------------------------------------------------------------------------------


def load_profile(path: Path | str) -> AppProfile:
    """Read and check a profile file; relative paths in it are relative to its directory."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError([Problem("", f"cannot read the profile: {exc.strerror}", path)]
                           ) from None
    except UnicodeDecodeError:
        raise ProfileError([Problem("", "the profile is not UTF-8 text", path)]) from None
    return parse_profile(text, path=path)


def parse_profile(text: str, *, path: Path | None = None) -> AppProfile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError([Problem("", f"not valid TOML: {exc}", path)]) from None
    reader = Reader(file=path, lines=LineIndex(text))
    profile = _profile(reader.table(data), path)
    if reader.problems or profile is None:
        raise ProfileError(reader.problems or [Problem("", "the profile is incomplete", path)])
    return profile


def _url_check(allowed: frozenset[str] | set[str]) -> _Check:
    def check(value: str) -> str | None:
        if (message := check_template(value, allowed)) is not None:
            return message
        if not value.startswith(("/", "{", "http://", "https://")):
            return "must be a path starting with / or an http(s) URL"
        return None

    return check


def _template_check(allowed: frozenset[str] | set[str]) -> _Check:
    return lambda value: check_template(value, allowed)


def _profile(root: Table, path: Path | None) -> AppProfile | None:
    name = root.string("name") or (path.stem if path is not None else "app")
    app = _app(root, path)
    provider = _provider(root)
    configure = tuple(_calls(root, "configure", BUILTIN_VARIABLES, default_method="POST",
                             capturing=True))
    everything = BUILTIN_VARIABLES | {n for call in configure for n in call.capture}
    sign_in = _sign_in(root, everything)
    signed_in = _signed_in(root, everything)
    failure = _failure(root, everything)
    partner = _partner(root, everything)
    sign_out = _sign_out(root, everything)
    admin = _admin(root, everything, app)
    root.done()
    if app is None or provider is None:
        return None
    profile = AppProfile(
        name=name, path=path, app=app, provider=provider, configure=configure, sign_in=sign_in,
        signed_in=signed_in, failure=failure, partner=partner, sign_out=sign_out, admin=admin,
    )
    written = root.data.get("sign_in")
    if not (isinstance(written, dict) and {"urls", "protected_urls"} & set(written)) and (
            "partner" not in root.data):
        root.problem(None, "the app has no way in: give [sign_in] urls or protected_urls, "
                     "or a [partner] section")
    return profile


def _app(root: Table, path: Path | None) -> AppSection | None:
    table = root.table("app")
    if table is None:
        root.problem("app", "is required ([app] with base_url, command or asgi)")
        return None
    start_vars = set(APP_VARIABLES) | set(PROVIDER_VARIABLES)
    command: str | tuple[str, ...] | None = None
    raw_command = table.raw("command")
    if isinstance(raw_command, str) and raw_command.strip():
        command = raw_command
    elif isinstance(raw_command, list) and raw_command and all(
            isinstance(a, str) for a in raw_command):
        command = tuple(raw_command)
    elif raw_command is not None:
        table.problem("command", "must be a command line (string) or a non-empty list of "
                      "strings")
    for index, part in enumerate((command,) if isinstance(command, str) else command or ()):
        if (message := check_template(part, start_vars)) is not None:
            table.reader.problem((*table.where("command"), str(index)), message)
    asgi = table.string("asgi", check=lambda v: None if re.fullmatch(
        r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", v) else "must be module:function")
    if command is not None and asgi is not None:
        table.problem("asgi", "give command or asgi, not both")
    started = command is not None or asgi is not None
    base_url = table.string("base_url", required=not started, check=_base_url_check(started))
    if base_url is None:
        base_url = "http://127.0.0.1:{port}"
    ready_url = table.string("ready_url", check=_url_check(set(APP_VARIABLES))) or "{base_url}"
    timeout = table.number("timeout", minimum=0.5, maximum=600)
    reuse = table.flag("reuse_existing")
    cwd_text = table.string("cwd")
    if cwd_text is not None and command is None:
        table.problem("cwd", "only applies to command")
    base_dir = path.parent if path is not None else Path.cwd()
    cwd = (base_dir / cwd_text) if cwd_text else (base_dir if command is not None else None)
    if cwd is not None and cwd_text and not cwd.is_dir():
        table.problem("cwd", f"{cwd} is not a directory")
    env = table.str_map("env", check=_template_check(start_vars))
    for key in env:
        if not _ENV_NAME.match(key):
            table.reader.problem((*table.where("env"), key), "is not an environment variable "
                                 "name")
    if env and not started:
        table.problem("env", "only applies when the harness starts the app (command or asgi)")
    clock = table.choice("clock", ("system", "shared"), "system")
    if clock == "shared" and asgi is None:
        table.problem("clock", "\"shared\" needs an in-process app (asgi): a separate process "
                      "cannot read the mock provider's clock")
    table.done()
    return AppSection(
        base_url=base_url, command=command, asgi=asgi, ready_url=ready_url,
        timeout=timeout if timeout is not None else 30.0, reuse_existing=reuse, cwd=cwd,
        env=env, shared_clock=clock == "shared",
    )


def _base_url_check(started: bool) -> _Check:
    def check(value: str) -> str | None:
        if (message := check_template(value, {"port"})) is not None:
            return message
        if not value.startswith(("http://", "https://")):
            return "must be an http(s) URL"
        if "{port}" in value and not started:
            return "{port} is only for apps the harness starts (command or asgi)"
        host = re.sub(r"^https?://", "", value).split("/")[0].rsplit(":", 1)[0]
        if host == "localhost":
            return ("use 127.0.0.1, not localhost: the mock provider is served as localhost and "
                    "the browser would mix the two sites' cookies")
        if value.rstrip("/") != value:
            return "must not end with /"
        return None

    return check


def _provider(root: Table) -> ProviderSection | None:
    table = root.table("provider")
    if table is None:
        root.problem("provider", "is required ([provider] with redirect_uris)")
        return None
    allowed = {"base_url", "port"}
    uris = table.str_list("redirect_uris", one_ok=True, check=_url_check(allowed))
    if not uris and not table.has("redirect_uris"):
        table.problem("redirect_uris", "is required: the app's redirect URI(s), e.g. "
                      "\"{base_url}/auth/callback\"")
    post_logout = table.string("post_logout_redirect_uri", check=_url_check(allowed))
    days = table.number("secret_lifetime_days", minimum=1, maximum=730)
    table.done()
    return ProviderSection(
        redirect_uris=uris, post_logout_redirect_uri=post_logout,
        secret_lifetime=timedelta(days=days if days is not None else 180),
    )


def _json(table: Table, value: object, path: tuple[str, ...],
          allowed: frozenset[str] | set[str]) -> JsonValue | None:
    if isinstance(value, str):
        if (message := check_template(value, allowed)) is not None:
            table.reader.problem(path, message)
        return value
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, list):
        items = [_json(table, v, (*path, str(i)), allowed) for i, v in enumerate(value)]
        return [i for i in items if i is not None]
    if isinstance(value, dict):
        out: dict[str, JsonValue] = {}
        for k, v in value.items():
            item = _json(table, v, (*path, k), allowed)
            if item is not None:
                out[k] = item
        return out
    table.reader.problem(path, f"cannot be sent as JSON ({type(value).__name__})")
    return None


def _call(table: Table, allowed: frozenset[str] | set[str], *, default_method: str,
          capturing: bool = False) -> HttpCall | None:
    method = table.choice("method", METHODS, default_method)
    url = table.string("url", required=True, check=_url_check(allowed))
    headers = table.str_map("headers", check=_template_check(allowed))
    body: JsonValue | None = None
    if table.has("json"):
        body = _json(table, table.data["json"], table.where("json"), allowed)
    form = table.str_map("form", check=_template_check(allowed)) if table.has("form") else None
    if body is not None and form is not None:
        table.problem("form", "give json or form, not both")
    statuses: tuple[int, ...] = ()
    raw = table.raw("expect_status")
    if raw is not None:
        values = raw if isinstance(raw, list) else [raw]
        if not all(isinstance(v, int) and not isinstance(v, bool) and 100 <= v <= 599
                   for v in values):
            table.problem("expect_status", "must be an HTTP status or a list of them")
        else:
            statuses = tuple(int(v) for v in values)  # type: ignore[arg-type]
    capture: dict[str, str] = {}
    if capturing:
        capture = table.str_map("capture", check=lambda v: None if _DOTTED_PATH.match(v)
                                else "must be a dotted path into the JSON response, e.g. id")
        for name in list(capture):
            if not _CAPTURE_NAME.match(name) or name in BUILTIN_VARIABLES:
                table.reader.problem((*table.where("capture"), name),
                                     "must be a new lowercase name (not a built-in one)")
                del capture[name]
    table.done()
    if url is None:
        return None
    return HttpCall(method=method, url=url, headers=headers, json=body, form=form,
                    expect_status=statuses, capture=capture)


def _calls(root: Table, key: str, allowed: frozenset[str] | set[str], *, default_method: str,
           capturing: bool = False) -> list[HttpCall]:
    calls: list[HttpCall] = []
    names = set(allowed)
    for table in root.tables(key):
        call = _call(table, names, default_method=default_method, capturing=capturing)
        if call is not None:
            calls.append(call)
            names |= set(call.capture)
    return calls


def _one_call(root: Table, key: str, allowed: frozenset[str] | set[str], *,
              default_method: str = "GET") -> HttpCall | None:
    table = root.table(key)
    return _call(table, allowed, default_method=default_method) if table is not None else None


def _sign_in(root: Table, allowed: frozenset[str]) -> SignInSection:
    table = root.table("sign_in")
    if table is None:
        return SignInSection()
    urls: list[SignInUrl] = []
    urls_table = table.table("urls")
    if urls_table is not None:
        for name, value in urls_table.data.items():
            urls_table.has(name)
            if not _URL_NAME.match(name):
                urls_table.problem(name, "a sign-in URL's name is lowercase letters, digits, "
                                   "- and _")
            if isinstance(value, str):
                if (message := _url_check(allowed)(value)) is not None:
                    urls_table.problem(name, message)
                else:
                    urls.append(SignInUrl(name=name, url=value))
            elif isinstance(value, dict):
                entry = Table(urls_table.reader, value, urls_table.where(name))
                url = entry.string("url", required=True, check=_url_check(allowed))
                lands_on = entry.string("lands_on", check=_path_check)
                entry.done()
                if url is not None:
                    urls.append(SignInUrl(name=name, url=url, lands_on=lands_on))
            else:
                urls_table.problem(name, "must be a URL template or a table {url, lands_on}")
    protected = table.str_list("protected_urls", one_ok=True, check=_url_check(allowed))
    table.done()
    return SignInSection(urls=tuple(urls), protected_urls=protected)


def _path_check(value: str) -> str | None:
    return None if value.startswith("/") and "{" not in value else "must be a path such as /home"


def _signed_in(root: Table, allowed: frozenset[str]) -> SignedInSection:
    table = root.table("signed_in")
    if table is None:
        root.problem("signed_in", "is required: give me_url and/or text or selector")
        return SignedInSection()
    me_url = table.string("me_url", check=_url_check(allowed))
    page = table.string("page", check=_url_check(allowed))
    text = table.string("text", check=_template_check(set(PERSON_VARIABLES)))
    selector = table.string("selector")
    me_json = table.str_map("me_json", check=lambda v: None if _DOTTED_PATH.match(v)
                            else "must be a dotted path into the me_url JSON, e.g. user.email")
    for key in me_json:
        if key not in ME_FIELDS:
            table.reader.problem((*table.where("me_json"), key),
                                 f"unknown field (known: {', '.join(ME_FIELDS)})")
    if me_json and me_url is None:
        table.problem("me_json", "needs me_url")
    if not any(k in table.data for k in ("me_url", "text", "selector")):
        table.problem(None, "give me_url and/or text or selector, so the harness can tell who "
                      "is signed in")
    if page is not None and not any(k in table.data for k in ("text", "selector")):
        table.problem("page", "needs text or selector to look for")
    table.done()
    return SignedInSection(me_url=me_url, page=page, text=text, selector=selector,
                           me_json={k: v for k, v in me_json.items() if k in ME_FIELDS})


def _regex_check(value: str) -> str | None:
    try:
        pattern = re.compile(value)
    except re.error as exc:
        return f"is not a regular expression: {exc}"
    return None if pattern.groups <= 1 else "may have at most one (capturing) group"


def _failure(root: Table, allowed: frozenset[str]) -> FailureSection | None:
    table = root.table("failure")
    if table is None:
        return None
    contact = table.string("contact", required=True)
    text = table.string("text")
    reference = table.string("reference", check=_regex_check)
    error_status = table.flag("error_status")
    shows_idp_code = table.flag("shows_idp_code")
    timeout = table.number("provider_timeout", minimum=0.1, maximum=60)
    error_log = _one_call(table, "error_log", allowed | {"reference"})
    if error_log is not None and reference is None:
        table.problem("error_log", "needs reference (the regex that finds the error reference "
                      "on the failure page)")
    expect: dict[str, FailureExpectation] = {}
    expect_table = table.table("expect")
    if expect_table is not None:
        for kind, value in expect_table.data.items():
            expect_table.has(kind)
            if kind not in FAILURE_KINDS:
                expect_table.problem(kind, f"unknown failure kind (known: "
                                     f"{', '.join(FAILURE_KINDS)})")
                continue
            if not isinstance(value, dict):
                expect_table.problem(kind, "must be a table")
                continue
            entry = Table(expect_table.reader, value, expect_table.where(kind))
            texts = entry.str_list("texts", one_ok=True, check=_template_check(allowed))
            kind_contact = entry.string("contact")
            logged = entry.str_map("logged")
            contains = entry.str_map("logged_contains")
            for key in (*logged, *contains):
                if not _DOTTED_PATH.match(key):
                    entry.problem(key, "must be a dotted path into the error-log JSON")
            if (logged or contains) and error_log is None:
                entry.problem("logged" if logged else "logged_contains",
                              "needs [failure] error_log")
            entry.done()
            expect[kind] = FailureExpectation(texts=texts, contact=kind_contact, logged=logged,
                                              logged_contains=contains)
    table.done()
    if contact is None:
        return None
    return FailureSection(
        contact=contact, text=text, reference=re.compile(reference) if reference else None,
        error_status=error_status, shows_idp_code=shows_idp_code, provider_timeout=timeout,
        error_log=error_log, expect=expect,
    )


def _partner(root: Table, allowed: frozenset[str]) -> PartnerSection | None:
    table = root.table("partner")
    if table is None:
        return None
    events_url = table.string("events_url", required=True, check=_url_check(allowed))
    launch_url = table.string("launch_url", required=True,
                           check=_url_check(allowed | {"installation_id", "user_id"}))
    if launch_url is not None and "{installation_id}" not in launch_url:
        table.problem("launch_url", "must contain {installation_id}")
        launch_url = None
    lands_on = table.string("lands_on", check=_path_check)
    hint = table.flag("passes_login_hint")
    installations = _one_call(table, "installations", allowed)
    table.done()
    if events_url is None or launch_url is None:
        return None
    return PartnerSection(events_url=events_url, launch_url=launch_url, lands_on=lands_on,
                          passes_login_hint=hint, installations=installations)


def _sign_out(root: Table, allowed: frozenset[str]) -> SignOutSection:
    table = root.table("sign_out")
    if table is None:
        return SignOutSection()
    url = table.string("url", check=_url_check(allowed))
    control = table.string("control")
    if url is not None and control is not None:
        table.problem("control", "give url or control, not both")
    lands_on = table.string("lands_on", check=_path_check)
    text = table.string("text")
    params = table.str_list("end_session_params", check=lambda v: None if v in END_SESSION_PARAMS
                            else f"must be one of {', '.join(END_SESSION_PARAMS)}")
    backchannel = table.string("backchannel_uri", check=_url_check(allowed))
    frontchannel = table.string("frontchannel_uri", check=_url_check(allowed))
    if (lands_on or text or params) and url is None and control is None:
        table.problem(None, "lands_on, text and end_session_params describe the app's own "
                      "sign-out: give url or control")
    table.done()
    return SignOutSection(url=url, control=control, lands_on=lands_on, text=text,
                          end_session_params=params, backchannel_uri=backchannel,
                          frontchannel_uri=frontchannel)


def _admin(root: Table, allowed: frozenset[str], app: AppSection | None) -> AdminSection:
    table = root.table("admin")
    if table is None:
        return AdminSection()
    renew = tuple(_calls(table, "renew_secret", allowed, default_method="POST"))
    disable = tuple(_calls(table, "disable_sso", allowed, default_method="POST"))
    enable = tuple(_calls(table, "enable_sso", allowed, default_method="POST"))
    if bool(disable) != bool(enable):
        table.problem("enable_sso" if disable else "disable_sso",
                      "give both disable_sso and enable_sso, or neither")
    status: SecretStatus | None = None
    status_table = table.table("secret_status")
    if status_table is not None:
        expired = status_table.string("expired", required=True, check=lambda v: None if
                                   _DOTTED_PATH.match(v) else "must be a dotted JSON path")
        call = _call(status_table, allowed, default_method="GET")
        if app is not None and not app.shared_clock:
            table.problem("secret_status", "needs [app] clock = \"shared\": an app on its own "
                          "clock cannot see a secret expire when the mock's clock moves")
        elif call is not None and expired is not None:
            status = SecretStatus(call=call, expired=expired)
    table.done()
    return AdminSection(renew_secret=renew, disable_sso=disable, enable_sso=enable,
                        secret_status=status)
