"""An app profile: what the scenarios need to know about an app under test, read from TOML.

:func:`load_profile` reads and checks a profile and returns an :class:`AppProfile` (frozen
dataclasses all the way down). Every key is known and typed; a profile with problems raises
:class:`~scenarios.app.validation.ProfileError` listing each one with its key path and
``file:line``. The README's "Testing your own app" section documents every key.

This module reads the profile as a whole, ``[app]`` and ``[provider]``; the sections' types are
in :mod:`scenarios.app.sections` (and exported here), the HTTP calls in
:mod:`scenarios.app.http_calls`, the other sections' readers in
:mod:`scenarios.app.section_readers`.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from mock_idp.config import SIGN_IN_AUDIENCES, SINGLE_TENANT
from mock_idp.text_policy import text_problem
from scenarios.app.http_calls import (
    BUILTIN_VARIABLES,
    Check,
    read_calls,
    template_check,
    url_check,
    url_problem,
)
from scenarios.app.section_readers import (
    read_admin,
    read_failure,
    read_partner,
    read_sign_in,
    read_sign_out,
    read_signed_in,
)
from scenarios.app.sections import (
    END_SESSION_PARAMS,
    FAILURE_KINDS,
    ME_FIELDS,
    AdminSection,
    AppProfile,
    AppSection,
    FailureExpectation,
    FailureSection,
    HttpCall,
    JsonValue,
    PartnerSection,
    ProviderSection,
    SecretStatus,
    SignedInSection,
    SignInSection,
    SignInUrl,
    SignOutSection,
)
from scenarios.app.templating import APP_VARIABLES, PROVIDER_VARIABLES, check_template
from scenarios.app.validation import LineIndex, Problem, ProfileError, Reader, Table
from scenarios.profiles import shipped_hint

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
    "where_written",
]

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PLATFORMS = ("web", "spa")
"""Where ``[provider] platform`` registers the redirect URIs (Graph ``web`` or ``spa``)."""


def load_profile(path: Path | str) -> AppProfile:
    """Read and check a profile file; relative paths in it are relative to its directory."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        hint = shipped_hint(path) if isinstance(exc, FileNotFoundError) else ""
        raise ProfileError([Problem("", f"cannot read the profile: {exc.strerror}"
                                    + (f"; {hint}" if hint else ""), path)]) from None
    except UnicodeDecodeError:
        raise ProfileError([Problem("", "the profile is not UTF-8 text", path)]) from None
    return parse_profile(text, path=path)


def where_written(profile: AppProfile, *keys: str) -> str:
    """``file:line: `` where ``keys`` (``"app", "base_url"``) is written in the profile's file,
    or its nearest table when the key is left out: for a message about a value the profile
    gave. ``""`` for a profile not read from a file."""
    if profile.path is None:
        return ""
    try:
        line = LineIndex(profile.path.read_text(encoding="utf-8")).line_of(keys)
    except (OSError, UnicodeDecodeError):
        line = None
    return f"{profile.path}:{line}: " if line else f"{profile.path}: "


def parse_profile(text: str, *, path: Path | None = None) -> AppProfile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError([Problem("", f"not valid TOML: {exc}", path)]) from None
    reader = Reader(file=path, lines=LineIndex(text))
    profile = _profile(reader.table(data), path)
    reader.place_strays()
    if reader.problems or profile is None:
        raise ProfileError(reader.problems or [Problem("", "the profile is incomplete", path)])
    return profile


MAX_NAME = 256
"""The longest ``name``: it is the app registration's ``displayName``, which Microsoft Graph's
``application`` resource takes up to 256 characters long."""


def _name_problem(name: str) -> str | None:
    """Why ``name`` cannot name the app registration the provider makes for the app (where
    the mock, as Entra, refuses it: every scenario would end in error), or ``None``."""
    if len(name) > MAX_NAME:
        return f"is longer than {MAX_NAME} characters (the app registration's displayName)"
    problem = text_problem(name)
    return None if problem is None else f"{problem}: it is the app registration's displayName"


