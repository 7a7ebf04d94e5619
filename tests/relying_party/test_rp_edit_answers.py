"""What a connection save answers is what that save stored: the API's body and ETag are the
version it wrote, and the admin page after a form's save says when another change came after
it, rather than show that change's values as this save's."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from rp_support import OP_CONNECTION, RpHarness, database, etag_version


class _AfterUpdate:
    """The app's database connection, letting another process write right after each of the
    app's UPDATEs of a connection."""

    def __init__(self, own: sqlite3.Connection, other: sqlite3.Connection) -> None:
        self._own, self._other = own, other

    def __getattr__(self, name: str) -> Any:
        return getattr(self._own, name)

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        cursor = self._own.execute(sql, params)
        if sql.startswith("UPDATE connections SET name="):
            try:
                self._other.execute("UPDATE connections SET name='Other worker',"
                                    " version=version+1")
            except sqlite3.OperationalError:
                pass  # locked: the save's own transaction is still open
        return cursor


@pytest.fixture
def other_worker(rp: RpHarness, db_path: str) -> Iterator[sqlite3.Connection]:
    """Another process's connection to the same database, which renames every connection right
    after the app's UPDATE of one, if it can get in (it waits 50 ms)."""
    other = sqlite3.connect(db_path, timeout=0.05, isolation_level=None,
                            check_same_thread=False)
    sql = database(rp)._sql  # noqa: SLF001 (the app's own connection, to interleave with it)
    own = sql._conn  # noqa: SLF001
    sql._conn = _AfterUpdate(own, other)  # type: ignore[assignment]  # noqa: SLF001
    try:
        yield other
    finally:
        sql._conn = own  # noqa: SLF001
        other.close()


def test_a_patch_answers_the_version_it_wrote_not_a_later_one(
        rp: RpHarness, other_worker: sqlite3.Connection) -> None:
    cid = rp.add_connection()
    url = f"/api/admin/connections/{cid}"
    response = rp.client.patch(url, json={"name": "Contoso Ltd"}, headers={"If-Match": '"1"'})
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["version"]) == ("Contoso Ltd", 2)
    assert etag_version(response) == 2


def test_the_page_after_a_save_says_another_change_came_after_it(rp: RpHarness) -> None:
    cid = rp.add_connection()
    rp.admin_sign_in()
    edit = f"/admin/connections/{cid}"
    saved = rp.client.post(edit, data={**OP_CONNECTION, "client_secret": "",
                                       **rp.form_fields(f"{edit}/edit", edit),
                                       "name": "Contoso Ltd"})
    assert saved.status_code == 303
    # another admin renames it before this browser follows the redirect
    assert rp.client.patch(f"/api/admin/connections/{cid}", json={"name": "Fabrikam"},
                           headers={"If-Match": '"2"'}).status_code == 200
    page = rp.client.get(saved.headers["location"]).text
    notice = re.search(r'<p role="status" id="notice">([^<]*)</p>', page)
    assert notice is not None
    assert notice.group(1) == (f"Connection {cid} saved as version 2. It has been changed "
                               "again since: it is now at version 3, as below.")
    assert "Connection Fabrikam" not in notice.group(1)
