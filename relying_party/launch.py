"""The standalone URL (``GET /launch``): a platform user opens the installed app, and the
code flow starts at once with the installation's provider, with no page in between.

``user_id`` is only a login hint, never who signs in: that is whoever the provider
authenticates, and whether they may use the app (a licence, :mod:`relying_party.partner`) is
decided only then. A launch URL that gives a parameter twice is refused, not guessed at.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

from .failure import FailureSource, SignInFailed
from .inputs import shown_id
from .login import begin_login
from .login_errors import AmbiguousLaunch, InstallationInactive, UnknownInstallation
from .provider import client_for_installation
from .web import get_only, state_of

PARTNER_HOME = "/"
LAUNCH_PATH = "/launch"
"""Only ``GET``: another method ends on the failure page
(:class:`relying_party.login_errors.LaunchRefused`, 405); ``HEAD`` is the 405 alone, not kept
in the error log."""
_HINT = re.compile(r"[\w.@+\-]{1,256}")


def _param(request: Request, name: str) -> str | None:
    """``name`` or ``talkdesk_{name}``, given once; :class:`AmbiguousLaunch` when the URL gives
    it more than once, in either spelling or both."""
    given = [(key, value) for key, value in request.query_params.multi_items()
             if key in (name, f"talkdesk_{name}")]
    if len(given) > 1:
        raise AmbiguousLaunch([key for key, _ in given])
    return given[0][1] if given else None


async def launch(request: Request) -> Response:
    """Start the code flow at once for an installation. ``user_id`` is only a login hint."""
    rp = state_of(request)
    contact = rp.settings.partner_support_contact
    try:
        installation_id = _param(request, "installation_id")
        user_id = _param(request, "user_id")
    except AmbiguousLaunch as exc:
        raise SignInFailed(exc, FailureSource(kind=None, id=None, support_contact=contact)
                           ) from None
    source = FailureSource(
        kind="installation" if installation_id else None,
        id=installation_id,
        support_contact=contact,
    )
    if not installation_id:
        raise SignInFailed(UnknownInstallation("launch without installation_id"), source)
    installation = rp.db.installations.get(installation_id)
    if installation is None:
        raise SignInFailed(UnknownInstallation(f"installation {shown_id(installation_id)}"),
                           source)
    if not installation.active:
        raise SignInFailed(InstallationInactive(f"installation {installation_id!r}"), source)
    hint = user_id if user_id and _HINT.fullmatch(user_id) else None
    client = client_for_installation(installation, rp.settings)
    return await begin_login(request, client, return_to=PARTNER_HOME, login_hint=hint)


routes = [get_only(LAUNCH_PATH, launch)]
