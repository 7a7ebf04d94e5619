"""Where the doctor takes the client secret from: the command line wins over the environment,
which wins over the config file, whichever of the three ways (value, variable, file) each uses;
a way given empty is a bad option, never "no secret"."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from scenarios.__main__ import main
from scenarios.doctor.config import ConfigError, Secret, load_options

ENTRA = "https://login.microsoftonline.com/6f2c1a9e-3b7d-4e58-a1c4-92d0b7e5f318/oauth2/v2.0"


def _args(**values: object) -> argparse.Namespace:
    base: dict[str, object] = {name: None for name in (
        "authorization_uri", "token_url", "client_id", "client_secret", "client_secret_env",
        "client_secret_file", "redirect_uri", "discovery_url", "scope", "client_auth_method",
        "ca_file", "timeout", "config")}
    base.update(authorization_uri=f"{ENTRA}/authorize", token_url=f"{ENTRA}/token",
                client_id="app")
    base.update(values)
    return argparse.Namespace(**base)


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.secret"
    path.write_text("from-the-command-line\n", encoding="utf-8")
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "doctor.toml"
    path.write_text('[doctor]\nclient_secret_env = "WRONGSEC"\n', encoding="utf-8")
    return path


def test_the_command_line_wins_whichever_way_the_others_give_the_secret(
        good: Path, config: Path) -> None:
    wrong = {"WRONGSEC": "from-a-variable-the-file-or-environment-names"}
    from_file = _args(client_secret_file=str(good), config=config)
    assert load_options(from_file, wrong).client_secret == Secret("from-the-command-line")
    env = {**wrong, "SSO_DOCTOR_CLIENT_SECRET_ENV": "WRONGSEC"}
    assert load_options(from_file, env).client_secret == Secret("from-the-command-line")
    assert load_options(_args(client_secret_env="RIGHT"), {**env, "RIGHT": "right"}) \
        .client_secret == Secret("right")
    env = {"SSO_DOCTOR_CLIENT_SECRET": "from-the-environment"}
    assert load_options(_args(client_secret="given"), env).client_secret == Secret("given")


def test_the_environment_wins_over_the_config_file(good: Path, config: Path) -> None:
    env = {"WRONGSEC": "from-a-variable-the-file-names", "SSO_DOCTOR_CLIENT_SECRET_FILE": str(good)}
    assert load_options(_args(config=config), env).client_secret == \
        Secret("from-the-command-line")
    assert load_options(_args(config=config), {"WRONGSEC": "from-the-file"}).client_secret == \
        Secret("from-the-file")


@pytest.mark.parametrize(("option", "named"), [
    ("client_secret", "--client-secret is empty: give the client secret"),
    ("client_secret_env", "--client-secret-env is empty: name the environment variable"),
    ("client_secret_file", "--client-secret-file is empty: name the file"),
])
def test_an_empty_option_is_an_error_not_no_secret(option: str, named: str) -> None:
    """``--client-secret "$UNSET"`` in CI: not a green run that never tried the secret, nor
    the secret of the environment's variable."""
    for env in ({}, {"SSO_DOCTOR_CLIENT_SECRET": "from-the-environment"}):
        with pytest.raises(ConfigError, match=f"^{named}"):
            load_options(_args(**{option: ""}), env)


def test_an_empty_variable_or_key_of_the_other_sources_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="^SSO_DOCTOR_CLIENT_SECRET is empty"):
        load_options(_args(), {"SSO_DOCTOR_CLIENT_SECRET": ""})
    with pytest.raises(ConfigError, match="^SSO_DOCTOR_CLIENT_SECRET_ENV is empty"):
        load_options(_args(), {"SSO_DOCTOR_CLIENT_SECRET_ENV": ""})
    empty = tmp_path / "empty.toml"
    empty.write_text('client_secret_file = ""\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=f"^client_secret_file in {empty} is empty"):
        load_options(_args(config=empty), {})


def test_two_ways_from_one_source_are_an_error(good: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="^SSO_DOCTOR_CLIENT_SECRET and "
                       "SSO_DOCTOR_CLIENT_SECRET_FILE both give the client secret: give one"):
        load_options(_args(), {"SSO_DOCTOR_CLIENT_SECRET": "a",
                               "SSO_DOCTOR_CLIENT_SECRET_FILE": str(good)})
    both = tmp_path / "both.toml"
    both.write_text(f'client_secret_env = "S"\nclient_secret_file = "{good}"\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="both give the client secret"):
        load_options(_args(config=both), {"S": "s"})


def test_the_command_exits_2_on_one_line_for_an_empty_secret(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSO_DOCTOR_CLIENT_SECRET", raising=False)
    code = main(["doctor", "--authorization-uri", f"{ENTRA}/authorize", "--token-url",
                 f"{ENTRA}/token", "--client-id", "app", "--client-secret", ""])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.startswith("doctor: --client-secret is empty")
    assert len(captured.err.splitlines()) == 1, captured.err
