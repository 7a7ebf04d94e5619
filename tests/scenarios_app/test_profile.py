"""App profiles: reading, checking every key, and naming each problem with its file and line."""

from __future__ import annotations

import json
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from scenarios.app import ProfileError, load_profile, parse_profile, skip_reason
from scenarios.app.capabilities import (
    CAPABILITIES,
    V1_SWITCHED,
    V2_FROM_AUTHORITY,
    v1_switched_settings,
)
from scenarios.app.profile import FAILURE_KINDS
from scenarios.app.templating import TemplateError, check_template, render
from scenarios.app.validation import LineIndex
from scenarios.profiles import REFERENCE_RP, builtin_names, resolve

MINIMAL = """\
name = "Tiny app"

[app]
command = ["python", "app.py", "--port", "{port}"]

[app.env]
OIDC_AUTHORITY = "{authority}"
OIDC_CLIENT_ID = "{client_id}"
OIDC_CLIENT_SECRET = "{client_secret}"

[provider]
redirect_uris = "{base_url}/callback"

[sign_in]
urls = { login = "/login" }

[signed_in]
me_url = "/me"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "profile.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ProfileError) as caught:
        load_profile(_write(tmp_path, text))
    return [str(p) for p in caught.value.problems]


def test_a_minimal_profile(tmp_path: Path) -> None:
    profile = load_profile(_write(tmp_path, MINIMAL))
    assert profile.name == "Tiny app"
    assert profile.app.mode == "command" and profile.app.picks_port
    assert profile.app.base_url == "http://127.0.0.1:{port}"
    assert profile.app.cwd == tmp_path
    assert profile.provider.redirect_uris == ("{base_url}/callback",)
    assert profile.provider.secret_lifetime == timedelta(days=180)
    assert profile.capabilities == {"customer-sso", "sign-in-url:login", "session-check",
                                    "admin-renew-secret", "client-secret", "http-provider"}


def test_an_https_only_profile_and_one_handed_v1_switched_endpoints(tmp_path: Path) -> None:
    text = MINIMAL.replace("[provider]\n", "[provider]\nhttps = true\n")
    profile = load_profile(_write(tmp_path, text))
    assert profile.provider.https and "http-provider" not in profile.capabilities
    assert "v1-endpoints" not in profile.capabilities
    given = load_profile(_write(tmp_path, MINIMAL.replace(
        'OIDC_AUTHORITY = "{authority}"', 'OIDC_ISSUER = "{issuer}"\nPY = "{python}"')))
    assert "v1-endpoints" in given.capabilities


def test_a_single_page_app_reaches_an_https_provider_without_a_ca_file(tmp_path: Path) -> None:
    """The browser, not the app's server, talks to the provider for a single-page app (and
    trusts the mock's CA): an SPA handed {issuer} is not told to read {ca_file}, which it has
    no use for; the entra-v1 scenario runs and says why it fails instead."""
    spa = MINIMAL.replace('OIDC_AUTHORITY = "{authority}"', 'OIDC_AUTHORITY = "{issuer}"').replace(
        'OIDC_CLIENT_SECRET = "{client_secret}"\n', "").replace(
        "[provider]\n", '[provider]\nhttps = true\nplatform = "spa"\n')
    profile = load_profile(_write(tmp_path, spa))
    assert {"https-provider", "v1-endpoints"} <= profile.capabilities
    assert skip_reason({"customer-sso", "https-provider", "v1-endpoints"}, profile) is None
    web = load_profile(_write(tmp_path, spa.replace('platform = "spa"\n', "")))
    assert "https-provider" not in web.capabilities


def test_an_app_handed_the_providers_host_and_tenant_is_told_it_builds_its_own_endpoints(
        tmp_path: Path) -> None:
    """django-auth-adfs takes a server and a tenant and builds the v1 endpoints itself: the
    skip reason must not say such an app uses the v2.0 ones."""
    profile = load_profile(_write(tmp_path, MINIMAL.replace(
        'OIDC_AUTHORITY = "{authority}"', 'SERVER = "{idp_url}"\nTENANT = "{tenant_id}"')))
    reason = skip_reason({"v1-endpoints"}, profile)
    assert reason is not None and "{idp_url} and {tenant_id}, builds its endpoints itself" in (
        reason)


def test_a_v2_only_app_handed_the_v2_discovery_url_built_from_authority_has_no_v1_endpoints(
        tmp_path: Path) -> None:
    """README's way to mark an app v2.0-only: the discovery URL written from {authority},
    which the entra-v1 scenarios do not switch, rather than {discovery_url}, which they do."""
    profile = load_profile(_write(tmp_path, MINIMAL.replace(
        'OIDC_AUTHORITY = "{authority}"',
        'OIDC_DISCOVERY_URL = "{authority}/v2.0/.well-known/openid-configuration"')))
    assert "v1-endpoints" not in profile.capabilities
    switched = load_profile(_write(tmp_path, MINIMAL.replace(
        'OIDC_AUTHORITY = "{authority}"', 'OIDC_DISCOVERY_URL = "{discovery_url}"')))
    assert "v1-endpoints" in switched.capabilities


def test_an_app_given_v1_endpoints_written_from_authority_has_v1_endpoints(
        tmp_path: Path) -> None:
    """Flask-AppBuilder's ``azure`` provider takes Entra's v1 authorize and token URLs and
    sends a ``resource`` (which the v2.0 endpoints refuse): its profile writes them from
    {authority}, the app is on v1 in every scenario, and the entra-v1 scenarios (the unsigned ID
    token over http) must run for it rather than be skipped for lacking v1-endpoints."""
    for setting in ('TOKEN_URL = "{authority}/oauth2/token"',
                    'AUTHORIZE_URL = "{idp_url}/{tenant_id}/oauth2/authorize"',
                    'DISCOVERY = "{authority}/.well-known/openid-configuration"'):
        profile = load_profile(_write(tmp_path, MINIMAL.replace(
            'OIDC_AUTHORITY = "{authority}"', setting)))
        assert "v1-endpoints" in profile.capabilities, setting
    for setting in ('TOKEN_URL = "{authority}/oauth2/v2.0/token"',
                    'DISCOVERY = "{authority}/v2.0/.well-known/openid-configuration"'):
        profile = load_profile(_write(tmp_path, MINIMAL.replace(
            'OIDC_AUTHORITY = "{authority}"', setting)))
        assert "v1-endpoints" not in profile.capabilities, setting


def test_the_settings_handed_v1_switched_templates_are_named_where_the_profile_has_them(
        tmp_path: Path) -> None:
    """What a failure on the v1 endpoints tells the profile's author to write from
    {authority}: each env key, the command, and each configure call naming a switched
    template, in the profile's order."""
    text = MINIMAL.replace(
        'OIDC_AUTHORITY = "{authority}"',
        'OIDC_ISSUER = "{issuer}"\nOIDC_TENANT = "{authority}"').replace(
        '"--port", "{port}"]', '"--port", "{port}", "--token={token_url}"]') + textwrap.dedent("""
        [[configure]]
        url = "/admin/clients"
        json = { discovery = "{discovery_url}", authorize = "{authorize_url}" }
        """)
    profile = load_profile(_write(tmp_path, text))
    assert v1_switched_settings(profile) == [
        ("[app.env] OIDC_ISSUER", "issuer"), ("[app] command", "token_url"),
        ("[[configure]] call 1", "discovery_url"), ("[[configure]] call 1", "authorize_url")]
    assert v1_switched_settings(load_profile(_write(tmp_path, MINIMAL))) == []
    assert set(V2_FROM_AUTHORITY) == set(V1_SWITCHED)
    assert all(form.startswith("{authority}/") and "v2.0" in form
               for form in V2_FROM_AUTHORITY.values())


