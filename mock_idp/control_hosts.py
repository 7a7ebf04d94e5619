"""Which ``Host`` names the test-control API and the console answer to (DNS rebinding).

A page of ``evil.example`` whose name its owner makes resolve to 127.0.0.1 once the page has
loaded is same-origin with itself: its requests to ``http://evil.example:8400/_mock/...`` pass
the ``Origin`` check (:mod:`mock_idp.endpoints.cross_site`), reach the mock, and the page reads
the answers. What gives it away is the ``Host`` header, which names the attacker's domain. So
``/_mock/`` answers only a ``Host`` (any port, case and one trailing dot ignored) that is

- a loopback name: ``localhost`` or a name under ``.localhost``, which browsers resolve to
  loopback themselves (RFC 6761 section 6.3), so no one else's DNS can hand them out;
- an IP address (``127.0.0.1``, ``[::1]``, the machine's address on a network): a page is only
  rebound through a name, and a page reached by an address is served by whatever answers
  there, the mock itself; Vite's dev server takes every address by default for this reason
  (its ``server.allowedHosts``, GHSA-vg6x-rcgg-rjx6);
- the address the server says it is serving (ASGI's ``server`` of the request: the listening
  socket's; an in-process client, the host of the URL it was given);
- the host of the configured ``public_url``;
- the host name the server listens on (``--host``) and, when that is every interface
  (``0.0.0.0``, ``::``), the machine's own names, its host name and fully qualified name
  (:func:`listening_names`): names whose address the machine's owner decides;
- a name of :attr:`mock_idp.config.IdpConfig.control_hosts` (``--control-host``,
  ``control_hosts`` in ``idp.toml``): exactly, or, for an entry with a leading dot
  (``.example.test``), that name and every name under it.

A name added there should be one whose address only its owner decides (a container's service
name, a host name of one's own domain): a public suffix such as ``.com`` lets anyone in.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from .config_fields import ConfigError

_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*")
_HOST = re.compile(r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9_.-]+))"
                   r"(?::(?P<port>[0-9]{1,5}))?")


def _address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_name(value: str) -> str | None:
    """The name a ``Host`` header gives (lower case, without its port, the brackets of an IPv6
    address or one trailing dot), or None when the header is not a host with an optional
    port (RFC 9110 section 7.2: ``uri-host [ ":" port ]``)."""
    match = _HOST.fullmatch(value.strip())
    if match is None or (match["port"] is not None and int(match["port"]) > 65535):
        return None
    if match["v6"] is not None:
        name = match["v6"].lower()
        return name if ":" in name and _address(name) else None
    name = match["name"].lower()
    name = name[:-1] if name.endswith(".") else name
    return name if _address(name) or _NAME.fullmatch(name) else None


def allowed_entry(value: str, where: str) -> str:
    """An entry of ``control_hosts`` as it is compared: a host name or an IP address (lower
    case, without one trailing dot), or ``.name`` for a name and every name under it. Anything
    else (a port, a URL, a ``*``) is a :class:`ConfigError` naming ``where``."""
    text = value.strip().lower()
    dotted = text.startswith(".")
    name = text[1:] if dotted else text
    if name.startswith("[") and name.endswith("]") and not dotted:
        name = name[1:-1]
    name = name[:-1] if name.endswith(".") else name
    if _address(name) and not dotted:
        return name
    if not _NAME.fullmatch(name) or (dotted and "." not in name):
        hint = (" (for a name and every name under it, give .example.test)"
                if "*" in text else "")
        raise ConfigError(f"{where} {value[:80]!r} is not a host name (no scheme, port or "
                          f"path; .example.test for a name and the names under it, a domain "
                          f"of two labels or more){hint}")
    return f".{name}" if dotted else name


def allowed_entries(values: object, where: str) -> tuple[str, ...]:
    """Every entry of ``values`` (a list or tuple) through :func:`allowed_entry`, in order,
    without repeats."""
    if not isinstance(values, list | tuple):
        raise ConfigError(f"{where} must be a list of host names, not {values!r:.80}")
    entries: list[str] = []
    for i, value in enumerate(values):
        if not isinstance(value, str):
            raise ConfigError(f"{where}[{i}] must be a string, not {type(value).__name__}")
        entries.append(allowed_entry(value, f"{where}[{i}]"))
    return tuple(dict.fromkeys(entries))


def accepted(name: str, *, server: str | None, public_url: str | None,
             allowed: Iterable[str]) -> bool:
    """Whether the control API answers a request whose ``Host`` names ``name`` (from
    :func:`host_name`): the module's list. ``server``: the host of ASGI's ``server``."""
    if name == "localhost" or name.endswith(".localhost") or _address(name):
        return True
    if server is not None and name == server.strip("[]").lower().rstrip("."):
        return True
    public = urlsplit(public_url).hostname if public_url else None
    if public is not None and name == public.lower().rstrip("."):
        return True
    return any(name == entry or (entry.startswith(".") and
                                 (name == entry[1:] or name.endswith(entry)))
               for entry in allowed)


WILDCARDS = frozenset({"0.0.0.0", "::"})
"""The addresses that listen on every interface of the machine."""


def machine_names() -> tuple[str, str]:
    """The machine's own host name and its fully qualified name (which may take a look-up)."""
    return socket.gethostname(), socket.getfqdn()


def listening_names(host: str, *, machine: Callable[[], Iterable[str]] = machine_names
                    ) -> tuple[str, ...]:
    """The names a server listening on ``host`` (``--host``) is reached by, as entries of
    ``control_hosts``: that host name; for a wildcard address (:data:`WILDCARDS`), the
    machine's own names (``machine``: its host name and that name's fully qualified form),
    which reach it on every interface. None for another address or a loopback name (taken
    anyway), or for what is not a name."""
    name = host.strip().strip("[]").lower().rstrip(".")
    found = machine() if name in WILDCARDS else (name,)
    names = []
    for value in found:
        named = value.strip().lower().rstrip(".")
        if named and not _address(named) and _NAME.fullmatch(named) and \
                not accepted(named, server=None, public_url=None, allowed=()):
            names.append(named)
    return tuple(dict.fromkeys(names))
