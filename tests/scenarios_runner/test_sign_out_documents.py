"""Which documents of a sign-out are the provider's: an app whose own sign-out URL has the
path of Entra's v1 end-session endpoint (django-auth-adfs serves ``/oauth2/logout``) is not
taken for the provider."""

from __future__ import annotations

from types import SimpleNamespace

from scenarios.navigation_log import NavigationLog
from scenarios.sign_out_wait import at_provider, end_session_requests

APP, IDP = "127.0.0.1:8000", "localhost:8400"
PATHS = ("/oauth2/v2.0/logout", "/oauth2/logout")
TENANT = "6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318"


def _log(*documents: tuple[str, int, str]) -> NavigationLog:
    log = NavigationLog(SimpleNamespace(on=lambda *_: None))  # type: ignore[arg-type]
    for url, status, method in documents:
        log.documents.append((url, status))
        log.methods.append(method)
    return log


def test_the_apps_own_oauth2_logout_is_not_an_end_session_request() -> None:
    log = _log((f"http://{APP}/oauth2/logout", 302, "GET"),
               (f"https://{IDP}/{TENANT}/oauth2/logout", 200, "GET"))
    assert end_session_requests(log, IDP, PATHS, app_host=APP) == [
        f"https://{IDP}/{TENANT}/oauth2/logout"]


def test_the_answer_to_pick_an_account_posted_back_is_not_another_request() -> None:
    log = _log((f"https://{IDP}/{TENANT}/oauth2/v2.0/logout", 200, "GET"),
               (f"https://{IDP}/{TENANT}/oauth2/v2.0/logout", 200, "POST"))
    assert len(end_session_requests(log, IDP, PATHS, app_host=APP)) == 1


def test_an_app_that_signed_out_locally_at_oauth2_logout_never_reached_the_provider() -> None:
    log = _log((f"http://{APP}/oauth2/logout", 302, "GET"), (f"http://{APP}/", 200, "GET"))
    assert not at_provider(log, IDP, PATHS, app_host=APP)
    assert at_provider(log, IDP, PATHS)  # by path alone, as before the app's host was known


def test_an_end_session_path_on_another_host_still_counts_as_the_providers() -> None:
    log = _log(("https://login.example/tenant/oauth2/logout", 200, "GET"))
    assert at_provider(log, IDP, PATHS, app_host=APP)