def test_a_profile_may_let_the_registration_issue_id_tokens(tmp_path: Path) -> None:
    """Off unless the profile says so, as on a new Entra app registration."""
    assert load_profile(_write(tmp_path, MINIMAL)).provider.id_token_issuance is False
    text = MINIMAL.replace("[provider]\n", "[provider]\nid_token_issuance = true\n")
    assert load_profile(_write(tmp_path, text)).provider.id_token_issuance is True
    problems = _problems(tmp_path, MINIMAL.replace("[provider]\n",
                                                   '[provider]\nid_token_issuance = "yes"\n'))
    assert any("provider.id_token_issuance: must be" in p for p in problems), problems


def test_the_reference_profile_offers_every_capability() -> None:
    profile = load_profile(REFERENCE_RP)
    assert profile.app.mode == "asgi" and profile.app.shared_clock
    assert set(CAPABILITIES) <= profile.capabilities
    assert {"sign-in-url:widget", "sign-in-url:portal", "sign-in-url:kb"} <= profile.capabilities
    assert set(profile.failure.expect) == set(FAILURE_KINDS)  # type: ignore[union-attr]
    assert profile.captures == ("connection_id",)


def test_shipped_profiles_are_found_by_name() -> None:
    assert "reference-rp" in builtin_names()
    assert resolve("reference-rp") == REFERENCE_RP
    assert resolve("my-app.toml") == Path("my-app.toml")


