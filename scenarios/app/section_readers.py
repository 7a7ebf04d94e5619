"""Reading the sections that say how to drive the app: ``[sign_in]``, ``[signed_in]``,
``[failure]``, ``[partner]``, ``[sign_out]`` and ``[admin]``. Each reader records every problem
it finds on the :class:`~scenarios.app.validation.Table` and returns what it could read."""

from __future__ import annotations

import re

from scenarios.app.http_calls import (
    DOTTED_PATH,
    read_call,
    read_calls,
    read_one_call,
    template_check,
    url_check,
)
from scenarios.app.sections import (
    END_SESSION_PARAMS,
    FAILURE_KINDS,
    ME_FIELDS,
    AdminSection,
    AppSection,
    FailureExpectation,
    FailureSection,
    PartnerSection,
    SecretStatus,
    SignedInSection,
    SignInSection,
    SignInUrl,
    SignOutSection,
)
from scenarios.app.validation import Table

__all__ = [
    "read_admin",
    "read_failure",
    "read_partner",
    "read_sign_in",
    "read_sign_out",
    "read_signed_in",
]

PERSON_VARIABLES = ("name", "upn", "email")
_URL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def read_sign_in(root: Table, allowed: frozenset[str]) -> SignInSection:
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
                if (message := url_check(allowed)(value)) is not None:
                    urls_table.problem(name, message)
                else:
                    urls.append(SignInUrl(name=name, url=value))
            elif isinstance(value, dict):
                entry = Table(urls_table.reader, value, urls_table.where(name))
                url = entry.string("url", required=True, check=url_check(allowed))
                lands_on = entry.string("lands_on", check=_path_check)
                entry.done()
                if url is not None:
                    urls.append(SignInUrl(name=name, url=url, lands_on=lands_on))
            else:
                urls_table.problem(name, "must be a URL template or a table {url, lands_on}")
    protected = table.str_list("protected_urls", one_ok=True, check=url_check(allowed))
    control = table.string("control")
    if control is not None and not urls:
        table.problem("control", "is clicked on the page a sign-in URL opens: give [sign_in] "
                      "urls too")
    table.done()
    return SignInSection(urls=tuple(urls), protected_urls=protected, control=control)



def _path_check(value: str) -> str | None:
    return None if value.startswith("/") and "{" not in value else "must be a path such as /home"


def read_signed_in(root: Table, allowed: frozenset[str]) -> SignedInSection:
    table = root.table("signed_in")
    if table is None:
        root.problem("signed_in", "is required: give me_url and/or text or selector")
        return SignedInSection()
    me_url = table.string("me_url", check=url_check(allowed))
    page = table.string("page", check=url_check(allowed))
    text = table.string("text", check=template_check(set(PERSON_VARIABLES)))
    selector = table.string("selector")
    page_ready = table.string("page_ready")
    me_json = table.str_map("me_json", check=lambda v: None if DOTTED_PATH.match(v)
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
    if page_ready is not None and page is None:
        table.problem("page_ready", "needs page")
    table.done()
    return SignedInSection(me_url=me_url, page=page, text=text, selector=selector,
                           page_ready=page_ready,
                           me_json={k: v for k, v in me_json.items() if k in ME_FIELDS})


def _regex_check(value: str) -> str | None:
    try:
        pattern = re.compile(value)
    except re.error as exc:
        return f"is not a regular expression: {exc}"
    return None if pattern.groups <= 1 else "may have at most one (capturing) group"


def read_failure(root: Table, allowed: frozenset[str]) -> FailureSection | None:
    table = root.table("failure")
    if table is None:
        return None
    contact = table.string("contact", required=True)
    text = table.string("text")
    reference = table.string("reference", check=_regex_check)
    error_status = table.flag("error_status")
    shows_idp_code = table.flag("shows_idp_code")
    timeout = table.number("provider_timeout", minimum=0.1, maximum=60)
    error_log = read_one_call(table, "error_log", allowed | {"reference"})
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
            texts = entry.str_list("texts", one_ok=True, check=template_check(allowed))
            kind_contact = entry.string("contact")
            logged = entry.str_map("logged")
            contains = entry.str_map("logged_contains")
            for key in (*logged, *contains):
                if not DOTTED_PATH.match(key):
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


def read_partner(root: Table, allowed: frozenset[str]) -> PartnerSection | None:
    table = root.table("partner")
    if table is None:
        return None
    events_url = table.string("events_url", required=True, check=url_check(allowed))
    launch_url = table.string("launch_url", required=True,
                           check=url_check(allowed | {"installation_id", "user_id"}))
    if launch_url is not None and "{installation_id}" not in launch_url:
        table.problem("launch_url", "must contain {installation_id}")
        launch_url = None
    lands_on = table.string("lands_on", check=_path_check)
    hint = table.flag("passes_login_hint")
    installations = read_one_call(table, "installations", allowed)
    contact = table.string("contact")
    wait = table.number("acknowledgement_wait", minimum=1, maximum=600)
    table.done()
    if events_url is None or launch_url is None:
        return None
    return PartnerSection(events_url=events_url, launch_url=launch_url, lands_on=lands_on,
                          passes_login_hint=hint, installations=installations, contact=contact,
                          acknowledgement_wait=wait)


def read_sign_out(root: Table, allowed: frozenset[str]) -> SignOutSection:
    table = root.table("sign_out")
    if table is None:
        return SignOutSection()
    url = table.string("url", check=url_check(allowed))
    control = table.string("control")
    if url is not None and control is not None:
        table.problem("control", "give url or control, not both")
    lands_on = table.string("lands_on", check=_path_check)
    text = table.string("text")
    params = table.str_list("end_session_params", check=lambda v: None if v in END_SESSION_PARAMS
                            else f"must be one of {', '.join(END_SESSION_PARAMS)}")
    backchannel = table.string("backchannel_uri", check=url_check(allowed))
    frontchannel = table.string("frontchannel_uri", check=url_check(allowed))
    if (lands_on or text or params) and url is None and control is None:
        table.problem(None, "lands_on, text and end_session_params describe the app's own "
                      "sign-out: give url or control")
    table.done()
    return SignOutSection(url=url, control=control, lands_on=lands_on, text=text,
                          end_session_params=params, backchannel_uri=backchannel,
                          frontchannel_uri=frontchannel)


def read_admin(root: Table, allowed: frozenset[str], app: AppSection | None) -> AdminSection:
    table = root.table("admin")
    if table is None:
        return AdminSection()
    renew = tuple(read_calls(table, "renew_secret", allowed, default_method="POST"))
    disable = tuple(read_calls(table, "disable_sso", allowed, default_method="POST"))
    enable = tuple(read_calls(table, "enable_sso", allowed, default_method="POST"))
    if bool(disable) != bool(enable):
        table.problem("enable_sso" if disable else "disable_sso",
                      "give both disable_sso and enable_sso, or neither")
    status: SecretStatus | None = None
    status_table = table.table("secret_status")
    if status_table is not None:
        expired = status_table.string("expired", required=True, check=lambda v: None if
                                   DOTTED_PATH.match(v) else "must be a dotted JSON path")
        call = read_call(status_table, allowed, default_method="GET")
        if app is not None and not app.shared_clock:
            table.problem("secret_status", "needs [app] clock = \"shared\": an app on its own "
                          "clock cannot see a secret expire when the mock's clock moves")
        elif call is not None and expired is not None:
            status = SecretStatus(call=call, expired=expired)
    table.done()
    return AdminSection(renew_secret=renew, disable_sso=disable, enable_sso=enable,
                        secret_status=status)
