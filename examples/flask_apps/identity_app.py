"""A Flask app signing people in with Microsoft's ``identity`` package (MSAL underneath).

Only the glue is ours (``glue.py``: settings, pages, serving; here: the routes). Every OpenID
Connect decision (scopes, PKCE, nonce, which checks run on the tokens, the error page, the
sign-out URL) is the library's default.

Run::

    OIDC_AUTHORITY=https://127.0.0.1:8443/<tenant id> OIDC_CLIENT_ID=... \\
    OIDC_CLIENT_SECRET=... OIDC_REDIRECT_URI=http://localhost:5000/auth/callback \\
    OIDC_POST_LOGOUT_REDIRECT_URI=http://localhost:5000/signed-out \\
    OIDC_CA_FILE=/path/to/ca.pem python examples/flask_apps/identity_app.py --port 5000
"""

from __future__ import annotations

import secrets
from typing import Any

from cachelib import SimpleCache
from flask import Flask, jsonify, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from glue import Settings, main, new_app
from identity.flask import Auth  # type: ignore[import-untyped]
from identity.web import Auth as SessionAuth  # type: ignore[import-untyped]


def create_app(settings: Settings) -> Flask:
    app = new_app(__name__, library="identity", sign_out_endpoint="identity.logout")
    app.config.update(
        SECRET_KEY=secrets.token_hex(32),
        SESSION_TYPE="cachelib",  # Flask-Session, which identity requires
        SESSION_CACHELIB=SimpleCache(),
        SESSION_SERIALIZATION_FORMAT="json",
    )

    def signed_out() -> ResponseReturnValue:
        return render_template("signed_out.html")

    # identity builds the post-logout URL from this view and the request's host.
    app.add_url_rule(settings.signed_out_path, "signed_out", signed_out)
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
    @auth.login_required  # type: ignore[untyped-decorator]
    def login(*, context: dict[str, Any]) -> ResponseReturnValue:
        return redirect(url_for("account"))

    @app.get("/account")
    @auth.login_required  # type: ignore[untyped-decorator]
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


if __name__ == "__main__":
    main(create_app, required=("OIDC_AUTHORITY",), description=__doc__.splitlines()[0])
