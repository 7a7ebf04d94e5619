"""``python -m scenarios app init [PATH]`` and ``python -m scenarios app check PROFILE``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scenarios.github import say
from scenarios.options import profile_option

__all__ = ["HELP", "SKELETON", "configure", "handle"]

HELP = ("app profiles: 'app init' writes a commented skeleton, 'app check PROFILE' checks a "
        "profile and probes the app it describes")
SKELETON = Path(__file__).with_name("skeleton.toml")
DEFAULT_PATH = Path("app-profile.toml")


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="app_command", required=True, metavar="ACTION")
    init = sub.add_parser("init", help="write a commented skeleton profile", allow_abbrev=False,
                          description="Write a commented skeleton app profile to fill in.")
    init.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH,
                      help=f"where to write it (default: {DEFAULT_PATH})")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    check = sub.add_parser(
        "check", allow_abbrev=False, help="check a profile and probe the app it describes",
        description="Check every key of an app profile, start (or reach) the app with the mock "
        "provider's settings, and probe it over HTTP, without a browser: reachable, configure "
        "calls work, each sign-in URL starts a sign-in at the mock, me_url (when the profile "
        "has one) answers \"not signed in\", a partner app's events URL refuses an unsigned "
        "event, and the failure page shows what [failure] names. One line per finding; exit 1 "
        "on any problem.")
    check.add_argument("profile", nargs="?", type=profile_option,
                       help="the profile (a path, or a shipped profile's name)")
    # 'run --app PROFILE' names the same profile with an option: the check takes that
    # spelling too, rather than refusing '--app' as an unknown argument.
    check.add_argument("--app", dest="app_profile", type=profile_option, metavar="PROFILE",
                       help="the profile, as 'run --app' names it")
    for action in (init, check):  # an unknown option is the action's usage error, not app's
        action.set_defaults(command_parser=action)


def _init(path: Path, force: bool) -> int:
    if path.is_dir():
        say(f"scenarios app init: {path} is a directory: give the profile's file name "
              f"({path / DEFAULT_PATH}, say)", sys.stderr)
        return 2
    if path.exists() and not force:
        say(f"scenarios app init: {path} exists (--force overwrites it)", sys.stderr)
        return 2
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SKELETON.read_text(encoding="utf-8"), encoding="utf-8")
    except OSError as exc:
        problem = ("a directory on its path is a file"
                   if isinstance(exc, FileExistsError | NotADirectoryError) else exc.strerror)
        say(f"scenarios app init: cannot write {path}: {problem or exc}", sys.stderr)
        return 2
    say(f"wrote {path}: fill it in, then run: python -m scenarios app check {path}")
    return 0


def handle(args: argparse.Namespace) -> int:
    if args.app_command == "init":
        return _init(args.path, args.force)
    from scenarios.app.check import check_profile
    from scenarios.profiles import resolve

    profile = args.profile or args.app_profile
    if profile is None:
        args.command_parser.error("give the profile: app check PROFILE (or --app PROFILE)")
    if args.app_profile is not None and args.profile not in (None, args.app_profile):
        args.command_parser.error(f"two profiles given ({args.profile} and --app "
                                  f"{args.app_profile}): the check takes one")
    return check_profile(resolve(profile), out=sys.stdout)
