"""A worker hands one scenario's browser context and page, cleaned, to the next
(scenarios.clean_page): nothing the first leaves in the browser reaches the second.

The first scenario leaves all it can: cookies (from a response, a script and Playwright),
local and session storage of two origins, IndexedDB, Cache Storage, a service worker,
``window.name``, history, an HTTP-cached script, console messages, a page error, routes, a
listener, a popup and the mouse over the page. The second, on the same context and page, must
find none of it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from scenarios import Registry, ScenarioContext, WorkerInfo, devtools
from scenarios.clean_page import NOT_YET, PageSource, _remove_new_listeners
from scenarios.runner import RunOptions, run

from .toy_catalogue import ToyServer, serve

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><title>Clean</title>
<style>#all { position: fixed; inset: 0; }</style><div id="all">page</div>"""
SERVICE_WORKER = "self.addEventListener('fetch', () => {});"
LEAVE = """async (frameUrl) => {
  document.cookie = "script=1; max-age=3600";
  localStorage.setItem("left", "1");
  sessionStorage.setItem("left", "1");
  window.name = "left";
  await new Promise((done) => { indexedDB.open("left").onsuccess = done; });
  await (await caches.open("left")).put("/cached", new Response("x"));
  await navigator.serviceWorker.register("/sw.js");
  await navigator.serviceWorker.ready;
  await new Promise((done) => {
    const script = document.createElement("script");
    script.src = "/cached.js"; script.onload = done; document.head.append(script);
  });
  await new Promise((done) => {
    const frame = document.createElement("iframe");
    frame.src = frameUrl; frame.onload = done; document.body.append(frame);
  });
}"""
FIND = """async () => ({
  cookies: document.cookie,
  local: localStorage.getItem("left"),
  session: sessionStorage.getItem("left"),
  name: window.name,
  databases: (await indexedDB.databases()).map((d) => d.name),
  caches: await caches.keys(),
  workers: (await navigator.serviceWorker.getRegistrations()).length,
  history: history.length,
  hovered: document.querySelectorAll(":hover").length,
})"""
CLEAN = {"local": None, "session": None, "name": "", "databases": [],
         "caches": [], "workers": 0, "history": 2, "hovered": 0}
"""What a scenario finds on its first document. A new page would show one history entry: a
kept page's first document comes after ``about:blank``."""


@dataclass
class Sites:
    main: ToyServer
    other: ToyServer
    script_loads: list[str]


def _main_site(loads: list[str]) -> Starlette:
    async def page(_request: Request) -> Response:
        response = HTMLResponse(PAGE)
        response.set_cookie("server", "1", max_age=3600)
        return response

    async def script(_request: Request) -> Response:
        loads.append("cached.js")
        return Response("window.scriptRan = true;", media_type="text/javascript",
                        headers={"Cache-Control": "max-age=3600"})

    async def worker(_request: Request) -> Response:
        return Response(SERVICE_WORKER, media_type="text/javascript")

    return Starlette(routes=[Route("/", page), Route("/two", page), Route("/cached.js", script),
                             Route("/sw.js", worker)])


def _other_site() -> Starlette:
    async def frame(_request: Request) -> Response:
        return HTMLResponse("<script>localStorage.setItem('left', '1')</script>")

    async def probe(_request: Request) -> Response:
        return HTMLResponse("<script>parent.postMessage(localStorage.getItem('left'), '*')"
                            "</script>")

    return Starlette(routes=[Route("/frame", frame), Route("/probe", probe)])


@pytest.fixture(scope="module")
def sites() -> Iterator[Sites]:
    loads: list[str] = []
    with serve(_main_site(loads)) as main, serve(_other_site()) as other:
        # Another site than the main one: 127.0.0.1 and localhost.
        yield Sites(main=main, other=ToyServer(base_url=other.base_url.replace(
            "127.0.0.1", "localhost")), script_loads=loads)


