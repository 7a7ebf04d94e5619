"""A Flask app signing people in with Microsoft's ``identity`` package (MSAL underneath).

Only the glue is ours: settings from the environment, four pages and a JSON endpoint. Every
OpenID Connect decision (scopes, PKCE, nonce, which checks run on the tokens, the error page,
the sign-out URL) is the library's default.

Run::

    OIDC_AUTHORITY=https://127.0.0.1:8443/<tenant id> OIDC_CLIENT_ID=... \\
    OIDC_CLIENT_SECRET=... OIDC_REDIRECT_URI=http://localhost:5000/auth/callback \\
    OIDC_CA_FILE=/path/to/ca.pem python examples/flask_identity/app.py --port 5000
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cachelib import SimpleCache
from flask import Flask, jsonify, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from identity.flask import Auth  # type: ignore[import-untyped]
from identity.web import Auth as SessionAuth  # type: ignore[import-untyped]
from werkzeug.serving import WSGIRequestHandler

DEFAULT_PORT = 5000
REQUIRED = ("OIDC_AUTHORITY", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_REDIRECT_URI")


@dataclass(frozen=True, kw_only=True)
class Settings:
    authority: str
    """The Entra authority: ``https://<host>/<tenant id or domain>`` (https only, MSAL's rule)."""
    client_id: str
    client_secret: str
    redirect_uri: str
    """Absolute; ``identity`` mounts its callback at this path and sign-out beside it."""
    post_logout_redirect_uri: str | None = None
    """Only its path is used: ``identity`` builds the absolute URL from the request."""
    ca_file: str | None = None
    """The provider's CA certificate (PEM), trusted in addition to nothing else by ``requests``."""
    port: int = DEFAULT_PORT

    @classmethod
    def from_env(cls, environ: Mapping[str, str], port: int | None = None) -> Settings:
        missing = [name for name in REQUIRED if not environ.get(name)]
        if missing:
            raise SystemExit(f"missing environment variable(s): {', '.join(missing)}")
        return cls(
            authority=environ["OIDC_AUTHORITY"].rstrip("/"),
            client_id=environ["OIDC_CLIENT_ID"],
            client_secret=environ["OIDC_CLIENT_SECRET"],
            redirect_uri=environ["OIDC_REDIRECT_URI"],
            post_logout_redirect_uri=environ.get("OIDC_POST_LOGOUT_REDIRECT_URI") or None,
            ca_file=environ.get("OIDC_CA_FILE") or None,
            port=port if port is not None else int(environ.get("PORT") or DEFAULT_PORT),
        )


def create_app(settings: Settings) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secrets.token_hex(32),
        SESSION_TYPE="cachelib",
        SESSION_CACHELIB=SimpleCache(),
        SESSION_SERIALIZATION_FORMAT="json",
    )
    signed_out_path = urlsplit(settings.post_logout_redirect_uri or "").path or "/signed-out"

    def signed_out() -> ResponseReturnValue:
        return render_template("signed_out.html")

    app.add_url_rule(signed_out_path, "signed_out", signed_out)
    auth = Auth(app, authority=settings.authority, client_id=settings.client_id,
                client_credential=settings.client_secret, redirect_uri=settings.redirect_uri,
                post_logout_view=signed_out)
    # The same session keys, through the library's framework-neutral helper: it answers
    # "who is signed in?" without starting a sign-in.
    current = SessionAuth(session=session, authority=settings.authority,
                          client_id=settings.client_id,
                          client_credential=settings.client_secret)

    @app.get("/")
    def home() -> ResponseReturnValue:
        return render_template("home.html", user=current.get_user())

    @app.get("/login")
    @auth.login_required
    def login(*, context: dict[str, Any]) -> ResponseReturnValue:
        return redirect(url_for("account"))

    @app.get("/account")
    @auth.login_required
    def account(*, context: dict[str, Any]) -> ResponseReturnValue:
        return render_template("account.html", user=context["user"])

    @app.get("/me")
    def me() -> ResponseReturnValue:
        user = current.get_user()
        if not user:
            return jsonify(error="not signed in"), 401
        return jsonify(name=user.get("name"), preferred_username=user.get("preferred_username"),
                       sub=user.get("sub"), tid=user.get("tid"))

    return app


class PathOnlyLog(WSGIRequestHandler):
    """Werkzeug's request log without query strings: the callback's carries the code."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.requestline = re.sub(r"\?\S*", "", self.requestline)
        super().log_request(code, size)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("HOST") or "127.0.0.1")
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)
    settings = Settings.from_env(os.environ, args.port)
    if settings.ca_file:
        # requests (used by MSAL and by identity) reads its trust store from here.
        os.environ["REQUESTS_CA_BUNDLE"] = settings.ca_file
    app = create_app(settings)
    app.run(host=args.host, port=settings.port, threaded=True, request_handler=PathOnlyLog)


if __name__ == "__main__":
    main()
