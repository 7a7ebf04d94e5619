"""The people scenarios sign in as: the customer's users, and a user of another company."""

from __future__ import annotations

from dataclasses import dataclass

from mock_idp.config import DEFAULT_DOMAIN

__all__ = ["OTHER_ORGANIZATION", "PEOPLE", "ZED", "Person"]


@dataclass(frozen=True)
class Person:
    upn: str
    password: str
    name: str
    email: str | None = None
    """The user's mail when it is not the UPN (an app may hold it as the user's address:
    :meth:`scenarios.app.adapter.ProfileAdapter.expect_signed_in`); ``None``: the UPN."""


PEOPLE = {
    first: Person(f"{first}@{DEFAULT_DOMAIN}", f"P@ssw0rd-{first}", f"{first.title()} {last}")
    for first, last in (("alice", "Adams"), ("bob", "Brown"), ("carol", "Clark"),
                        ("dave", "Davis"))
}


OTHER_ORGANIZATION = {"id": "0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f",
                      "domain": "fabrikam.onmicrosoft.com", "name": "Fabrikam"}
"""Another company with its own tenant (``LiveStack.add_other_organization``)."""
ZED = Person(f"zed@{OTHER_ORGANIZATION['domain']}", "P@ssw0rd-zed", "Zed Zimmer")
