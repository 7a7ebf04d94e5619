"""A Django app signing people in with Mozilla's ``mozilla-django-oidc``.

Only the glue is ours (``oidc_site/``: settings from the environment, the provider's endpoints
read from its discovery document once at start-up, since the library takes them as settings and
does no discovery, four pages and a JSON endpoint). Every OpenID Connect decision is the
library's default: the authorization code flow with a ``state`` and a nonce kept in the
session, no PKCE, the code redeemed with the client secret in the body, the ID token's RS256
signature checked against the provider's key set (fetched at each sign-in), the user's claims
taken from UserInfo and the Django user found or created by e-mail; its callback sends every
failure it catches back to ``/`` and lets Django answer the others (400 for a suspicious
response, 500 for an error).

Run::

    OIDC_DISCOVERY_URL=https://127.0.0.1:8443/<tenant>/v2.0/.well-known/openid-configuration \\
    OIDC_CLIENT_ID=... OIDC_CLIENT_SECRET=... \\
    OIDC_REDIRECT_URI=http://localhost:8000/oidc/callback/ \\
    OIDC_POST_LOGOUT_REDIRECT_URI=http://localhost:8000/signed-out \\
    OIDC_CA_FILE=/path/to/ca.pem python examples/django_oidc/server.py --port 8000
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from pathlib import Path
from types import FrameType

HERE = Path(__file__).resolve().parent


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)  # unwinds to the finally below, which removes the database


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("HOST") or "127.0.0.1")
    parser.add_argument("--port", default=None)
    args = parser.parse_args(argv)
    port = args.port or os.environ.get("PORT") or "8000"
    sys.path.insert(0, str(HERE))
    from oidc_site.provider import fail

    if not port.isdigit() or not 0 <= int(port) <= 65535:
        fail(f"PORT is not a port number: {port!r}")
    signal.signal(signal.SIGTERM, _stop)
    with tempfile.TemporaryDirectory(prefix="django-oidc-") as data:
        # The users and sessions live in a SQLite file of this process's own, made afresh.
        os.environ["DJANGO_DATABASE"] = str(Path(data) / "db.sqlite3")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oidc_site.settings")
        import django  # type: ignore[import-untyped]
        from django.core.management import call_command  # type: ignore[import-untyped]

        django.setup()  # reads the settings: a missing one stops here, named
        call_command("migrate", verbosity=0, interactive=False)
        print(f"serving on http://{args.host}:{port}", flush=True)
        call_command("runserver", f"{args.host}:{port}", use_reloader=False,
                     skip_checks=True)


if __name__ == "__main__":
    main()
