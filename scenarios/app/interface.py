"""What scenarios may ask of the app under test: the :class:`AppAdapter` Protocol.

:class:`scenarios.app.adapter.ProfileAdapter` answers it from an app profile; anything else
that answers it (an adapter written in Python for an app no profile can describe) can run the
catalogue too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = ["AppAdapter", "Someone", "Unsupported"]


class Someone(Protocol):
    """A person the scenarios sign in as. One with an ``email`` attribute (a mail that is not
    its UPN) may be held by the app under that address too."""

    @property
    def upn(self) -> str: ...

    @property
    def name(self) -> str: ...


class Unsupported(RuntimeError):
    """A scenario asked for something the profile does not describe (it should have been
    skipped: its ``needs`` are missing a capability)."""


class AppAdapter(Protocol):
    """What scenarios may do with the app under test."""

    @property
    def name(self) -> str: ...

    @property
    def base_url(self) -> str: ...

    @property
    def capabilities(self) -> frozenset[str]: ...

    @property
    def contact(self) -> str:
        """The support contact its failure pages show."""

    @property
    def redirect_uri(self) -> str: ...

    @property
    def redirect_uris(self) -> list[str]:
        """Every redirect URI (a partner launch may come back to another than a connection's,
        the first)."""

    @property
    def post_logout_redirect_uri(self) -> str | None: ...

    @property
    def backchannel_uri(self) -> str | None: ...

    @property
    def frontchannel_uri(self) -> str | None: ...

    @property
    def events_url(self) -> str | None: ...

    def url(self, path: str) -> str:
        """An absolute URL of the app for a path or template."""

    def sign_in_names(self) -> tuple[str, ...]: ...

    def sign_in_url(self, name: str | None = None) -> str:
        """A named sign-in URL (``None``: the first one, else the first protected URL)."""

    def lands_on(self, name: str | None = None) -> str | None:
        """Where that sign-in URL ends once signed in (when the profile says)."""

    def protected_urls(self) -> tuple[str, ...]: ...

    def launch_url(self, installation_id: str, user_id: str) -> str: ...

    def launch_lands_on(self) -> str | None: ...

    def expect_signed_in(self, page: Page, person: Someone, *, lands_on: str | None = None
                         ) -> None: ...

    def expect_signed_out(self, page: Page, *, why: str = "") -> None: ...

    def me(self, page: Page) -> Mapping[str, str | None]:
        """The ``[signed_in.me_json]`` fields of the ``me_url`` JSON (empty without them)."""

    def groups(self, page: Page) -> tuple[str, ...]:
        """The group ids the app holds for the signed-in user (``[signed_in.me_json]``
        ``groups``)."""

    def drop_session(self, page: Page) -> None:
        """Forget the app's session in this browser: its cookies and its pages' web storage
        (the provider's session stays)."""

    def expect_failure(self, page: Page, kind: str | None = None, *, idp_code: str | None = None,
                       contact: str | None = None) -> str | None:
        """Expect the failure page; return its error reference (when the profile finds one)."""

    def logged_error(self, reference: str) -> Mapping[str, object] | None: ...

    def sign_out(self, page: Page) -> None: ...

    def expect_sign_out_page(self, page: Page) -> None: ...

    def shows_sign_out_page(self, page: Page) -> bool | None:
        """Whether the browser shows the app's signed-out page now, without waiting (``None``:
        the profile does not say what it looks like)."""

    def renew_secret(self, secret: str, expires_on: date) -> None: ...

    def set_sso_enabled(self, enabled: bool) -> None: ...

    def secret_expired(self) -> bool | None: ...

    def installations_text(self) -> str | None: ...

    def add_connection(self, *, client_id: str, client_secret: str, support_contact: str
                       ) -> AppAdapter: ...