def test_a_typo_is_named_with_its_line_and_the_key_meant(tmp_path: Path) -> None:
    text = MINIMAL.replace('me_url = "/me"', 'me_ulr = "/me"')
    problems = _problems(tmp_path, text)
    line = text.splitlines().index('me_ulr = "/me"') + 1
    assert any(f"profile.toml:{line}: signed_in.me_ulr: unknown key (did you mean 'me_url'?)"
               in p for p in problems), problems


def test_a_stray_key_is_placed_in_a_top_level_table_and_a_near_miss_keeps_its_name(
        tmp_path: Path) -> None:
    """``url`` under ``[sign_in]`` is a typo of its ``urls`` (not a key of ``[sign_out]``,
    nor of every ``[admin.*]`` request and ``[sign_in.urls.*]`` entry, which take one too);
    ``texts`` under ``[failure]`` is not placed in each ``[failure.expect.*]`` entry."""
    text = (MINIMAL.replace("[sign_in]\n", '[sign_in]\nurl = "/a"\n')
            + '[sign_out]\nurl = "/logout"\n[failure]\ntexts = ["x"]\n'
            + '[failure.expect.bad-signature]\ntexts = ["y"]\n'
            + '[admin.enable_sso]\nurl = "/admin"\n')
    problems = [p.split(": ", 1)[1] for p in _problems(tmp_path, text)]
    assert "sign_in.url: unknown key (did you mean 'urls'?)" in problems, problems
    assert not any("belongs in" in p for p in problems), problems


def test_a_key_written_under_another_table_is_named_with_the_table_it_belongs_in(
        tmp_path: Path) -> None:
    """``https`` under ``[app]`` (or above the first table) is ``[provider] https``; ``me_url``
    under ``[sign_in]`` is ``[signed_in] me_url``, not the close name ``urls`` of its table."""
    stray = 'me_url = "/a"'
    text = ("https = true\n" + MINIMAL.replace("[app]\n", "[app]\nhttps = true\n")
            .replace("[sign_in]\n", f"[sign_in]\n{stray}\n"))
    problems = _problems(tmp_path, text)
    lines = text.splitlines()
    where = f"{tmp_path / 'profile.toml'}:"
    assert problems == [
        f"{where}1: https: unknown key here (it belongs in [provider])",
        f"{where}{lines.index('[app]') + 2}: app.https: unknown key here (it belongs in "
        "[provider])",
        f"{where}{lines.index(stray) + 1}: sign_in.me_url: unknown key here (it belongs in "
        "[signed_in])"], problems


def test_an_ill_typed_value_is_named(tmp_path: Path) -> None:
    problems = _problems(tmp_path, MINIMAL.replace('[app]\n', '[app]\ntimeout = "30"\n'))
    assert problems == [f"{tmp_path / 'profile.toml'}:4: app.timeout: must be a number, "
                        "not a string"]


