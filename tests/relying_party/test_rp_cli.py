from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

import relying_party
from relying_party import Settings, create_app
from relying_party.__main__ import parse_args


def test_public_names() -> None:
    assert relying_party.__all__ == ["Settings", "create_app"]
    assert relying_party.create_app is create_app and relying_party.Settings is Settings


def test_cli_defaults() -> None:
    args = parse_args([])
    assert (args.host, args.port, args.db) == ("127.0.0.1", 8500, "relying_party.db")
    assert args.public_url is None and args.event_keys_url is None


def test_cli_port_zero_prints_url_first_and_serves(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "relying_party", "--host", "127.0.0.1", "--port", "0",
         "--db", str(db), "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=Path(relying_party.__file__).parent.parent,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
        # the socket listens before the URL is printed: no polling needed
        response = httpx.get(f"{url}/api/me", timeout=10.0)
        assert response.status_code == 401
        assert db.exists()
        # Kept-alive requests must not wait for the client's delayed ACK (about 40 ms each
        # when the listening socket leaves TCP_NODELAY off).
        with httpx.Client(timeout=10.0) as client:
            client.get(f"{url}/api/me")
            started = time.perf_counter()
            for _ in range(10):
                client.get(f"{url}/api/me")
            per_request = (time.perf_counter() - started) / 10
        assert per_request < 0.025, f"{per_request * 1000:.0f} ms per kept-alive request"
    finally:
        process.terminate()
        process.wait(timeout=10)