def _profile(root: Table, path: Path | None) -> AppProfile | None:
    name = root.string("name", check=_name_problem) or (
        path.stem if path is not None else "app")
    app = _app(root, path)
    provider = _provider(root)
    configure = tuple(read_calls(root, "configure", BUILTIN_VARIABLES, default_method="POST",
                                 capturing=True))
    everything = BUILTIN_VARIABLES | {n for call in configure for n in call.capture}
    sign_in = read_sign_in(root, everything)
    signed_in = read_signed_in(root, everything)
    failure = read_failure(root, everything)
    partner = read_partner(root, everything)
    sign_out = read_sign_out(root, everything)
    admin = read_admin(root, everything, app)
    root.done()
    if app is None or provider is None:
        return None
    profile = AppProfile(
        name=name, path=path, app=app, provider=provider, configure=configure, sign_in=sign_in,
        signed_in=signed_in, failure=failure, partner=partner, sign_out=sign_out, admin=admin,
    )
    for index, uri in enumerate(provider.redirect_uris):
        if _on_ipv6_loopback(uri.replace("{base_url}", app.base_url)):
            root.reader.problem(("provider", "redirect_uris", str(index)), (
                "is on the IPv6 loopback address [::1], which Entra does not take in a "
                "redirect URI (https://learn.microsoft.com/entra/identity-platform/reply-url): "
                "serve the app on 127.0.0.1 (base_url)"))
    written = root.data.get("sign_in")
    if not (isinstance(written, dict) and {"urls", "protected_urls"} & set(written)) and (
            "partner" not in root.data):
        root.problem(None, "the app has no way in: give [sign_in] urls or protected_urls, "
                     "or a [partner] section")
    return profile


def _on_ipv6_loopback(url: str) -> bool:
    """Whether ``url`` (its templates as written) is on ``[::1]``: the mock, as Entra, refuses
    such a redirect URI when the harness registers it, so every scenario would end in error."""
    host = urlsplit(url.replace("{port}", "1")).hostname or ""
    try:
        return ":" in host and ipaddress.ip_address(host.partition("%")[0]).is_loopback
    except ValueError:
        return False


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
    if not {"base_url", "command", "asgi"} & set(table.data):
        table.problem(None, "give base_url (an app already running), command (one the harness "
                      "starts as a process) or asgi (a Python ASGI app it serves in-process)")
    base_url = table.string("base_url", check=_base_url_check(started))
    if base_url is None:
        base_url = "http://127.0.0.1:{port}"
    ready_url = table.string("ready_url", check=url_check(set(APP_VARIABLES))) or "{base_url}"
    timeout = table.number("timeout", minimum=0.5, maximum=600)
    reuse = table.flag("reuse_existing")
    cwd_text = table.string("cwd")
    if cwd_text is not None and command is None:
        table.problem("cwd", "only applies to command")
    base_dir = path.parent if path is not None else Path.cwd()
    cwd = (base_dir / cwd_text) if cwd_text else (base_dir if command is not None else None)
    if cwd is not None and cwd_text and not cwd.is_dir():
        table.problem("cwd", f"{cwd} is not a directory")
    env = table.str_map("env", check=template_check(start_vars))
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


def _base_url_check(started: bool) -> Check:
    def check(value: str) -> str | None:
        if (message := check_template(value, {"port"})) is not None:
            return message
        if (message := url_problem(value, absolute=True)) is not None:
            return message
        if "{port}" in value and not started:
            return "{port} is only for apps the harness starts (command or asgi)"
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
    # An app with a redirect URI per connection may name the connection by its client id.
    uris = table.str_list("redirect_uris", one_ok=True,
                          check=url_check(allowed | {"client_id"}))
    written = table.raw("redirect_uris")
    if written is None or written == []:
        table.problem("redirect_uris", ("is required" if written is None else "must not be empty")
                      + ": the app's redirect URI(s), e.g. \"{base_url}/auth/callback\"")
    platform = table.choice("platform", PLATFORMS, "web")
    post_logout = table.string("post_logout_redirect_uri", check=url_check(allowed))
    days = table.number("secret_lifetime_days", minimum=1, maximum=730)
    https = table.flag("https")
    audience = table.choice("sign_in_audience", SIGN_IN_AUDIENCES, SINGLE_TENANT)
    id_tokens = table.flag("id_token_issuance")
    table.done()
    return ProviderSection(
        redirect_uris=uris, platform=platform, post_logout_redirect_uri=post_logout,
        secret_lifetime=timedelta(days=days if days is not None else 180), https=https,
        sign_in_audience=audience, id_token_issuance=id_tokens,
    )
