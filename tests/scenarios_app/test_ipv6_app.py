"""An app on the IPv6 loopback address, ``base_url = "http://[::1]:{port}"``: its port is found
with a socket of its own family, and a redirect URI there, which Entra (and the mock) will not
register, is a problem of the profile, not an error in every scenario."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from scenarios.app import ProfileError, load_profile
from scenarios.app.servers import _free_port, plan_address, port_in_use

from .test_profile import MINIMAL


def _ipv6_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


def _profile(tmp_path: Path, redirect: str) -> Path:
    path = tmp_path / "v6.toml"
    path.write_text(MINIMAL.replace('[app]\n', '[app]\nbase_url = "http://[::1]:{port}"\n')
                    .replace('"{base_url}/callback"', f'"{redirect}"'), encoding="utf-8")
    return path


def test_a_redirect_uri_on_the_ipv6_loopback_is_a_problem_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile(_profile(tmp_path, "{base_url}/callback"))
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 1 and problems[0].endswith(
        "v6.toml:13: provider.redirect_uris[0]: is on the IPv6 loopback address [::1], which "
        "Entra does not take in a redirect URI (https://learn.microsoft.com/entra/"
        "identity-platform/reply-url): serve the app on 127.0.0.1 (base_url)"), problems


@pytest.mark.skipif(not _ipv6_available(), reason="no IPv6 loopback on this machine")
def test_a_free_port_is_found_on_the_ipv6_loopback(tmp_path: Path) -> None:
    """Behind a proxy that answers on 127.0.0.1, say: the app itself listens on ``[::1]``."""
    profile = load_profile(_profile(tmp_path, "http://127.0.0.1:8080/callback"))
    address = plan_address(profile)
    assert address.base_url == f"http://[::1]:{address.port}" and address.port > 0
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as held:
        held.bind(("::1", address.port))
        held.listen()
        assert port_in_use("::1", address.port)
    assert not port_in_use("::1", address.port)


@pytest.mark.skipif(not _ipv6_available(), reason="no IPv6 loopback on this machine")
def test_localhost_naming_both_loopbacks_is_checked_on_both(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Where ``localhost`` names ``::1`` first and ``127.0.0.1`` second (Debian's hosts file),
    an app listening on 127.0.0.1 holds the port, and a free port is an IPv4 one."""
    real = socket.getaddrinfo

    def both(host: str, port: object, *args: object, **kwargs: object) -> list[object]:
        if host != "localhost":
            return real(host, port, *args, **kwargs)  # type: ignore[arg-type]
        return [*real("::1", port, *args, **kwargs),  # type: ignore[arg-type]
                *real("127.0.0.1", port, *args, **kwargs)]  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", both)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        assert port_in_use("localhost", port)
    assert not port_in_use("localhost", port)
    free, reservation = _free_port("localhost")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as ipv4:
        ipv4.bind(("127.0.0.1", free))  # free on the loopback an app binds
    assert reservation is not None
    reservation.release()
