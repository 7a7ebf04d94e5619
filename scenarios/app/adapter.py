"""The app adapter: the only way scenarios reach the app under test.

:class:`~scenarios.app.interface.AppAdapter` is what a scenario may ask of an app ("open this
sign-in URL", "is this browser signed in?", "does this page show the support contact?", "renew
the client secret"). :class:`ProfileAdapter` answers from an
:class:`~scenarios.app.profile.AppProfile`: its URLs and texts, and its HTTP calls to the app's
own admin interface. It holds the app's facts (its URLs, the values its templates use) and
hands each question to the module of its concern:

- :mod:`.sign_in_urls`: the ``[sign_in]`` URLs and control; :mod:`.partner_launch`: a
  ``[partner]`` launch;
- :mod:`.signed_in` and :mod:`.me_answer`: whether someone is signed in, and who;
- :mod:`.failure_page`: the ``[failure]`` page; :mod:`.sign_out`: ``[sign_out]``;
- :mod:`.admin_calls`: the ``[[configure]]`` and ``[admin]`` calls to the app;
- :mod:`.page_looks`: what a page shows, which those share.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from scenarios.app import (
    admin_calls,
    failure_page,
    me_answer,
    page_looks,
    partner_launch,
    sign_in_urls,
    sign_out,
    signed_in,
)
from scenarios.app.app_session import forget_app_session
from scenarios.app.failure_page import ACCEPTED, NoFailurePage
from scenarios.app.interface import AppAdapter, Someone, Unsupported
from scenarios.app.me_answer import SignedInElsewhere
from scenarios.app.profile import AppProfile
from scenarios.app.templating import render

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from scenarios.app.servers import AppServer

__all__ = ["ACCEPTED", "AppAdapter", "NoFailurePage", "ProfileAdapter", "SignedInElsewhere",
           "Someone", "Unsupported"]


class ProfileAdapter:
    """:class:`AppAdapter` for a profile, an app server and the values its templates use."""

    def __init__(self, profile: AppProfile, server: AppServer, values: Mapping[str, str],
                 http: httpx.Client, *, contact: str | None = None) -> None:
        self.profile = profile
        self.server = server
        self.values: dict[str, str] = dict(values)
        self.http = http
        self._contact = contact
        self.addressless: set[str] = set()
        """The people found signed in with no e-mail address (``me_url``'s ``email`` null),
        told by their name (:func:`.me_answer.expect_me_json`): what ``run --app`` notes."""

    # -- facts ---------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.profile.name

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def capabilities(self) -> frozenset[str]:
        return self.profile.capabilities

    @property
    def contact(self) -> str:
        if self._contact is not None:
            return self._contact
        return self.profile.failure.contact if self.profile.failure is not None else ""

    def url(self, path: str, **extra: str) -> str:
        filled = render(path, {**self.values, **extra}) if "{" in path else path
        return filled if filled.startswith(("http://", "https://")) else self.base_url + filled

    def _optional_url(self, template: str | None) -> str | None:
        return self.url(template) if template else None

    @property
    def redirect_uri(self) -> str:
        return self.url(self.profile.provider.redirect_uris[0])

    @property
    def redirect_uris(self) -> list[str]:
        return [self.url(template) for template in self.profile.provider.redirect_uris]

    @property
    def post_logout_redirect_uri(self) -> str | None:
        return self._optional_url(self.profile.provider.post_logout_redirect_uri)

    @property
    def backchannel_uri(self) -> str | None:
        return self._optional_url(self.profile.sign_out.backchannel_uri)

    @property
    def frontchannel_uri(self) -> str | None:
        return self._optional_url(self.profile.sign_out.frontchannel_uri)

    @property
    def events_url(self) -> str | None:
        partner = self.profile.partner
        return self.url(partner.events_url) if partner is not None else None


    def landing(self, path: str) -> str:
        """The URL of the app's page at ``path``: a path under the app's base URL (``/account``
        of an app at ``http://host/app`` is ``http://host/app/account``), or one that names
        that base path already (``/app/account``, as a protected URL's path reads) as it is."""
        parts = urlsplit(self.base_url)
        base = parts.path.rstrip("/")
        if base and (path == base or path.startswith(base + "/")):
            return parts._replace(path="", query="", fragment="").geturl() + path
        return self.base_url + path

    # -- sign-in: .sign_in_urls, .partner_launch --------------------------------------------------
    def sign_in_names(self) -> tuple[str, ...]:
        return sign_in_urls.sign_in_names(self)

    def sign_in_url(self, name: str | None = None) -> str:
        return sign_in_urls.sign_in_url(self, name)

    def start_sign_in(self, page: Page, url: str) -> bool:
        """:func:`.sign_in_urls.start_sign_in`: click ``[sign_in] control`` when needed."""
        return sign_in_urls.start_sign_in(self, page, url)

    def lands_on(self, name: str | None = None) -> str | None:
        return sign_in_urls.lands_on(self, name)

    def protected_urls(self) -> tuple[str, ...]:
        return sign_in_urls.protected_urls(self)

    def launch_url(self, installation_id: str, user_id: str) -> str:
        return partner_launch.launch_url(self, installation_id, user_id)

    def launch_lands_on(self) -> str | None:
        return partner_launch.launch_lands_on(self)

    # -- signed in or not: .signed_in, .me_answer -------------------------------------------------
    def expect_signed_in(self, page: Page, person: Someone, *, lands_on: str | None = None
                         ) -> None:
        signed_in.expect_signed_in(self, page, person, lands_on=lands_on)

    def is_signed_in(self, page: Page) -> bool:
        """:func:`.signed_in.is_signed_in`: ``me_url``, else ``page``."""
        return signed_in.is_signed_in(self, page)

    def seen_signed_in(self, page: Page) -> bool:
        """:func:`.signed_in.seen_signed_in`: a session check, else what the page shows."""
        return signed_in.seen_signed_in(self, page)

    def shows_signed_in_now(self, page: Page) -> bool:
        """:func:`.signed_in.shows_signed_in_now`: one quick look."""
        return signed_in.shows_signed_in_now(self, page)

    def expect_signed_out(self, page: Page, *, why: str = "") -> None:
        signed_in.expect_signed_out(self, page, why=why)

    def me(self, page: Page) -> Mapping[str, str | None]:
        return me_answer.me(self, page)

    def holds_no_address(self, page: Page) -> bool:
        """:func:`.me_answer.holds_no_address`: ``[signed_in.me_json] email`` is null."""
        return me_answer.holds_no_address(self, page)

    def groups(self, page: Page) -> tuple[str, ...]:
        return me_answer.groups(self, page)

    def drop_session(self, page: Page) -> None:
        forget_app_session(page, self.base_url)

    # -- the failure page: .failure_page --------------------------------------------------------
    def expect_failure(self, page: Page, kind: str | None = None, *, idp_code: str | None = None,
                       contact: str | None = None) -> str | None:
        return failure_page.expect_failure(self, page, kind, idp_code=idp_code, contact=contact)

    def showing(self, page: Page) -> str:
        """What the browser shows, for a message (:func:`.page_looks.showing`)."""
        return page_looks.showing(page, self.base_url)

    def logged_error(self, reference: str) -> Mapping[str, object] | None:
        return failure_page.logged_error(self, reference)

    # -- sign-out: .sign_out ----------------------------------------------------------------------
    def sign_out(self, page: Page) -> None:
        sign_out.sign_out(self, page)

    def shows_sign_out_page(self, page: Page) -> bool | None:
        """:func:`.sign_out.shows_sign_out_page`: now, without waiting."""
        return sign_out.shows_sign_out_page(self, page)

    def expect_sign_out_page(self, page: Page) -> None:
        sign_out.expect_sign_out_page(self, page)

    # -- what an administrator does: .admin_calls ---------------------------------------------
    def configure(self) -> None:
        """Run the profile's ``[[configure]]`` calls, keeping what they capture."""
        admin_calls.configure(self)

    def renew_secret(self, secret: str, expires_on: date) -> None:
        admin_calls.renew_secret(self, secret, expires_on)

    def set_sso_enabled(self, enabled: bool) -> None:
        admin_calls.set_sso_enabled(self, enabled)

    def secret_expired(self) -> bool | None:
        return admin_calls.secret_expired(self)

    def installations_text(self) -> str | None:
        return admin_calls.installations_text(self)

    def add_connection(self, *, client_id: str, client_secret: str, support_contact: str
                       ) -> ProfileAdapter:
        """Configure again with another client: the adapter of that second connection."""
        if "multi-connection" not in self.capabilities:
            raise Unsupported(f"{self.name}: the profile cannot configure a second connection")
        values = {**self.values, "client_id": client_id, "client_secret": client_secret,
                  "support_contact": support_contact}
        second = ProfileAdapter(self.profile, self.server, values, self.http,
                                contact=support_contact)
        second.configure()
        return second

