"""A toy scenario catalogue for the runner's own tests: a tiny Starlette page per worker."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from mock_idp.testing import run_in_thread
from scenarios import Registry, ScenarioContext, WorkerInfo

registry = Registry()
registry.keeps_pages = True  # as the shipped catalogue: the runner tests run on kept pages

RENDEZVOUS_ENV = "TOY_RENDEZVOUS_DIR"

FORM = """<!doctype html><title>Toy</title><h1>Toy sign-in</h1>
<form method="post" action="/signed-in">
<label>Password <input type="password" name="password"></label>
<button>Sign in</button></form>"""


async def home(_request: Request) -> HTMLResponse:
    return HTMLResponse(FORM)


async def signed_in(request: Request) -> HTMLResponse:
    form = await request.form()
    length = len(str(form.get("password", "")))
    return HTMLResponse(f"<!doctype html><h1>Welcome</h1><p>{length} characters</p>")


def toy_app() -> Starlette:
    return Starlette(routes=[Route("/", home), Route("/signed-in", signed_in, methods=["POST"])])


@dataclass(frozen=True, kw_only=True)
class ToyServer:
    base_url: str

    def url(self, path: str = "/") -> str:
        return f"{self.base_url}{path}"


@contextlib.contextmanager
def serve(app: Starlette, *, timeout: float = 10.0) -> Iterator[ToyServer]:
    """Serve ``app`` from a thread on an ephemeral port; stop within ``timeout`` seconds."""
    with run_in_thread(app, startup_timeout=timeout, shutdown_timeout=timeout) as running:
        yield ToyServer(base_url=running.base_url)


@dataclass(frozen=True, kw_only=True)
class ToyEnv:
    server: ToyServer
    worker: WorkerInfo


@registry.environment_factory
@contextlib.contextmanager
def toy_environment(worker: WorkerInfo) -> Iterator[ToyEnv]:
    with serve(toy_app()) as server:
        yield ToyEnv(server=server, worker=worker)


@registry.scenario(id="toy.pass.heading", title="Heading shows", proves="the page renders")
def heading(ctx: ScenarioContext[ToyEnv]) -> None:
    with ctx.step("open the page"):
        ctx.page.goto(ctx.env.server.url())
        expect(ctx.page.get_by_role("heading", name="Toy sign-in")).to_be_visible()


@registry.scenario(id="toy.pass.form", title="Form signs in", proves="forms post back")
def form(ctx: ScenarioContext[ToyEnv]) -> None:
    with ctx.step("open the page"):
        ctx.page.goto(ctx.env.server.url())
    with ctx.step("type a password"):
        ctx.page.get_by_label("Password").fill("correct horse battery staple")
    with ctx.step("sign in"):
        ctx.page.get_by_role("button", name="Sign in").click()
        expect(ctx.page.get_by_role("heading", name="Welcome")).to_be_visible()


@registry.scenario(
    id="toy.fail.assertion", title="Wrong heading", proves="failures are reported", tags={"bad"}
)
def wrong_heading(ctx: ScenarioContext[ToyEnv]) -> None:
    with ctx.step("open the page"):
        ctx.page.goto(ctx.env.server.url())
    with ctx.step("look for a heading that is not there"):
        expect(ctx.page.get_by_role("heading", name="Nothing like this")).to_be_visible(timeout=500)


@registry.scenario(id="toy.error.crash", title="Raises", proves="errors are reported")
def crash(ctx: ScenarioContext[ToyEnv]) -> None:
    ctx.page.goto(ctx.env.server.url())
    raise RuntimeError("the toy scenario broke on purpose")


@registry.scenario(id="toy.shots.reuse", title="Screenshots of changed pages only",
                   proves="a step that leaves the page as it was takes no new screenshot")
def shots_reuse(ctx: ScenarioContext[ToyEnv]) -> None:
    with ctx.step("nothing in the browser yet"):
        pass
    with ctx.step("open the page"):
        ctx.page.goto(ctx.env.server.url())
    with ctx.step("look at it again"):
        expect(ctx.page.get_by_role("heading", name="Toy sign-in")).to_be_visible()
    with ctx.step("type a password"):
        ctx.page.get_by_label("Password").fill("correct horse battery staple")


@registry.scenario(id="toy.shots.masked", title="A typed password is masked in step pictures",
                   proves="two passwords of different lengths picture the same")
def shots_masked(ctx: ScenarioContext[ToyEnv]) -> None:
    ctx.page.goto(ctx.env.server.url())
    for name, secret in (("short", "a"), ("long", "a-much-longer-secret-value")):
        with ctx.step(f"type a {name} password"):
            ctx.page.get_by_label("Password").fill(secret)


def _rendezvous(ctx: ScenarioContext[ToyEnv], peers: int = 2, timeout: float = 30.0) -> None:
    """Wait until ``peers`` distinct processes have arrived: passes only when run in parallel."""
    directory = Path(os.environ[RENDEZVOUS_ENV])
    (directory / f"{os.getpid()}.pid").write_text(ctx.scenario.id, encoding="utf-8")
    deadline = time.monotonic() + timeout
    while len(list(directory.glob("*.pid"))) < peers:
        assert time.monotonic() < deadline, "the other worker never ran a scenario alongside"
        time.sleep(0.05)
    ctx.page.goto(ctx.env.server.url())
    expect(ctx.page.get_by_role("heading", name="Toy sign-in")).to_be_visible()


@registry.scenario(id="toy.parallel.a", title="Meet B", proves="two workers run at once")
def parallel_a(ctx: ScenarioContext[ToyEnv]) -> None:
    with ctx.step("meet the other worker"):
        _rendezvous(ctx)


@registry.scenario(id="toy.parallel.b", title="Meet A", proves="two workers run at once")
def parallel_b(ctx: ScenarioContext[ToyEnv]) -> None:
    with ctx.step("meet the other worker"):
        _rendezvous(ctx)


empty = Registry()
