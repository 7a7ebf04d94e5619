"""The page every error answer's ``error_uri`` links to."""

from __future__ import annotations

from urllib.parse import urlsplit

from asgi_client import AppClient
from idp_testkit import CLIENT_ID, TENANT, paths


def test_an_error_answers_error_uri_is_a_page_that_describes_the_code(client: AppClient) -> None:
    body = client.post(paths(TENANT, "2.0")["token"], data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "wrong",
        "scope": "https://graph.microsoft.com/.default"}).json()
    uri = urlsplit(body["error_uri"])
    page = client.get(f"{uri.path}?{uri.query}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f'data-testid="error-code">{body["error_codes"][0]}<' in page.text
    assert "AADSTS7000215: Invalid client secret provided." in page.text


def test_the_lookup_takes_the_aadsts_prefix_and_says_when_it_does_not_know_a_code(
        client: AppClient) -> None:
    assert "AADSTS50058:" in client.get("/error", params={"code": "AADSTS50058"}).text
    unknown = client.get("/error", params={"code": "12345"})
    assert unknown.status_code == 200 and "does not know this code" in unknown.text
    for bad in ("", "abc", "1" * 40, "٣"):
        assert client.get("/error", params={"code": bad}).status_code == 400
