"""A partner launch: the URL an installation's user opens the app by (``[partner]
launch_url``) and where it lands, for :class:`~scenarios.app.adapter.ProfileAdapter`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scenarios.app.interface import Unsupported
from scenarios.app.profile import PartnerSection
from scenarios.app.templating import render

if TYPE_CHECKING:
    from scenarios.app.adapter import ProfileAdapter


def launch_url(app: ProfileAdapter, installation_id: str, user_id: str) -> str:
    partner = _partner(app)
    filled = render(partner.launch_url, {**app.values, "installation_id": installation_id,
                                          "user_id": user_id},
                    url_encode=("installation_id", "user_id"))
    return app.url(filled)


def launch_lands_on(app: ProfileAdapter) -> str | None:
    return _partner(app).lands_on


def _partner(app: ProfileAdapter) -> PartnerSection:
    if app.profile.partner is None:
        raise Unsupported(f"{app.name}: the profile has no [partner] section")
    return app.profile.partner