def _registry(sites: Sites, *, keeps_pages: bool = True) -> Registry:
    registry = Registry()
    registry.keeps_pages = keeps_pages

    @registry.environment_factory
    @contextlib.contextmanager
    def environment(_worker: WorkerInfo) -> Iterator[Sites]:
        yield sites

    return registry


def _frame_storage(ctx: ScenarioContext[Any], sites: Sites) -> object:
    """The other site's local storage, read by a frame of it."""
    return ctx.page.evaluate("""(url) => new Promise((done) => {
      addEventListener("message", (event) => done(event.data), { once: true });
      const frame = document.createElement("iframe"); frame.src = url; document.body.append(frame);
    })""", sites.other.url("/probe"))


def test_nothing_one_scenario_leaves_in_the_browser_reaches_the_next(
        tmp_path: Path, sites: Sites) -> None:
    registry = _registry(sites)
    seen: dict[str, Any] = {}
    heard: list[str] = []

    @registry.scenario(id="clean.leave", title="leave", proves="state is left behind")
    def leave(ctx: ScenarioContext[Sites]) -> None:
        seen["pair"] = (ctx.context, ctx.page)
        sites.script_loads.clear()
        page = ctx.page
        page.goto(sites.main.url())
        page.evaluate(LEAVE, sites.other.url("/frame"))
        assert page.evaluate(FIND)["workers"] == 1
        assert sites.script_loads == ["cached.js"]
        page.goto(sites.main.url("/two"))
        with page.expect_event("pageerror"):  # not a fixed wait: a busy machine is slower
            page.evaluate("console.log('left'); setTimeout(() => { throw new Error('left'); })")
        assert page.console_messages() and page.page_errors()
        page.on("console", lambda message: heard.append(message.text))
        page.route("**/routed", lambda route: route.fulfill(body="from the page's route"))
        ctx.context.route("**/also-routed", lambda route: route.fulfill(body="from a route"))
        ctx.context.new_page()
        ctx.context.add_cookies([{"name": "added", "value": "1", "url": "http://rp.test/"}])
        page.mouse.move(200, 200)
        assert page.evaluate(FIND)["hovered"] > 0

    @registry.scenario(id="clean.find", title="find", proves="nothing reaches the next")
    def find(ctx: ScenarioContext[Sites]) -> None:
        assert (ctx.context, ctx.page) == seen["pair"], "the pair was not kept"
        page = ctx.page
        assert page.url == "about:blank"
        assert page.console_messages(filter="all") == [] and page.page_errors(filter="all") == []
        assert ctx.context.cookies() == []
        assert ctx.context.pages == [page]
        page.goto(sites.main.url())
        page.wait_for_timeout(50)  # a frame or two, for a hover to show
        found = page.evaluate(FIND)
        assert found.pop("cookies") == "server=1"  # set again by the page's own response
        assert found == CLEAN
        page.go_back()
        assert page.url == "about:blank"
        assert page.go_back() is None
        page.goto(sites.main.url())
        assert _frame_storage(ctx, sites) is None
        page.evaluate("""() => new Promise((done) => {
          const script = document.createElement("script");
          script.src = "/cached.js"; script.onload = done; document.head.append(script);
        })""")
        assert sites.script_loads == ["cached.js", "cached.js"], "served from the HTTP cache"
        page.evaluate("console.log('heard')")
        for path in ("/routed", "/also-routed"):
            assert page.goto(sites.main.url(path)).status == 404  # type: ignore[union-attr]
        assert heard == []

    summary = run(RunOptions(report_dir=tmp_path, workers=1), registry=registry)
    assert [(r.status, r.message) for r in summary.results] == [("passed", None)] * 2


@pytest.mark.parametrize("breaks", ["fails", "closes its page", "exposes a function",
                                    "routes a web socket", "resizes the viewport",
                                    "registry keeps no pages"])
