"""The library's routes under ``oidc/`` (``authenticate/``, ``callback/``, ``logout/``, as its
documentation mounts them) and the app's pages."""

from __future__ import annotations

from django.conf import settings  # type: ignore[import-untyped]
from django.urls import include, path  # type: ignore[import-untyped]

from oidc_site import views

urlpatterns = [
    path("", views.home, name="home"),
    path("account", views.account, name="account"),
    path("me", views.me, name="me"),
    path(settings.LOGOUT_REDIRECT_URL.lstrip("/"), views.signed_out, name="signed-out"),
    path("oidc/", include("mozilla_django_oidc.urls")),
]
