"""Django settings: the library's documented ones, from the environment the other examples
read (see ``provider.py``). Settings the library has a default for are left out, so its
defaults hold (nonce on, no PKCE, no session refresh, POST-only logout, ...)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from oidc_site import provider

ENV = provider.from_env(os.environ)
DISCOVERY = provider.discover(ENV)

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = secrets.token_hex(32)
DEBUG = False
ALLOWED_HOSTS = [ENV.host]
ROOT_URLCONF = "oidc_site.urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "mozilla_django_oidc",  # the library's install step: its app in INSTALLED_APPS
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [BASE_DIR / "templates"],
    "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                       "django.contrib.auth.context_processors.auth"]},
}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                         "NAME": os.environ.get("DJANGO_DATABASE") or ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True

AUTHENTICATION_BACKENDS = ["oidc_site.users.NamedUserBackend"]
LOGIN_URL = "oidc_authentication_init"
LOGIN_REDIRECT_URL = "/account"
LOGOUT_REDIRECT_URL = ENV.signed_out_path

OIDC_RP_CLIENT_ID = ENV.client_id
OIDC_RP_CLIENT_SECRET = ENV.client_secret
# The provider signs its ID tokens with RS256: the library's default (HS256, keyed with the
# client secret) cannot check them, so its documentation has RS256 set with the key set's URL.
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_OP_JWKS_ENDPOINT = DISCOVERY["jwks_uri"]
OIDC_OP_AUTHORIZATION_ENDPOINT = DISCOVERY["authorization_endpoint"]
OIDC_OP_TOKEN_ENDPOINT = DISCOVERY["token_endpoint"]
OIDC_OP_USER_ENDPOINT = DISCOVERY["userinfo_endpoint"]
# The library's default scopes are "openid email"; "profile" adds the name claims UserInfo
# answers with, which the user backend copies (the documentation's example of doing so).
OIDC_RP_SCOPES = "openid email profile"
# The provider's CA: ``requests``' verify takes a CA bundle's path as well as True or False.
OIDC_VERIFY_SSL = ENV.verify
# Sign-out goes on to the provider's end-session endpoint (the library's hook for it).
OIDC_OP_LOGOUT_URL_METHOD = "oidc_site.users.provider_logout"
END_SESSION_ENDPOINT = DISCOVERY.get("end_session_endpoint") or ""
POST_LOGOUT_REDIRECT_URI = ENV.post_logout_redirect_uri or ""

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # runserver's request log would print the callback's query string, authorization code
    # included; errors are logged by django.request (the path and the exception, no query
    # string), which Django sends only to the administrators' mail unless DEBUG is on.
    "loggers": {"django.server": {"handlers": ["console"], "level": "CRITICAL",
                                  "propagate": False},
                "django.request": {"handlers": ["console"], "level": "ERROR",
                                   "propagate": False},
                # What a 400 refused (the library's SuspiciousOperation: state, nonce,
                # signature).
                "django.security": {"handlers": ["console"], "level": "ERROR",
                                    "propagate": False},
                "mozilla_django_oidc": {"handlers": ["console"], "level": "WARNING"}},
}
