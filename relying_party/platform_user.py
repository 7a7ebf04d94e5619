"""Who signed in, as the platform knows them: the platform user id of a partner sign-in.

After the code exchange a partner app calls the installation's ``userinfo`` link (the
platform's ``GET /users/me``, from ``app.installed``) with the user's access token, and the
``id`` it answers is the platform user id: the one ``app.updated`` licences and ``user.logout``
signs out (docs.talkdesk.com/docs/authenticating-users). Nothing else names the user: not the
launch URL's ``user_id`` (a hint anyone can forge), nor a claim of the ID token, which the
platform does not promise to be that id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .inputs import InputError, identifier
from .login_errors import UnmappedUser
from .oidc.errors import UserinfoFailed

NO_ID_HINT = (
    "The platform's answer to the installation's userinfo link (GET /users/me) named no "
    "user id, so the user cannot be matched to the platform's user (see the detail). Check "
    "that the installation's userinfo link (app.installed, _links.userinfo) is the platform's "
    "/users/me.")
FAILED_HINT = (
    "The platform's userinfo link of the installation (GET /users/me, app.installed's "
    "_links.userinfo) refused this sign-in's access token or failed (see the detail): the app "
    "must be installed, and active, in the user's account. Reinstalling the app sends a new "
    "link.")


def platform_user_id(answer: Mapping[str, Any] | None) -> str:
    """The ``id`` the installation's userinfo link answered, held to the rules of the ids the
    platform's events name users by; :class:`UnmappedUser` when it gave none usable."""
    if answer is None:
        raise UnmappedUser("the installation has no userinfo link to ask who signed in",
                           admin_hint=NO_ID_HINT)
    try:
        return identifier(answer.get("id"), "id")
    except InputError as exc:
        raise UnmappedUser(f"the installation's userinfo link answered no usable id: {exc}",
                           admin_hint=NO_ID_HINT) from None


def link_failed(exc: UserinfoFailed) -> UserinfoFailed:
    """``exc`` (the installation's userinfo link refused or failed) told as the platform's."""
    return UserinfoFailed(f"the installation's userinfo link: {exc.detail}",
                          admin_hint=FAILED_HINT)
