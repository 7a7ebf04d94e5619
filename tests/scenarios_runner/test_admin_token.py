"""``{admin_token}`` is safe as a command-line argument of the app under test."""

from __future__ import annotations

import argparse

from scenarios.stack_app import new_admin_token


def test_an_admin_token_never_reads_as_an_option() -> None:
    # With token_urlsafe one in 64 began with "-": among 2000 draws, one all but surely did.
    parser = argparse.ArgumentParser(exit_on_error=False)
    parser.add_argument("--cookie-secret")
    for _ in range(2000):
        token = new_admin_token()
        assert token.isalnum() and len(token) >= 32, token
        assert parser.parse_args(["--cookie-secret", token]).cookie_secret == token
