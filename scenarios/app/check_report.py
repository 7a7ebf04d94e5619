"""``app check``'s findings: one line each, masked once the app runs, with the app's output
(and the known cause it shows) under the first that follows an answer it explains."""

from __future__ import annotations

import http.cookiejar
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO
from urllib.parse import urlsplit

import httpx

from mock_idp.endpoints.browser_sessions import is_loopback
from scenarios.app.failure_probe import Level, host_of
from scenarios.app.output_causes import (
    DJANGO_BAD_REQUEST,
    allowed_hosts_hint,
    disallowed_host,
    explained,
)
from scenarios.app.process import with_output
from scenarios.app.profile import AppProfile
from scenarios.github import say
from scenarios.masking import masked_text

__all__ = ["Finding", "Report", "browser_cookie_jar"]


@dataclass(frozen=True)
class Finding:
    level: Level
    text: str

    def __str__(self) -> str:
        return f"{self.level:<8} {self.text}"


@dataclass
class Report:
    out: TextIO
    findings: list[Finding] = field(default_factory=list)
    hide: Callable[[str], str] | None = None
    """Once the app runs: masks the secret values it was given. Its findings from then on are
    masked as a run masks its results (they may quote what the app answered); a profile's
    problems come before, as they are (``app.env.OIDC_CLIENT_SECRET: unknown ...`` is a key's
    name, not a value). What a command printed before it failed comes masked from
    :class:`~scenarios.app.servers.AppServer`."""
    app_output: Callable[[], str] | None = None
    """What an app started by its command printed last (its traceback behind an "HTTP 500"):
    shown once, with the finding that follows the first 5xx it answered."""
    app_base: str = ""
    profile: AppProfile | None = None
    _server_error: bool = False
    _output_shown: bool = False
    _bad_request: str | None = None
    """The page of the app's last answer, when it was a 400 no finding has followed yet."""
    _only_django_400: bool | None = None
    """Whether every answer of the app so far was Django's own 400 page (``None``: none yet)."""
    _host_named: bool = False

    def watch(self, response: httpx.Response) -> None:
        """An event hook of the probes' client: note a 5xx or a 400 from the app."""
        if not self.app_base or host_of(str(response.url)) != host_of(self.app_base):
            return
        if response.status_code >= 500:
            self._server_error = True
        self._bad_request = response.read().decode(errors="replace") \
            if response.status_code == 400 else None
        django_400 = self._bad_request is not None and \
            f"<title>{DJANGO_BAD_REQUEST}</title>" in self._bad_request
        self._only_django_400 = django_400 and self._only_django_400 is not False

    def add(self, level: Level, text: str) -> None:
        # A 5xx that is what the profile asks for (a failure page with error_status) is no
        # failure: the output waits for a finding that is one.
        if self._server_error and self.app_output is not None and level != "ok" \
                and not self._output_shown:
            output = self.app_output()
            text = explained(with_output(text, output), output, self.profile)
            self._output_shown = True  # once per check
        if self._bad_request is not None and level != "ok" and not self._host_named:
            if (cause := self._refused_host(self._bad_request)) is not None:
                text, self._host_named = f"{text}\n{cause}", True  # once per check
        self._server_error, self._bad_request = False, None
        if self.hide is not None:
            text = masked_text(text, self.hide) or ""
        finding = Finding(level, text)
        self.findings.append(finding)
        say(str(finding), self.out)  # it may quote a page or the app's output

    def _refused_host(self, page: str) -> str | None:
        """Why the app answered 400 (``page``) when it is Django refusing the host the check
        reaches it by: Django's words in the app's output or on its debug page, or else its
        own 400 page as the answer to every URL asked so far; ``None`` for another 400."""
        output = self.app_output() if self.app_output is not None else ""
        if (cause := disallowed_host(output) or disallowed_host(page)) is not None:
            return cause
        return allowed_hosts_hint(
            str(urlsplit(self.app_base).hostname),
            f"every URL the check asked answered HTTP 400 with Django's {DJANGO_BAD_REQUEST!r} "
            "page") if self._only_django_400 else None

    @property
    def problems(self) -> int:
        return sum(f.level == "PROBLEM" for f in self.findings)


class _LoopbackIsSecure(http.cookiejar.DefaultCookiePolicy):
    """Sends a ``Secure`` cookie over http to a loopback host, as the scenarios' browser does
    (Chromium since 89, Firefox since 75: Secure Contexts §3.1 counts loopback as potentially
    trustworthy; :data:`mock_idp.endpoints.browser_sessions._SECURE_ON_LOOPBACK`).
    ``http.cookiejar`` sends them to https alone, so an app on ``http://127.0.0.1`` that marks
    its state cookie ``Secure`` (@hono/oidc-auth always does; @fastify/oauth2's ``__Host-``
    names with ``hostPrefixedCookies``) met the check's cancelled sign-in without it, and
    showed the page of a missing state rather than the one a browser gets. The cookie is kept
    without its flag as it is stored: httpx sends each request's cookies from a copy of the
    client's jar, which has the default policy."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: urllib.request.Request) -> bool:
        if not super().set_ok(cookie, request):
            return False
        if cookie.secure and is_loopback(urlsplit(request.get_full_url()).hostname):
            cookie.secure = False
        return True


def browser_cookie_jar() -> http.cookiejar.CookieJar:
    """The check's cookie jar: the app's cookies as the scenarios' browser keeps them."""
    return http.cookiejar.CookieJar(policy=_LoopbackIsSecure())
