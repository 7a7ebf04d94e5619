"""What the browser's main frame loaded during a journey, and the check that a sign-in went by
redirects alone (:meth:`NavigationLog.expect_no_page_between`): which documents are pages shown
and which are hand-offs the sign-in cannot do without.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

from playwright.sync_api import Error, Page, Request, Response

from scenarios.failure_query import query_shown

__all__ = ["SHOWN_URL", "NavigationLog", "shown_url"]

SHOWN_URL = 120
"""Characters of a URL a failure message quotes."""


def _redirect(status: int) -> bool:
    return 300 <= status < 400


def _without_query(url: str) -> str:
    return urlsplit(url)._replace(query="", fragment="").geturl()


def shown_url(url: str) -> str:
    """A URL for a message: without its query, which may carry a code (``?…`` says there was
    one), and at most :data:`SHOWN_URL` characters."""
    shown = _without_query(url) + query_shown(url)
    return shown if len(shown) <= SHOWN_URL else shown[:SHOWN_URL] + "…"


@dataclass
class NavigationLog:
    """Every main-frame document the browser received: (url, status)."""

    page: Page
    documents: list[tuple[str, int]] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    """The request method of each of ``documents``."""
    posted: list[str | None] = field(default_factory=list)
    """The body each of ``documents``' requests posted (a form: the provider's answer with
    ``response_mode=form_post``, say), else ``None``."""
    redirects: list[str] = field(default_factory=list)
    """Where each redirect among ``documents`` sent the browser, as its ``Location`` said:
    with the fragment, which a document's own URL leaves out (the provider's answer with
    ``response_mode=fragment``, MSAL.js's default)."""

    locations: list[str | None] = field(default_factory=list)
    """Where each of ``documents`` sent the browser, when it was a redirect (with the
    fragment), else ``None``."""
    fetched: list[tuple[int, str, str]] = field(default_factory=list)
    """The main frame's script requests (``fetch``, XHR): the index in ``documents`` of the
    page that made each, its URL and the body it sent (empty without one)."""

    def __post_init__(self) -> None:
        self.page.on("response", self._record)
        self.page.on("request", self._record_fetch)

    def _record_fetch(self, request: Request) -> None:
        if request.resource_type not in ("fetch", "xhr"):
            return
        try:  # a service worker's own request has no frame: Playwright raises on asking
            if request.frame != self.page.main_frame:
                return
        except Error:
            return
        try:
            body = request.post_data or ""
        except (Error, UnicodeDecodeError):  # a binary body holds no answer to find
            body = ""
        self.fetched.append((len(self.documents) - 1, request.url, body))

    def _record(self, response: Response) -> None:
        request = response.request
        if request.resource_type == "document" and request.frame == self.page.main_frame:
            self.documents.append((response.url, response.status))
            self.methods.append(request.method)
            self.posted.append(request.post_data if request.method == "POST" else None)
            location = response.headers.get("location") if _redirect(response.status) else None
            self.locations.append(urljoin(response.url, location) if location else None)
            if location:
                self.redirects.append(urljoin(response.url, location))

    def pages_shown_from(self, base_url: str) -> list[str]:
        """Documents from ``base_url`` that rendered (not redirects, nor a form that posted
        itself to another site: :meth:`_posted_on`)."""
        host = urlsplit(base_url).netloc
        return [url for i, (url, status) in enumerate(self.documents)
                if urlsplit(url).netloc == host and not _redirect(status)
                and not self._posted_on(i)]

    def pages_opened_from(self, base_url: str) -> list[str]:
        """Documents from ``base_url`` that rendered and were navigated to, not answers to a
        form: one per sign-in the provider asked for (its later pages answer its own forms)."""
        host = urlsplit(base_url).netloc
        return [url for i, ((url, status), method)
                in enumerate(zip(self.documents, self.methods, strict=True))
                if urlsplit(url).netloc == host and not _redirect(status) and method == "GET"
                and not self._posted_on(i)]

    def _posted_on(self, i: int) -> bool:
        """Document ``i`` is a provider's answer with ``response_mode=form_post``: a page whose
        form posts itself to the app as it loads (OpenID Connect Form Post Response Mode; the
        default of ASP.NET Core's OpenID Connect handler and Microsoft.Identity.Web), so the
        next document is a POST to another site. No page of Entra's asks a user to post a form
        to an app, so none of its sign-in pages passes as one."""
        if i + 1 >= len(self.documents) or self.methods[i + 1] != "POST":
            return False
        return urlsplit(self.documents[i + 1][0]).netloc != urlsplit(self.documents[i][0]).netloc

    def expect_no_page_between(self, provider_base_url: str, *,
                               single_page_app_at: str | None = None,
                               clicked_through: bool = False) -> None:
        """A sign-in by redirects alone: no page of the provider's rendered, and the only page
        that did is the one the browser landed on (the last document that rendered). An app
        that shows a page of its own on the way ("Continue", "Redirecting…"), at a URL of its
        own or at its callback, fails, and so does a page of any other site.

        A document before the landing page passes only as a hand-off the sign-in cannot do
        without: one the browser left straight for the provider (an app's sign-in URL may
        answer with a page that sends it there: a meta refresh, as Microsoft's ``identity``
        package does, or MSAL.js's ``loginRedirect``), or, given ``single_page_app_at`` (a
        single-page app's redirect URI), the app's page there, where MSAL.js takes the
        provider's answer in the browser and sends it on. The provider's ``form_post`` answer
        is a hand-off too, not a page shown (:meth:`_posted_on`), and so is an app's page
        that posts its form to the app, which sends the browser straight to the provider
        (:meth:`_posts_itself_to_provider`), and so is the app's page that the provider's answer
        reached in its fragment and that posts it to the app (:meth:`_posts_fragment_back`), or
        that hands its code to the app's server by script (:meth:`_fetches_answer_to_app`).
        What a hand-off showed, and for how long, the log cannot tell. With
        ``clicked_through``, the first page rendered is the sign-in page whose ``[sign_in]
        control`` the scenario clicked, which the profile says the sign-in starts with."""
        shown = self.pages_shown_from(provider_base_url)
        assert shown == [], (f"the provider showed {', '.join(map(shown_url, shown))}: the "
                             f"browser went {self._journey()}")
        rendered = [i for i, (_, status) in enumerate(self.documents) if not _redirect(status)]
        assert rendered, f"no page rendered: the browser went {self._journey()}"
        provider = urlsplit(provider_base_url).netloc
        after = [urlsplit(url).netloc for url, _ in self.documents[1:]]
        spa_callback = _without_query(single_page_app_at) if single_page_app_at else None

        def hand_off(i: int) -> bool:
            return (after[i] == provider or self._posted_on(i)
                    or self._posts_itself_to_provider(i, provider)
                    or self._posts_fragment_back(i, provider)
                    or self._fetches_answer_to_app(i, provider)
                    or _without_query(self.documents[i][0]) == spa_callback
                    or (clicked_through and i == rendered[0]))

        between = [self.documents[i] for i in rendered[:-1] if not hand_off(i)]
        assert not between, (
            "a page was shown on the way to " + shown_url(self.documents[rendered[-1]][0]) +
            ": " + ", then ".join(f"{shown_url(url)} (HTTP {status})" for url, status in between)
            + f"; a sign-in by redirects alone shows only the page it lands on (the browser went "
            f"{self._journey()})")

    def _posts_fragment_back(self, i: int, provider: str) -> bool:
        """Document ``i`` is the app's page that the provider's redirect sent its answer to in
        the URL's fragment, which never reaches a server, and whose script posted it to the
        page's own site as it loaded: ``response_mode=fragment``, the default of a
        ``response_type`` with ``id_token`` (OAuth 2.0 Multiple Response Type Encoding
        Practices §3, §4) and so of mod_auth_openidc's ``OIDCResponseType "code id_token"``,
        whose redirect URI answers such a page. The scenarios click nothing, so the post was
        the page's own: the hand-off a ``form_post`` answer is, with the form on the app's
        page instead of the provider's."""
        if i == 0 or i + 1 >= len(self.documents) or self.methods[i + 1] != "POST":
            return False
        (before, _), (page, _), (posted, _) = self.documents[i - 1:i + 2]
        location = self.locations[i - 1]
        return (urlsplit(before).netloc == provider and location is not None
                and bool(urlsplit(location).fragment)
                and _without_query(location) == _without_query(page)
                and urlsplit(posted).netloc == urlsplit(page).netloc)

    def _fetches_answer_to_app(self, i: int, provider: str) -> bool:
        """Document ``i`` is the app's page that the provider's redirect sent its answer to,
        and whose script handed the answer's ``code`` to the page's own site with ``fetch`` or
        XHR as it loaded, before the browser went on: an app whose redirect URI is a page of
        its front end, and whose server takes the answer at an API route, as fastapi-users'
        ``get_oauth_router(..., redirect_url=...)`` has it (the front end's page passes the
        query to the router's ``/callback``, which answers with the session cookie, a 204 no
        browser would navigate to), on the page's port or another (a front end's dev server
        calling its API). The same hand-off as :meth:`_posts_fragment_back`, by script rather
        than by a form; a page that sends the code nowhere of its host's is a page shown."""
        if i == 0 or i + 1 >= len(self.documents):
            return False
        before, page = self.documents[i - 1][0], self.documents[i][0]
        location = self.locations[i - 1]
        if (urlsplit(before).netloc != provider or location is None
                or _without_query(location) != _without_query(page)):
            return False
        answer = urlsplit(location)
        codes = (parse_qs(answer.query).get("code", [])
                 + parse_qs(answer.fragment).get("code", []))
        # The page's own host, whatever the port: a front end's dev server and the API it
        # calls with credentials (localhost:3000 and localhost:8000) are one site, as a
        # browser's cookies, which ignore the port, make them (RFC 6265 8.5).
        # Not the provider, which may share the host (a code redeemed at its token endpoint
        # by the page's script is no hand-off to the app's server).
        site = urlsplit(page).hostname
        return any(index == i and urlsplit(url).hostname == site
                   and urlsplit(url).netloc != provider
                   and any(code in unquote(url) or code in unquote(body) for code in codes)
                   for index, url, body in self.fetched)

    def _posts_itself_to_provider(self, i: int, provider: str) -> bool:
        """Document ``i`` is a page whose form the browser posted to the page's own site, which
        answered with a redirect straight to the provider: an app whose sign-in starts only by
        a POST carrying its CSRF token (Auth.js's ``/auth/signin/<provider>``) posts it as its
        sign-in page loads. The scenarios click nothing there, so the post was the page's own;
        it is the same hand-off as a script that fetches that POST's answer and sends the
        browser to the provider itself (Auth.js's client ``signIn``)."""
        if i + 2 >= len(self.documents) or self.methods[i + 1] != "POST":
            return False
        (page, _), (posted, status), (then, _) = self.documents[i:i + 3]
        return (urlsplit(posted).netloc == urlsplit(page).netloc and _redirect(status)
                and urlsplit(then).netloc == provider)

    def _journey(self) -> str:
        """The documents in order, for a failure message: each URL without its query."""
        return " -> ".join(f"{shown_url(url)} {status}" for url, status in self.documents)

    def visited(self, url_prefix: str) -> list[str]:
        """Documents whose URL starts with ``url_prefix`` (a callback, an endpoint)."""
        return [url for url, _ in self.documents if url.startswith(url_prefix)]

    def expect_no_return(self, provider_base_url: str, callback: str) -> None:
        """The provider never sent the browser back to ``callback``."""
        back = self.answers_at(callback, provider_base_url)
        assert not back, (f"the provider sent the browser back to the app's redirect URI "
                          f"({shown_url(back[0])}): the browser went {self._journey()}")

    def answers_at(self, callback: str, provider_base_url: str) -> list[str]:
        """Documents at ``callback`` the provider sent the browser to, its answers the app
        received: each straight after a document of the provider's (its redirect, or its
        ``form_post`` page). An app whose sign-in URL is its callback (Panel's ``/login``
        starts the sign-in and takes the answer) is visited there on the way out too, which
        is no answer; nor is the post of an answer a page there got in its fragment
        (:meth:`_posts_fragment_back`), the same answer again."""
        provider = urlsplit(provider_base_url).netloc
        return [url for i, (url, _) in enumerate(self.documents)
                if i > 0 and url.startswith(callback)
                and urlsplit(self.documents[i - 1][0]).netloc == provider]

    def redirected_to(self, url_prefix: str) -> list[str]:
        """Redirect targets starting with ``url_prefix``, fragment included."""
        return [url for url in self.redirects if url.startswith(url_prefix)]

    def reset(self) -> None:
        self.documents.clear()
        self.methods.clear()
        self.posted.clear()
        self.redirects.clear()
        self.locations.clear()
        self.fetched.clear()