@pytest.mark.parametrize(("name", "problem"), [
    ("Express \u202e nruter", "contains a character that reorders text (U+202E): it is the app "
                              "registration's displayName"),
    ("Two\nlines", "contains a control character (U+000A): it is the app registration's "
                   "displayName"),
    ("x" * 257, "is longer than 256 characters (the app registration's displayName)"),
])
def test_a_name_the_app_registration_cannot_take_is_named(tmp_path: Path, name: str,
                                                          problem: str) -> None:
    # The mock refuses such a displayName as Graph does: every scenario ended in error at its
    # start, with a 400 from a Graph call the profile never wrote.
    text = MINIMAL.replace('name = "Tiny app"', f"name = {json.dumps(name)}")
    assert _problems(tmp_path, text) == [f"{tmp_path / 'profile.toml'}:1: name: {problem}"]


def test_a_name_with_quotes_and_accents_is_kept(tmp_path: Path) -> None:
    text = MINIMAL.replace('name = "Tiny app"', 'name = "Café \\"<b>\\" — 東京"')
    assert load_profile(_write(tmp_path, text)).name == 'Café "<b>" — 東京'


def test_every_problem_is_listed(tmp_path: Path) -> None:
    problems = _problems(tmp_path, """\
        [app]
        base_url = "http://localhost:3000/"
        colour = "blue"
        [provider]
        redirect_uris = ["/cb", 3]
        secret_lifetime_days = 1000
        sign_in_audience = "everyone"
        [signed_in]
        text = "Hi {nickname}"
        """)
    joined = "\n".join(problems)
    assert "app.base_url: must not end with /" in joined
    assert ":3: app.colour: unknown key" in joined
    assert "provider.redirect_uris: must be a list of non-empty strings" in joined
    assert "provider.secret_lifetime_days: must be between 1 and 730, not 1000" in joined
    assert "signed_in.text: unknown placeholder {nickname}" in joined
    assert "provider.sign_in_audience: must be one of 'AzureADMyOrg'," in joined
    assert "the app has no way in" in joined
    assert len(problems) == 7, problems


def test_unknown_placeholders_are_named_with_what_is_known(tmp_path: Path) -> None:
    problems = _problems(tmp_path, MINIMAL.replace('"/login"', '"/sso/{conection_id}/login"'))
    assert "sign_in.urls.login: unknown placeholder {conection_id} (known here:" in problems[0]
    assert problems[0].startswith(f"{tmp_path / 'profile.toml'}:15:")


def test_configure_captures_become_names_for_later_keys(tmp_path: Path) -> None:
    profile = load_profile(_write(tmp_path, MINIMAL.replace("[sign_in]", """\
        [[configure]]
        url = "/admin/clients"
        json = { authority = "{authority}", secret = "{client_secret}", n = 3, on = true }
        capture = { tenant_slug = "data.slug" }

        [[configure]]
        method = "PUT"
        url = "/admin/clients/{tenant_slug}/enabled"
        expect_status = [200, 204]

        [sign_in]""").replace('"/login"', '"/t/{tenant_slug}/login"')))
    first, second = profile.configure
    assert (first.method, first.capture) == ("POST", {"tenant_slug": "data.slug"})
    assert first.json == {"authority": "{authority}", "secret": "{client_secret}", "n": 3,
                          "on": True}
    assert (second.method, second.expect_status) == ("PUT", (200, 204))
    assert "multi-connection" in profile.capabilities


def test_a_capture_is_usable_only_after_its_call(tmp_path: Path) -> None:
    problems = _problems(tmp_path, MINIMAL.replace("[sign_in]", """\
        [[configure]]
        url = "/a/{slug}"

        [[configure]]
        url = "/b"
        capture = { slug = "id", client_id = "id" }

        [sign_in]"""))
    assert any("configure[0].url: unknown placeholder {slug}" in p and ":15:" in p
               for p in problems), problems
    assert any("configure[1].capture.client_id: must be a new lowercase name" in p
               for p in problems), problems