def test_a_pair_that_cannot_be_cleaned_is_closed_and_the_next_gets_a_new_one(
        tmp_path: Path, sites: Sites, breaks: str) -> None:
    registry = _registry(sites, keeps_pages=breaks != "registry keeps no pages")
    pairs: list[tuple[Any, Any]] = []

    @registry.scenario(id="clean.first", title="first", proves="it breaks the pair")
    def first(ctx: ScenarioContext[Sites]) -> None:
        pairs.append((ctx.context, ctx.page))
        ctx.page.goto(sites.main.url())
        if breaks == "fails":
            raise AssertionError("failed on purpose")
        if breaks == "closes its page":
            ctx.page.close()
        if breaks == "exposes a function":
            ctx.page.expose_function("leftBehind", lambda: 1)
        if breaks == "routes a web socket":
            ctx.page.route_web_socket("**/socket", lambda socket: None)
        if breaks == "resizes the viewport":
            ctx.page.set_viewport_size({"width": 640, "height": 480})

    @registry.scenario(id="clean.second", title="second", proves="it gets a new pair")
    def second(ctx: ScenarioContext[Sites]) -> None:
        pairs.append((ctx.context, ctx.page))
        assert ctx.page.url == "about:blank"

    summary = run(RunOptions(report_dir=tmp_path, workers=1, trace="off"), registry=registry)
    assert summary.results[1].status == "passed", summary.results[1].message
    (first_context, first_page), (second_context, _) = pairs
    assert second_context is not first_context
    assert first_page.is_closed()


def test_kept_pairs_take_the_next_scenario_and_its_trace(tmp_path: Path, sites: Sites) -> None:
    registry = _registry(sites)
    contexts: list[object] = []
    for name in ("one", "two", "three"):
        @registry.scenario(id=f"clean.{name}", title=name, proves="it runs traced")
        def scenario(ctx: ScenarioContext[Sites]) -> None:
            contexts.append(ctx.context)
            with ctx.step("open the page"):
                ctx.page.goto(sites.main.url())

    summary = run(RunOptions(report_dir=tmp_path, workers=1, trace="on"), registry=registry)
    assert [r.status for r in summary.results] == ["passed"] * 3
    assert len({id(c) for c in contexts}) == 1
    for result in summary.results:
        assert result.trace is not None and (tmp_path / result.trace).stat().st_size > 0


def test_commands_refused_just_after_the_navigation_are_sent_again(
        tmp_path: Path, sites: Sites, monkeypatch: pytest.MonkeyPatch) -> None:
    refusals = ["refused"]
    send_all = devtools.send_all

    def refused_once(*args: Any) -> None:
        if refusals:
            refusals.pop()
            raise Error(f"Protocol error (Page.resetNavigationHistory): {NOT_YET}")
        send_all(*args)

    monkeypatch.setattr(devtools, "send_all", refused_once)
    registry = _registry(sites)
    contexts: list[object] = []
    for name in ("one", "two"):
        @registry.scenario(id=f"clean.{name}", title=name, proves="it is kept")
        def scenario(ctx: ScenarioContext[Sites]) -> None:
            contexts.append(ctx.context)
            ctx.page.goto(sites.main.url())

    summary = run(RunOptions(report_dir=tmp_path, workers=1, trace="off"), registry=registry)
    assert [r.status for r in summary.results] == ["passed"] * 2
    assert refusals == [] and len({id(c) for c in contexts}) == 1


class _NoEmitter:
    pass


def test_a_pair_whose_listeners_cannot_be_read_is_not_kept() -> None:
    assert _remove_new_listeners({}, (_NoEmitter(),)) is False


class _Unreadable:
    """A Playwright object whose internals are not what this version expects."""

    @property
    def _impl_obj(self) -> object:
        raise RuntimeError("not this Playwright")

    viewport_size = None
    closed = False

    def is_closed(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True


def test_a_pair_that_cannot_be_checked_is_closed_not_an_error() -> None:
    pages = PageSource(lambda: _Unreadable(), keep=True)  # type: ignore[arg-type,return-value]
    context, page = _Unreadable(), _Unreadable()
    pages._handed_out((context, page))  # type: ignore[arg-type]
    pages.give_back(context, page, reusable=True)  # type: ignore[arg-type]
    assert context.closed
