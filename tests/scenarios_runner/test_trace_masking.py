"""A Playwright trace is masked by the values the run knows, as the reports are: the password a
scenario types, the codes in the callback URLs and the tokens the provider's store holds read
``[redacted]`` in the trace's actions, network log, kept bodies and DOM snapshots, and the
trace still opens. A trace that cannot be masked is not kept."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

import scenarios.worker
from scenarios.__main__ import main
from scenarios.masking import mask_trace

SECRET = 'Zx"9-s3cret\\value-ü'
KNOWN = {SECRET: "[redacted]"}


def _trace(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as trace:
        for name, data in parts.items():
            trace.writestr(name, data)
    return path


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as trace:
        return {name: trace.read(name) for name in trace.namelist()}


def test_each_form_of_a_known_value_is_masked_in_every_part_but_the_pictures(
        tmp_path: Path) -> None:
    raw = SECRET.encode()
    action = json.dumps({"method": "fill", "params": {"value": SECRET}}).encode()
    network = json.dumps({"postData": "passwd=Zx%229-s3cret%5Cvalue-%C3%BC&ctx=1"},
                         ensure_ascii=False).encode()
    path = _trace(tmp_path / "t.zip", {
        "trace.trace": action + b"\n",
        "trace.network": network + b"\n",
        "resources/page.html": b"<p>" + raw + b"</p>",
        "resources/blob.dat": b"\xff\xfe" + raw + b"\x00\x80",
        "resources/frame.jpeg": b"\xff\xd8" + raw,
    })
    assert mask_trace(path, KNOWN) is True
    parts = _parts(path)
    assert json.loads(parts["trace.trace"])["params"]["value"] == "[redacted]"
    assert json.loads(parts["trace.network"])["postData"] == "passwd=[redacted]&ctx=1"
    assert parts["resources/page.html"] == b"<p>[redacted]</p>"
    assert parts["resources/blob.dat"] == b"\xff\xfe[redacted]\x00\x80", "other bytes kept"
    assert parts["resources/frame.jpeg"] == b"\xff\xd8" + raw, "pictures are not read"


def test_a_trace_with_nothing_to_mask_is_left_as_it_is(tmp_path: Path) -> None:
    path = _trace(tmp_path / "t.zip", {"trace.trace": b'{"method":"click"}\n'})
    before = path.stat()
    assert mask_trace(path, KNOWN) is False
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@pytest.mark.slow
@pytest.mark.browser
def test_a_sign_in_traced_against_the_reference_rp_keeps_no_password_or_code(
        tmp_path: Path) -> None:
    assert main(["run", "--only", "auto-login.widget", "--workers", "1", "--trace", "on",
                 "--report", str(tmp_path)]) == 0
    parts = _parts(tmp_path / "traces" / "auto-login.widget.zip")
    text = "\n".join(data.decode("utf-8", "replace") for name, data in parts.items()
                     if not name.endswith(".jpeg"))
    assert "P@ssw0rd-alice" not in text and "P%40ssw0rd-alice" not in text
    fills = [json.loads(line)["params"]["value"] for line in parts["trace.trace"].splitlines()
             if b'"method":"fill"' in line]
    assert fills == ["alice@contoso.onmicrosoft.com", "[redacted]"]
    codes = re.findall(r"[?&]code=([^&\"\s]+)", text)
    assert codes and all(code.startswith(("[redacted-", "%5Bredacted-")) for code in codes)


@pytest.mark.browser
def test_a_trace_that_cannot_be_masked_is_not_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def unreadable(path: Path, known: object) -> bool:
        raise zipfile.BadZipFile("not a zip")

    monkeypatch.setattr(scenarios.worker, "mask_trace", unreadable)
    assert main(["run", "--catalogue", "scenarios_runner.toy_catalogue:registry", "--only",
                 "toy.pass.heading", "--workers", "1", "--trace", "on",
                 "--report", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "results.json").read_text())["results"][0]
    assert result["status"] == "passed" and result["trace"] is None
    assert not list((tmp_path / "traces").glob("*.zip"))
