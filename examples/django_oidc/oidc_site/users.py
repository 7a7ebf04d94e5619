"""The two pieces of code the library's documentation asks an app to write itself: copying
the person's name into the Django user it creates (its "Changing how Django users are created"
example), and the URL of the provider's sign-out (``OIDC_OP_LOGOUT_URL_METHOD``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings  # type: ignore[import-untyped]
from django.http import HttpRequest  # type: ignore[import-untyped]
from mozilla_django_oidc.auth import OIDCAuthenticationBackend  # type: ignore[import-untyped]


class NamedUserBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    """The library's backend; the users it creates and updates carry the UserInfo names."""

    def create_user(self, claims: dict[str, Any]) -> Any:
        user = super().create_user(claims)
        return self.update_user(user, claims)

    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        user.first_name = claims.get("given_name", "")
        user.last_name = claims.get("family_name", "")
        user.save()
        return user


def provider_logout(request: HttpRequest) -> str:
    """Where the library's logout view sends the browser once it has signed the user out of
    Django: the provider's end-session endpoint with the client and the post-logout redirect
    URI (the library keeps no ID token by default, so there is no ``id_token_hint``)."""
    if not settings.END_SESSION_ENDPOINT:
        return str(settings.LOGOUT_REDIRECT_URL)
    params = {"client_id": settings.OIDC_RP_CLIENT_ID}
    if settings.POST_LOGOUT_REDIRECT_URI:
        params["post_logout_redirect_uri"] = settings.POST_LOGOUT_REDIRECT_URI
    return f"{settings.END_SESSION_ENDPOINT}?{urlencode(params)}"
