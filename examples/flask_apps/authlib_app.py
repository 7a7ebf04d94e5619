"""A Flask app signing people in with Authlib's Flask OAuth client.

Only the glue is ours (``glue.py``: settings, pages, serving; here: the routes). Every OpenID
Connect decision (state, nonce, which ID-token checks run and how the keys are found, the
end-session request) is Authlib's default; an error it raises gets Flask's default page.

Run::

    OIDC_DISCOVERY_URL=https://127.0.0.1:8443/<tenant>/v2.0/.well-known/openid-configuration \\
    OIDC_CLIENT_ID=... OIDC_CLIENT_SECRET=... \\
    OIDC_REDIRECT_URI=http://localhost:5100/auth/callback \\
    OIDC_POST_LOGOUT_REDIRECT_URI=http://localhost:5100/signed-out \\
    OIDC_CA_FILE=/path/to/ca.pem python examples/flask_apps/authlib_app.py --port 5100
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from authlib.integrations.flask_client import OAuth  # type: ignore[import-untyped]
from flask import Flask, jsonify, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from glue import Settings, main, new_app

SCOPE = "openid profile"


def create_app(settings: Settings) -> Flask:
    app = new_app(__name__, library="Authlib", sign_out_endpoint="logout")
    app.config.update(SECRET_KEY=secrets.token_hex(32))
    provider = OAuth(app).register(
        "provider", client_id=settings.client_id, client_secret=settings.client_secret,
        server_metadata_url=settings.discovery_url, client_kwargs={"scope": SCOPE})

    @app.get("/")
    def home() -> ResponseReturnValue:
        return render_template("home.html", user=session.get("user"))

    @app.get("/login")
    def login() -> ResponseReturnValue:
        response: ResponseReturnValue = provider.authorize_redirect(settings.redirect_uri)
        return response

    @app.get(urlsplit(settings.redirect_uri).path)
    def callback() -> ResponseReturnValue:
        token = provider.authorize_access_token()
        claims = token["userinfo"]
        session["user"] = {key: claims.get(key) for key in ("name", "preferred_username", "sub")}
        session["id_token"] = token["id_token"]
        return redirect(session.pop("next", None) or url_for("account"))

    @app.get("/account")
    def account() -> ResponseReturnValue:
        user = session.get("user")
        if not user:
            session["next"] = request.path
            return redirect(url_for("login"))
        return render_template("account.html", user=user)

    @app.get("/me")
    def me() -> ResponseReturnValue:
        user = session.get("user")
        if not user:
            return jsonify(error="not signed in"), 401
        return jsonify(user)

    @app.get("/logout")
    def logout() -> ResponseReturnValue:
        id_token = session.pop("id_token", None)
        session.pop("user", None)
        response: ResponseReturnValue = provider.logout_redirect(
            settings.post_logout_redirect_uri, id_token_hint=id_token)
        return response

    @app.get(settings.signed_out_path)
    def signed_out() -> ResponseReturnValue:
        provider.validate_logout_response()
        return render_template("signed_out.html")

    return app


if __name__ == "__main__":
    main(create_app, required=("OIDC_DISCOVERY_URL",), description=__doc__.splitlines()[0])