@pytest.mark.parametrize(("change", "expected"), [
    ('[app]\nclock = "shared"\n', 'app.clock: "shared" needs an in-process app (asgi)'),
    ('[app]\nasgi = "pkg.mod:make"\n', "app.asgi: give command or asgi, not both"),
    ('[app]\nasgi = "not a factory"\n', "app.asgi: must be module:function"),
    ('command = ["python", "app.py", "--port", "{port}"]\ncommand = []\n',
     "app.command: must be a command line"),
    ('[app.env]\n"BAD NAME" = "x"\n', 'app.env."BAD NAME": is not an environment variable'),
    ('[app.env]\nX = "{ca_file:>3}"\n', "app.env.X: {ca_file:>3} is not a plain {name}"),
])
def test_app_section_checks(tmp_path: Path, change: str, expected: str) -> None:
    first = change.split("\n")[0] + "\n"
    text = MINIMAL.replace(first, change, 1).replace(first, "", 1) if "command" in first else (
        MINIMAL.replace(first, change, 1))
    problems = _problems(tmp_path, text)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(("section", "expected"), [
    ('[failure]\ntext = "Oops"\n', "failure.contact: is required"),
    ('[failure]\ncontact = "x"\nreference = "(a)(b)"\n',
     "failure.reference: may have at most one (capturing) group"),
    ('[failure]\ncontact = "x"\nerror_log = { url = "/log/{reference}" }\n',
     "failure.error_log: needs reference"),
    ('[failure]\ncontact = "x"\n[failure.expect.nonce-mismach]\ntexts = ["x"]\n',
     "failure.expect.nonce-mismach: unknown failure kind"),
    ('[failure]\ncontact = "x"\n[failure.expect.nonce-mismatch]\nlogged = { code = "n" }\n',
     "failure.expect.nonce-mismatch.logged: needs [failure] error_log"),
    ('[partner]\nevents_url = "/events"\nlaunch_url = "/launch?u={user_id}"\n',
     "partner.launch_url: must contain {installation_id}"),
    ('[sign_out]\nurl = "/logout"\ncontrol = "Sign out"\n', "sign_out.control: give url or"),
    ('[sign_out]\nend_session_params = ["nonce"]\nurl = "/logout"\n',
     "sign_out.end_session_params[0]: must be one of"),
    ('[admin]\ndisable_sso = { url = "/off" }\n', "admin.enable_sso: give both"),
    ('[admin.secret_status]\nurl = "/s"\nexpired = "expired"\n',
     'admin.secret_status: needs [app] clock = "shared"'),
    ('[signed_in.me_json]\nmail = "email"\n', "signed_in.me_json.mail: unknown field"),
])
def test_section_checks(tmp_path: Path, section: str, expected: str) -> None:
    problems = _problems(tmp_path, MINIMAL + section)
    assert any(expected in p for p in problems), problems


def test_a_single_page_app_registers_its_redirect_uris_as_spa_ones(tmp_path: Path) -> None:
    from typing import Any, cast

    from scenarios.live import LiveStack
    from scenarios.stack_app import register_app

    profile = load_profile(_write(tmp_path, MINIMAL.replace(
        'redirect_uris = "{base_url}/callback"',
        'redirect_uris = "{base_url}/callback"\nplatform = "spa"')))
    assert profile.provider.platform == "spa"
    assert load_profile(_write(tmp_path, MINIMAL)).provider.platform == "web"
    problems = _problems(tmp_path, MINIMAL.replace(
        'redirect_uris = "{base_url}/callback"',
        'redirect_uris = "{base_url}/callback"\nplatform = "native"'))
    assert any("provider.platform: must be one of 'web', 'spa'" in p for p in problems), problems

    class Recorder:
        def __init__(self) -> None:
            self.patches: list[dict[str, Any]] = []

        def update_app(self, **patch: Any) -> None:
            self.patches.append(patch)

    for text, spa, web in ((profile, ["http://app.test/callback"], []),
                           (load_profile(_write(tmp_path, MINIMAL)), [],
                            ["http://app.test/callback"])):
        stack = Recorder()
        register_app(cast(LiveStack, stack), text, {"base_url": "http://app.test"})
        assert stack.patches[-1] == {"displayName": "Tiny app", "spa": {"redirectUris": spa},
                                     "web": {"redirectUris": web},
                                     "signInAudience": "AzureADMyOrg"}


