"""Installing, rotating and uninstalling partner apps, and user.logout, through PlatformState."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

import httpx
import loops
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mock_idp.clock import MockClock
from mock_idp.config import IdpConfig
from mock_idp.platform import PlatformConfig, PlatformState, Subscription
from mock_idp.platform.directory import StoreDirectory
from mock_idp.platform.errors import AlreadyInstalled, InvalidField, NotFound, NotInstalled
from mock_idp.platform.signing import SIGNATURE_HEADER, SIGNATURE_ID_HEADER
from mock_idp.store import Application, Store

T = TypeVar("T")
LogoutScope = Literal["signed_in", "tenant"]
START = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
BASE = "http://idp.test"
TENANT_ID = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"
DOMAIN = "contoso.onmicrosoft.com"
APP_ID = "2b8e4f61-9c3a-4d7e-b5f2-08a6c1d9e473"
ALICE = "alice-oid"
EVENTS_URL = "http://rp.test/events"


@dataclass
class World:
    clock: MockClock
    store: Store
    platform: PlatformState
    received: list[dict[str, Any]] = field(default_factory=list)

    @property
    def app(self) -> Application:
        return self.store.tenants[TENANT_ID].apps[APP_ID]

    def secret_values(self) -> list[str]:
        return [s.value for s in self.app.secrets]


def with_world(
    scenario: Callable[[World], Awaitable[T]], *, logout_scope: LogoutScope = "signed_in"
) -> tuple[World, T]:
    clock = MockClock(frozen_at=START)
    store = Store.from_config(IdpConfig.default(clock=clock), START)
    received: list[dict[str, Any]] = []

    async def events(request: Request) -> Response:
        body = await request.body()
        received.append({"body": body, "headers": dict(request.headers)})
        return Response(status_code=200)

    receiver = Starlette(routes=[Route("/events", events, methods=["POST"])])

    async def main() -> tuple[World, T]:
        transport = httpx.ASGITransport(app=receiver)
        async with httpx.AsyncClient(transport=transport) as client:
            platform = PlatformState(
                clock=clock,
                http_client=client,
                directory=StoreDirectory(store),
                config=PlatformConfig(base_url=BASE, logout_scope=logout_scope),
            )
            world = World(clock=clock, store=store, platform=platform, received=received)
            return world, await scenario(world)

    return loops.run(main())


def oid(world: World, name: str) -> str:
    user = world.store.tenants[TENANT_ID].find_user(f"{name}@{DOMAIN}")
    assert user is not None
    return user.id


def sent(world: World) -> list[dict[str, Any]]:
    return [json.loads(r["body"]) for r in world.received]


def test_install_creates_an_installation_registers_the_secret_and_sends_app_installed() -> None:
    async def scenario(w: World) -> Any:
        return await w.platform.install(app_id=APP_ID, tenant=DOMAIN, events_url=EVENTS_URL)

    world, result = with_world(scenario)
    inst = result.installation
    assert len(inst.installation_id) == 32
    assert inst.tenant.id == TENANT_ID and inst.client_id == APP_ID
    assert result.delivery.delivered
    (event,) = sent(world)
    assert event == result.event
    assert event["type"] == "app.installed"
    assert event["data"]["installation_id"] == inst.installation_id
    assert event["data"]["account_name"] == DOMAIN
    assert event["data"]["client_secret"] in world.secret_values()
    assert world.platform.registry.get(inst.installation_id) == inst
    assert world.platform.registry.find(app_id=APP_ID, tenant_id=TENANT_ID) == inst

    headers = world.received[0]["headers"]
    (jwk,) = world.platform.jwks()["keys"]
    assert headers[SIGNATURE_ID_HEADER.lower()] == jwk["kid"]
    public_key = ECAlgorithm.from_jwk(jwk)
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(
        base64.b64decode(headers[SIGNATURE_HEADER.lower()]),
        world.received[0]["body"],
        ec.ECDSA(hashes.SHA256()),
    )


def test_install_defaults_to_the_apps_registered_events_url() -> None:
    async def scenario(w: World) -> Any:
        w.app.events_url = EVENTS_URL
        return await w.platform.install(app_id=APP_ID.upper(), tenant=TENANT_ID)

    world, result = with_world(scenario)
    assert result.installation.events_url == EVENTS_URL
    assert result.event["app_id"] == APP_ID
    assert len(world.received) == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"tenant": "fabrikam.onmicrosoft.com"}, NotFound, "tenant"),
        ({"app_id": "00000000-0000-0000-0000-000000000000"}, NotFound, "app_id"),
        ({"events_url": "ftp://rp.test/events"}, InvalidField, "events_url"),
        ({"events_url": "/events"}, InvalidField, "events_url"),
        ({"events_url": None}, InvalidField, "events_url"),  # and the app has none registered
    ],
)
def test_install_rejects_bad_input_naming_the_field(
    kwargs: dict[str, Any], error: type[Exception], field: str
) -> None:
    async def scenario(w: World) -> Exception:
        args: dict[str, Any] = {"app_id": APP_ID, "tenant": TENANT_ID, "events_url": EVENTS_URL}
        with pytest.raises(error) as caught:
            await w.platform.install(**{**args, **kwargs})
        return caught.value

    world, exc = with_world(scenario)
    assert exc.field == field  # type: ignore[attr-defined]
    assert world.received == [] and len(world.app.secrets) == 1


def test_installing_twice_is_a_conflict() -> None:
    async def scenario(w: World) -> None:
        await w.platform.install(app_id=APP_ID, tenant=TENANT_ID, events_url=EVENTS_URL)
        with pytest.raises(AlreadyInstalled):
            await w.platform.install(app_id=APP_ID, tenant=DOMAIN, events_url=EVENTS_URL)

    world, _ = with_world(scenario)
    assert len(world.received) == 1 and len(world.app.secrets) == 2


def test_rotate_replaces_the_secret_and_sends_credentials_rotated() -> None:
    async def scenario(w: World) -> tuple[str, Any]:
        installed = await w.platform.install(app_id=APP_ID, tenant=TENANT_ID, events_url=EVENTS_URL)
        w.clock.advance(timedelta(days=1))
        old = installed.installation.credential.secret_text
        return old, await w.platform.rotate_credentials(installed.installation.installation_id,
                                                        compromised=True)

    world, (old, result) = with_world(scenario)
    new = result.installation.credential.secret_text
    assert new != old
    assert old not in world.secret_values() and new in world.secret_values()
    rotated = sent(world)[1]
    assert rotated["type"] == "app.credentials_rotated"
    assert rotated["data"]["client_secret"] == new
    assert rotated["created_at"] == "2026-03-03T09:30:15Z"
    assert result.installation.rotated_at == START + timedelta(days=1)


def test_app_installed_hands_out_an_es256_key_pair_the_installation_keeps() -> None:
    async def scenario(w: World) -> tuple[Any, Any, Any]:
        installed = await w.platform.install(app_id=APP_ID, tenant=TENANT_ID, events_url=EVENTS_URL)
        inst_id = installed.installation.installation_id
        rotated = await w.platform.rotate_credentials(inst_id)
        await w.platform.uninstall(inst_id)
        again = await w.platform.install(app_id=APP_ID, tenant=TENANT_ID, events_url=EVENTS_URL)
        return installed, rotated, again

    world, (installed, rotated, again) = with_world(scenario)
    data = sent(world)[0]["data"]
    assert data["key_algorithm"] == "ES256"
    assert re.fullmatch(r"[0-9a-f]{32}", data["key_id"])
    assert data["private_key"].startswith("-----BEGIN PRIVATE KEY-----\n")  # PKCS#8
    assert data["public_key"].startswith("-----BEGIN PUBLIC KEY-----\n")  # SubjectPublicKeyInfo
    private_key = serialization.load_pem_private_key(data["private_key"].encode(), None)
    public_key = serialization.load_pem_public_key(data["public_key"].encode())
    assert isinstance(private_key, ec.EllipticCurvePrivateKey)
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert isinstance(private_key.curve, ec.SECP256R1)
    signature = private_key.sign(b"partner", ec.ECDSA(hashes.SHA256()))
    public_key.verify(signature, b"partner", ec.ECDSA(hashes.SHA256()))  # one pair

    key_members = {"private_key", "public_key", "key_id", "key_algorithm"}
    as_json = installed.installation.to_json(START)
    assert {k: as_json[k] for k in key_members} == {k: data[k] for k in key_members}
    new_key = rotated.installation.key
    assert new_key.key_id != data["key_id"] and new_key.private_pem != data["private_key"]
    assert {k: rotated.event["data"][k] for k in key_members} == new_key.to_json()
    assert rotated.event["data"]["account_name"] == DOMAIN
    assert again.installation.key.key_id != data["key_id"]
    assert again.installation.key.private_pem != data["private_key"]
    assert "PRIVATE" not in repr(installed.installation)


def test_a_routine_rotation_keeps_the_previous_secret_for_the_grace_period() -> None:
    async def scenario(w: World) -> tuple[str, str]:
        installed = await w.platform.install(app_id=APP_ID, tenant=TENANT_ID, events_url=EVENTS_URL)
        inst_id = installed.installation.installation_id
        w.clock.advance(timedelta(days=1))
        rotated = await w.platform.rotate_credentials(inst_id)
        return (
            installed.installation.credential.secret_text,
            rotated.installation.credential.secret_text,
        )

    world, (old, new) = with_world(scenario)
    ends = {s.value: s.end for s in world.app.secrets}
    assert ends[new] == START + timedelta(days=181)
    assert ends[old] == START + timedelta(days=8)  # seven days from the rotation


def test_uninstall_revokes_the_secret_and_sends_app_uninstalled() -> None:
    async def scenario(w: World) -> tuple[Any, Any]:
        installed = await w.platform.install(app_id=APP_ID, tenant=TENANT_ID, events_url=EVENTS_URL)
        inst_id = installed.installation.installation_id
        removed = await w.platform.uninstall(inst_id)
        with pytest.raises(NotInstalled):
            await w.platform.rotate_credentials(inst_id)
        with pytest.raises(NotInstalled):
            await w.platform.uninstall(inst_id)
        again = await w.platform.install(app_id=APP_ID, tenant=TENANT_ID, events_url=EVENTS_URL)
        return removed, again

    world, (removed, again) = with_world(scenario)
    gone = removed.installation
    assert gone.state == "uninstalled" and gone.uninstalled_at == START
    assert gone.credential.secret_text not in world.secret_values()
    assert [e["type"] for e in sent(world)] == ["app.installed", "app.uninstalled", "app.installed"]
    assert sent(world)[1]["data"] == {
        "installation_id": gone.installation_id,
        "account_id": TENANT_ID,
    }
    assert again.installation.installation_id != gone.installation_id
    assert world.platform.registry.get(gone.installation_id).state == "uninstalled"
    assert world.platform.registry.find(app_id=APP_ID, tenant_id=TENANT_ID) == again.installation


def test_unknown_installation_is_not_found() -> None:
    async def scenario(w: World) -> None:
        with pytest.raises(NotFound) as caught:
            await w.platform.rotate_credentials("0" * 32)
        assert caught.value.field == "installation_id"

    with_world(scenario)


def test_user_logout_goes_to_installations_the_user_signed_in_to() -> None:
    async def scenario(w: World) -> tuple[list[Any], list[Any], list[Any]]:
        installed = await w.platform.install(app_id=APP_ID, tenant=TENANT_ID, events_url=EVENTS_URL)
        assert installed.delivery.delivered
        bob = await w.platform.notify_user_logout(
            tenant_id=TENANT_ID, user_id="bob-oid", user_email="bob@contoso.onmicrosoft.com"
        )
        w.platform.note_sign_in(tenant_id=TENANT_ID, client_id=APP_ID, user_id=ALICE)
        first = await w.platform.notify_user_logout(
            tenant_id=TENANT_ID, user_id=ALICE, user_email="alice@contoso.onmicrosoft.com"
        )
        second = await w.platform.notify_user_logout(
            tenant_id=TENANT_ID, user_id=ALICE, user_email="alice@contoso.onmicrosoft.com"
        )
        return bob, first, second

    world, (bob, first, second) = with_world(scenario)
    assert bob == [] and second == []  # no sign-in since the installation / the last logout
    (result,) = first
    logout = sent(world)[-1]
    assert logout == result.event
    assert logout["type"] == "user.logout"
    assert logout["data"] == {
        "account_id": TENANT_ID,
        "user_id": ALICE,
        "user_email": "alice@contoso.onmicrosoft.com",
        "installation_id": result.installation.installation_id,
    }
    assert len(world.received) == 2


def test_user_logout_scope_tenant_tells_every_installation() -> None:
    async def scenario(w: World) -> list[Any]:
        await w.platform.install(app_id=APP_ID, tenant=TENANT_ID, events_url=EVENTS_URL)
        return await w.platform.notify_user_logout(
            tenant_id=TENANT_ID, user_id=ALICE, user_email="alice@contoso.onmicrosoft.com"
        )

    world, results = with_world(scenario, logout_scope="tenant")
    assert [r.event["type"] for r in results] == ["user.logout"]
    assert len(world.received) == 2


def test_update_sends_app_updated_with_object_ids_and_records_the_licences() -> None:
    async def scenario(w: World) -> tuple[Any, Any]:
        installed = await w.platform.install(app_id=APP_ID, tenant=TENANT_ID, events_url=EVENTS_URL)
        inst_id = installed.installation.installation_id
        removed = await w.platform.update(inst_id, removing=["alice@contoso.onmicrosoft.com",
                                                             "Bob@Contoso.onmicrosoft.com"],
                                          subscription_name="Paid Plus")
        added = await w.platform.update(inst_id, adding=[oid(w, "alice")], licenses=10)
        return removed, added

    world, (removed, added) = with_world(scenario)
    alice, bob = oid(world, "alice"), oid(world, "bob")
    assert removed.event["data"]["users"] == {"adding": [], "removing": [alice, bob]}
    assert removed.installation.unlicensed_users == {alice, bob}
    assert added.event["data"]["users"] == {"adding": [alice], "removing": []}
    assert added.event["data"]["subscription"] == {"adding": {"licenses": "10"}}
    assert added.installation.unlicensed_users == {bob}
    assert added.installation.subscription == Subscription(name="Paid Plus", licenses=10)
    assert [e["type"] for e in sent(world)] == ["app.installed", "app.updated", "app.updated"]
    assert world.platform.registry.get(added.installation.installation_id) == added.installation


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({}, InvalidField, "users"),
        ({"adding": [], "removing": []}, InvalidField, "users"),
        ({"adding": "alice@contoso.onmicrosoft.com"}, InvalidField, "users.adding"),
        ({"removing": ["x"] * 1001}, InvalidField, "users.removing"),
        ({"adding": ["bob@contoso.onmicrosoft.com", None]}, InvalidField, "users.adding[1]"),
        ({"adding": ["nobody@contoso.onmicrosoft.com"]}, NotFound, "users.adding[0]"),
        ({"adding": ["alice@contoso.onmicrosoft.com"], "removing": ["ALICE"]}, NotFound,
         "users.removing[0]"),
        ({"adding": ["alice@contoso.onmicrosoft.com"], "removing": ["<alice>"]}, InvalidField,
         "users"),
        ({"subscription_name": ""}, InvalidField, "subscription.name"),
        ({"subscription_name": "a\u202eb"}, InvalidField, "subscription.name"),
        ({"licenses": True}, InvalidField, "subscription.licenses"),
        ({"licenses": -1}, InvalidField, "subscription.licenses"),
        ({"licenses": 10_000_001}, InvalidField, "subscription.licenses"),
    ],
)
def test_update_rejects_bad_input_naming_the_field(
    kwargs: dict[str, Any], error: type[Exception], field: str
) -> None:
    async def scenario(w: World) -> tuple[Exception, Any]:
        installed = await w.platform.install(app_id=APP_ID, tenant=TENANT_ID, events_url=EVENTS_URL)
        args: dict[str, Any] = {k: [oid(w, "alice") if u == "<alice>" else u for u in v]
                                if isinstance(v, list) else v for k, v in kwargs.items()}
        with pytest.raises(error) as caught:
            await w.platform.update(installed.installation.installation_id, **args)
        return caught.value, installed.installation

    world, (exc, before) = with_world(scenario)
    assert exc.field == field  # type: ignore[attr-defined]
    assert len(world.received) == 1
    assert world.platform.registry.get(before.installation_id) == before


def test_update_needs_an_active_installation() -> None:
    async def scenario(w: World) -> None:
        with pytest.raises(NotFound):
            await w.platform.update("0" * 32, licenses=1)
        installed = await w.platform.install(app_id=APP_ID, tenant=TENANT_ID, events_url=EVENTS_URL)
        await w.platform.uninstall(installed.installation.installation_id)
        with pytest.raises(NotInstalled):
            await w.platform.update(installed.installation.installation_id, licenses=1)

    world, _ = with_world(scenario)
    assert [e["type"] for e in sent(world)] == ["app.installed", "app.uninstalled"]


def test_reset_forgets_installations_events_and_deliveries() -> None:
    async def scenario(w: World) -> str:
        installed = await w.platform.install(app_id=APP_ID, tenant=TENANT_ID, events_url=EVENTS_URL)
        kid = w.platform.jwks()["keys"][0]["kid"]
        w.platform.reset()
        assert w.platform.registry.all() == []
        assert w.platform.events() == [] and w.platform.delivery_log() == []
        assert w.platform.jwks()["keys"][0]["kid"] != kid
        return installed.installation.installation_id

    world, inst_id = with_world(scenario)
    with pytest.raises(NotFound):
        world.platform.registry.get(inst_id)
