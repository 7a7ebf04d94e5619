"""What the two Flask examples share: settings from the environment, the page templates and
how the app is served. The OpenID Connect part is in ``identity_app.py`` and
``authlib_app.py``, each written with its library's defaults."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, url_for

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True, kw_only=True)
class Settings:
    client_id: str
    client_secret: str
    redirect_uri: str
    """Absolute, as registered on the provider."""
    authority: str | None = None
    """The Entra authority ``https://<host>/<tenant>`` (identity; https only, MSAL's rule)."""
    discovery_url: str | None = None
    """The provider's OpenID configuration document (Authlib)."""
    post_logout_redirect_uri: str | None = None
    ca_file: str | None = None
    """The provider's CA certificate (PEM): the trust store of ``requests`` in this process."""
    port: int = 5000

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, required: tuple[str, ...],
                 port: int | None = None) -> Settings:
        names = ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_REDIRECT_URI", *required)
        missing = [name for name in names if not environ.get(name)]
        if missing:
            raise SystemExit(f"missing environment variable(s): {', '.join(missing)}")
        return cls(
            client_id=environ["OIDC_CLIENT_ID"],
            client_secret=environ["OIDC_CLIENT_SECRET"],
            redirect_uri=environ["OIDC_REDIRECT_URI"],
            authority=(environ.get("OIDC_AUTHORITY") or "").rstrip("/") or None,
            discovery_url=environ.get("OIDC_DISCOVERY_URL") or None,
            post_logout_redirect_uri=environ.get("OIDC_POST_LOGOUT_REDIRECT_URI") or None,
            ca_file=environ.get("OIDC_CA_FILE") or None,
            port=port if port is not None else _port(environ.get("PORT") or "5000"),
        )

    @property
    def signed_out_path(self) -> str:
        return urlsplit(self.post_logout_redirect_uri or "").path or "/signed-out"


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise SystemExit(f"PORT is not a port number: {text!r}")
    return int(text)


def new_app(import_name: str, *, library: str, sign_out_endpoint: str) -> Flask:
    """A Flask app with the shared templates; they name ``library`` and link sign-out to
    ``sign_out_endpoint``."""
    app = Flask(import_name, template_folder=str(TEMPLATES))

    @app.context_processor
    def page_context() -> dict[str, object]:
        return {"library": library, "sign_out_url": lambda: url_for(sign_out_endpoint)}

    return app


def main(create_app: Callable[[Settings], Flask], *, required: tuple[str, ...],
         description: str, argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default=os.environ.get("HOST") or "127.0.0.1")
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)
    settings = Settings.from_env(os.environ, required=required, port=args.port)
    if settings.ca_file:
        # requests (under MSAL, identity and Authlib) reads its trust store from here.
        os.environ["REQUESTS_CA_BUNDLE"] = settings.ca_file
    app = create_app(settings)
    # Werkzeug's request log would print the callback's query string, authorization code
    # included; errors still reach Flask's own log.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    print(f"serving on http://{args.host}:{settings.port}", flush=True)
    app.run(host=args.host, port=settings.port, threaded=True)