def test_required_sections(tmp_path: Path) -> None:
    problems = _problems(tmp_path, 'name = "x"\n')
    assert [p.split(": ", 1)[1] for p in problems] == [
        "app: is required ([app] with base_url, command or asgi)",
        "provider: is required ([provider] with redirect_uris)",
        "signed_in: is required: give me_url and/or text or selector",
    ]


def test_a_running_app_needs_its_url(tmp_path: Path) -> None:
    problems = _problems(tmp_path, MINIMAL.replace(
        'command = ["python", "app.py", "--port", "{port}"]',
        'base_url = "http://127.0.0.1:{port}"'))
    assert any("{port} is only for apps the harness starts" in p for p in problems), problems


def test_an_empty_app_section_names_its_three_ways(tmp_path: Path) -> None:
    problems = _problems(tmp_path, MINIMAL.replace(
        'command = ["python", "app.py", "--port", "{port}"]\n', "").replace(
        "[app.env]\n", "").replace('OIDC_AUTHORITY = "{authority}"\n', "").replace(
        'OIDC_CLIENT_ID = "{client_id}"\n', "").replace(
        'OIDC_CLIENT_SECRET = "{client_secret}"\n', ""))
    assert problems == [f"{tmp_path / 'profile.toml'}:3: app: give base_url (an app already "
                        "running), command (one the harness starts as a process) or asgi (a "
                        "Python ASGI app it serves in-process)"], problems


def test_an_empty_list_of_redirect_uris_is_named(tmp_path: Path) -> None:
    problems = _problems(tmp_path, MINIMAL.replace('redirect_uris = "{base_url}/callback"',
                                                   "redirect_uris = []"))
    assert problems == [f"{tmp_path / 'profile.toml'}:12: provider.redirect_uris: must not be "
                        "empty: the app's redirect URI(s), e.g. \"{base_url}/auth/callback\""]


@pytest.mark.parametrize(("change", "expected"), [
    ('me_url = "http://[::1"', ":18: signed_in.me_url: is not a valid URL (Invalid IPv6 URL)"),
    ('me_url = "https://"', ":18: signed_in.me_url: is not a valid URL (no host name)"),
    ('me_url = "http://127.0.0.1:99999/me"', ":18: signed_in.me_url: is not a valid URL ("),
    ('me_url = "http://app host/me"', "signed_in.me_url: is not a valid URL (a space in its"),
    ('me_url = "{base_url}:x/me"', ":18: signed_in.me_url: is not a valid URL ("),
    ('me_url = "me"', ":18: signed_in.me_url: must be a path starting with / or an http(s)"),
    ('me_url = "{client_id}/me"', None),  # a value only the app run knows (a captured one)
    ('me_url = "{idp_url}/me"', None),
    ('urls = { login = "https://" }', ":15: sign_in.urls.login: is not a valid URL (no host"),
    ('redirect_uris = "http://[::1/cb"', ":12: provider.redirect_uris[0]: is not a valid URL"),
    ('command = ["python", "app.py", "--port", "{port}"]\nbase_url = "http://[::1:{port}"',
     ":5: app.base_url: is not a valid URL ("),
])
def test_urls_are_parsed_once_their_names_are_filled(tmp_path: Path, change: str,
                                                     expected: str | None) -> None:
    """A URL is parsed as it will be used (names filled in), not only by its start: one that
    cannot be opened is named with its line when the profile is read, not at its first use."""
    key = change.split(" =")[0]
    old = next(line for line in MINIMAL.splitlines() if line.startswith(key + " ="))
    text = MINIMAL.replace(old, change)
    if expected is None:
        load_profile(_write(tmp_path, text))
        return
    problems = _problems(tmp_path, text)
    assert len(problems) == 1 and expected in problems[0], problems


