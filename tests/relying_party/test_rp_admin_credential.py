"""A replaced admin credential ends what the old one opened, in running workers too: a restart
with a new ``RP_ADMIN_TOKEN`` ends the old admin sessions, and ``--new-admin-token`` reaches a
worker that is already serving within a few seconds (on its clock)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from asgi_client import AppClient
from rp_support import MovableClock

from relying_party import Settings, create_app
from relying_party.__main__ import admin_token_notice

OLD = "old-admin-token-0123456789abcdef"
NEW = "new-admin-token-0123456789abcdef"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _signed_in(client: AppClient, token: str) -> None:
    client.get("/admin/sign-in")
    response = client.post("/admin/sign-in", data={
        "csrf_token": client.cookies.get("rp_csrf"), "admin_token": token, "next": "/admin"})
    assert response.status_code == 303, response.text
    assert client.get("/admin").status_code == 200


@pytest.mark.parametrize(("restarted_with", "session_status"), [(NEW, 401), (OLD, 200)])
def test_a_restart_with_a_new_token_ends_the_old_admin_sessions(
    make_settings: Callable[..., Settings], restarted_with: str, session_status: int,
) -> None:
    """A restart with another token ends the admin sessions; with the same one keeps them."""
    with AppClient(create_app(make_settings(admin_token=OLD)), follow_redirects=False) as before:
        _signed_in(before, OLD)
        cookie = before.cookies.get("rp_admin")
    assert cookie
    with AppClient(create_app(make_settings(admin_token=restarted_with)),
                   follow_redirects=False) as after:
        after.cookies.set("rp_admin", cookie)
        assert after.get("/admin").status_code == session_status
        old = after.get("/api/admin/connections", headers=_bearer(OLD)).status_code
        assert old == (200 if restarted_with == OLD else 401)
        assert after.get("/api/admin/connections",
                         headers=_bearer(restarted_with)).status_code == 200


def test_a_new_admin_token_reaches_a_running_worker(
    make_settings: Callable[..., Settings], db_path: str, clock: MovableClock,
) -> None:
    first = admin_token_notice(db_path, None, renew=False)
    assert first
    old = first.rsplit(" ", 1)[1]
    app = create_app(make_settings(admin_token=None))
    with AppClient(app, follow_redirects=False) as worker:
        assert worker.get("/api/admin/connections", headers=_bearer(old)).status_code == 200
        _signed_in(worker, old)
        renewed = admin_token_notice(db_path, None, renew=True)
        assert renewed
        new = renewed.rsplit(" ", 1)[1]
        # The admin session ends at once; bearer calls follow within a few seconds.
        assert worker.get("/admin").status_code == 401
        clock.advance(seconds=5)
        assert worker.get("/api/admin/connections", headers=_bearer(old)).status_code == 401
        assert worker.get("/api/admin/connections", headers=_bearer(new)).status_code == 200
        # The sign-in form takes only the new token.
        worker.get("/admin/sign-in")
        refused = worker.post("/admin/sign-in", data={
            "csrf_token": worker.cookies.get("rp_csrf"), "admin_token": old, "next": "/admin"})
        assert refused.status_code == 401
        _signed_in(worker, new)


def test_the_sign_in_form_reads_the_credential_afresh(
    make_settings: Callable[..., Settings], db_path: str,
) -> None:
    first = admin_token_notice(db_path, None, renew=False)
    assert first
    old = first.rsplit(" ", 1)[1]
    with AppClient(create_app(make_settings(admin_token=None)), follow_redirects=False) as worker:
        assert worker.get("/api/admin/connections", headers=_bearer(old)).status_code == 200
        assert admin_token_notice(db_path, None, renew=True)
        worker.get("/admin/sign-in")
        refused = worker.post("/admin/sign-in", data={
            "csrf_token": worker.cookies.get("rp_csrf"), "admin_token": old, "next": "/admin"})
        assert refused.status_code == 401
