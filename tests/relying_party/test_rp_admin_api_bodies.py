"""A body member the admin API does not take is refused, 400 naming it, never ignored; and one
answer names every refused member."""

from __future__ import annotations

from fake_apps_api import platform_error
from rp_support import INSTALLATION, OP_CONNECTION, RpHarness, installed_body, outcome, settle

RETRY_API = f"/api/admin/installations/{INSTALLATION}/acknowledge"


def test_a_member_sent_to_acknowledge_is_refused_and_nothing_is_retried(rp: RpHarness) -> None:
    rp.op.apps_api.fault = lambda *_: platform_error(409, "conflict", "not now")
    assert outcome(rp, installed_body(rp)) == "installed"
    settle(rp.client)
    rp.op.apps_api.fault = None
    calls = len(rp.op.apps_api.calls)
    response = rp.client.post(RETRY_API, json={"kind": "approval"})
    assert response.status_code == 400, response.text
    assert set(response.json()["fields"]) == {"kind"}
    assert len(rp.op.apps_api.calls) == calls
    assert rp.client.get("/api/admin/installations").json()[0]["approval"]["state"] == "failed"
    assert rp.client.post(RETRY_API, json={}).status_code == 200


def test_a_new_connection_with_a_bad_id_and_a_bad_field_names_both(rp: RpHarness) -> None:
    response = rp.client.post("/api/admin/connections",
                              json={**OP_CONNECTION, "id": "../x", "name": 5, "nmae": "x"})
    assert response.status_code == 400, response.text
    assert set(response.json()["fields"]) == {"id", "name", "nmae"}
    assert rp.client.get("/api/admin/connections").json() == []