def test_unreadable_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="cannot read the profile"):
        load_profile(tmp_path / "absent.toml")
    with pytest.raises(ProfileError, match="not valid TOML"):
        parse_profile("[app\n")


def test_a_misspelt_shipped_name_gets_the_shipped_names(tmp_path: Path) -> None:
    names = ", ".join(builtin_names())
    with pytest.raises(ProfileError) as caught:
        load_profile(resolve(str(tmp_path / "referense-rp")))
    assert str(caught.value.problems[0]).endswith(
        "cannot read the profile: No such file or directory; nor is it a shipped profile's "
        f"name (did you mean 'reference-rp'? shipped: {names})")
    with pytest.raises(ProfileError) as caught:
        load_profile(tmp_path / "absent.toml")
    assert "nor is it" not in str(caught.value), "a path to a file of its own gets no hint"


def test_a_profile_file_of_another_name_beside_it_is_not_suggested(tmp_path: Path) -> None:
    """Names are compared without the ``.toml`` they share: ``prod.toml`` is not a typo of
    ``dev.toml``."""
    (tmp_path / "dev.toml").write_text(MINIMAL, encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_profile(tmp_path / "prod.toml")
    assert "dev.toml" not in str(caught.value.problems[0]), caught.value


def test_a_misspelt_profile_file_gets_the_file_of_a_close_name_beside_it(tmp_path: Path) -> None:
    (tmp_path / "myapp.toml").write_text(MINIMAL, encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_profile(tmp_path / "myap.toml")
    assert str(caught.value.problems[0]).endswith(
        f"cannot read the profile: No such file or directory; did you mean "
        f"{str(tmp_path / 'myapp.toml')!r}?"), caught.value


def test_skip_reasons_name_the_missing_keys(tmp_path: Path) -> None:
    profile = load_profile(_write(tmp_path, MINIMAL))
    assert skip_reason({"customer-sso"}, profile) is None
    reason = skip_reason({"partner", "sign-in-url:widget", "customer-sso"}, profile)
    assert reason == ("the profile lacks partner ([partner] events_url and launch_url); "
                      "sign-in-url:widget (a sign-in URL named 'widget' ([sign_in.urls]))")


def test_an_app_handed_no_client_secret_lacks_the_capability(tmp_path: Path) -> None:
    public = load_profile(_write(tmp_path, MINIMAL.replace(
        'OIDC_CLIENT_SECRET = "{client_secret}"\n', "")))
    assert "client-secret" not in public.capabilities
    assert "admin-renew-secret" not in public.capabilities
    reason = skip_reason({"customer-sso", "client-secret"}, public)
    assert reason is not None and reason.startswith("the profile lacks client-secret ([app] env "
                                                    "or command, a [[configure]] call or")
    renewed = load_profile(_write(tmp_path, MINIMAL.replace(
        'OIDC_CLIENT_SECRET = "{client_secret}"\n', "") + textwrap.dedent("""
        [admin.renew_secret]
        url = "/admin/secret"
        json = { secret = "{client_secret}" }
        """)))
    assert {"client-secret", "admin-renew-secret"} <= renewed.capabilities
    partner = load_profile(_write(tmp_path, MINIMAL.replace(
        'OIDC_CLIENT_SECRET = "{client_secret}"\n', "") + textwrap.dedent("""
        [partner]
        events_url = "/events"
        launch_url = "/launch?i={installation_id}&u={user_id}"
        """)))
    assert "client-secret" in partner.capabilities, "the installed event carries the secret"


def test_line_index_finds_tables_arrays_and_inline_keys() -> None:
    index = LineIndex(textwrap.dedent("""\
        [app]
        base_url = "x"
        [[configure]]
        url = "/a"
        [[configure]]
        url = "/b"
        headers = { Authorization = "Bearer x" }
        [failure.expect]
        nonce-mismatch = { texts = ["a"] }
        """))
    assert index.line_of(("app", "base_url")) == 2
    assert index.line_of(("configure", "1", "url")) == 6
    assert index.line_of(("configure", "1", "headers", "Authorization")) == 7
    assert index.line_of(("failure", "expect", "nonce-mismatch", "texts")) == 9
    assert index.line_of(("app", "missing")) == 1


def test_templates() -> None:
    assert render("{base_url}/launch?i={installation_id}",
                  {"base_url": "http://a", "installation_id": "x y&z"},
                  url_encode={"installation_id"}) == "http://a/launch?i=x%20y%26z"
    assert render("{{literal}} {a}", {"a": "1"}) == "{literal} 1"
    assert check_template("{a}{b}", {"a"}) == "unknown placeholder {b} (known here: a)"
    assert "malformed" in (check_template("{a", {"a"}) or "")
    with pytest.raises(TemplateError, match="no value for {b}"):
        render("{b}", {})


def test_a_launchs_failure_shows_the_partner_contact_unless_its_kind_names_another(
        tmp_path: Path) -> None:
    """``[partner] contact`` is the contact of a launch's failures; a kind's own ``contact``
    wins; other failures keep ``[failure] contact`` (no contact of their own: ``None``)."""
    profile = load_profile(_write(tmp_path, MINIMAL + textwrap.dedent("""
        [failure]
        contact = "desk@customer.example"
        [failure.expect]
        unknown-installation = { contact = "launch-desk@partner.example" }
        [partner]
        events_url = "/events"
        launch_url = "/launch?i={installation_id}&u={user_id}"
        contact = "support@partner.example"
        """)))
    assert profile.partner is not None and profile.partner.contact == "support@partner.example"
    assert profile.contact_for("partner-idp-down") == "support@partner.example"
    assert profile.contact_for("unlicensed-user") == "support@partner.example"
    assert profile.contact_for("unknown-installation") == "launch-desk@partner.example"
    assert profile.contact_for("idp-down") is None
    without = load_profile(_write(tmp_path, MINIMAL + textwrap.dedent("""
        [failure]
        contact = "desk@customer.example"
        [partner]
        events_url = "/events"
        launch_url = "/launch?i={installation_id}&u={user_id}"
        """)))
    assert without.contact_for("partner-idp-down") is None
    with pytest.raises(ProfileError, match="partner.contact"):
        load_profile(_write(tmp_path, MINIMAL + textwrap.dedent("""
            [partner]
            events_url = "/events"
            launch_url = "/launch?i={installation_id}&u={user_id}"
            contact = 3
            """)))


def test_the_apps_api_wait_comes_from_the_partner_section(tmp_path: Path) -> None:
    """``[partner] acknowledgement_wait``: seconds the scenarios wait for the app's call to the
    platform's Apps API (1 to 600), the catalogue's default without it."""
    from types import SimpleNamespace

    from scenarios.catalogue.partner_events import ACKNOWLEDGEMENT_WAIT, acknowledgement_wait

    partner = textwrap.dedent("""
        [partner]
        events_url = "/events"
        launch_url = "/launch?i={installation_id}&u={user_id}"
        """)
    waits = load_profile(_write(tmp_path, MINIMAL + partner + "acknowledgement_wait = 90\n"))
    plain = parse_profile(MINIMAL + partner)
    assert waits.partner is not None and waits.partner.acknowledgement_wait == 90
    for profile, expected in ((waits, 90), (plain, ACKNOWLEDGEMENT_WAIT)):
        stack = SimpleNamespace(app=SimpleNamespace(profile=profile))
        assert acknowledgement_wait(stack) == expected  # type: ignore[arg-type]
    for bad in ("0", "601", '"soon"'):
        problems = _problems(tmp_path, MINIMAL + partner + f"acknowledgement_wait = {bad}\n")
        assert any("acknowledgement_wait" in p for p in problems), problems
