"""What the provider accepts as text from outside: names and other display text, user principal
names and email addresses. Pure predicates that say what is wrong, or ``None``; the management
and test-control APIs (:mod:`mock_idp.endpoints.payload`) and ``idp.toml``
(:mod:`mock_idp.config_fields`) turn the answer into their own refusal naming the field.

Display text holds no C0 or C1 control character (a multi-line one may hold tab, line feed and
carriage return), no line or paragraph separator where one line is expected, and none of the
format characters that reorder the text around them (U+202A to U+202E, U+2066 to U+2069), which
would make a name read differently from what it is.

A user principal name follows Entra's username policy ("Password policies and account
restrictions in Microsoft Entra ID", UserPrincipalName): before the ``@`` only A-Z, a-z, 0-9 and
``' . - _ ! # ^ ~``, at most 64 of them and no period just before the ``@``; one ``@``; at most
113 characters in all. Graph's ``user`` reference adds that it "cannot contain accent
characters".

A mail nickname (``mailNickname``, a user's or group's mail alias) is at most 64 characters of
ASCII without spaces or ``@ ( ) \\ [ ] " ; : < > ,`` (the ``group`` resource's property table;
Graph refuses such a user alias too, microsoftgraph/microsoft-graph-docs#5777); the defaults
``idp.toml`` gives a user's and a group's are here too.
"""

from __future__ import annotations

import re

MAX_UPN = 113
MAX_UPN_LOCAL = 64
MAX_MAIL_NICKNAME = 64

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_REORDERING = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_UPN_LOCAL = re.compile(r"[A-Za-z0-9'._!#^~-]+", re.ASCII)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*", re.ASCII)
_TENANT_DOMAIN = re.compile(rf"(?=.{{1,253}}$)(?:{_LABEL}\.)+[A-Za-z]{{2,63}}", re.ASCII)
_MAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}", re.ASCII)
_NICKNAME_FORBIDDEN = frozenset('@()\\[]";:<>, ')


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` is not acceptable display text, or ``None``."""
    bad = (_CONTROL_MULTILINE if multiline else _CONTROL).search(value)
    if bad is not None:
        return f"contains a control character (U+{ord(bad.group()):04X})"
    bad = _REORDERING.search(value)
    if bad is not None:
        return f"contains a character that reorders text (U+{ord(bad.group()):04X})"
    return None


def is_tenant_domain(value: str) -> bool:
    """Whether ``value`` can name a tenant in a path (``/{tenant}/oauth2/v2.0/authorize``): a
    DNS name of two labels or more whose last is letters, as ``contoso.onmicrosoft.com``. The
    endpoints refuse any other segment that is not a GUID with AADSTS900023, so a tenant is
    registered only under a domain they take: ``1.2.3.4`` or ``v2.0`` would make a tenant no
    authority could reach by its domain."""
    return _TENANT_DOMAIN.fullmatch(value) is not None


def upn_problem(value: str) -> str | None:
    """Why ``value`` is not a user principal name Entra accepts, or ``None``. The domain is
    only checked for its shape; whether it is the tenant's is the caller's question."""
    local, at, domain = value.partition("@")
    if not at or not local or not domain or "@" in domain:
        return "must be name@domain, with one @"
    if len(value) > MAX_UPN:
        return f"is longer than {MAX_UPN} characters"
    if len(local) > MAX_UPN_LOCAL:
        return f"has more than {MAX_UPN_LOCAL} characters before the @"
    if not _UPN_LOCAL.fullmatch(local):
        return "may hold only A-Z, a-z, 0-9 and ' . - _ ! # ^ ~ before the @"
    if local.endswith("."):
        return "must not have a period just before the @"
    if not _DOMAIN.fullmatch(domain):
        return "must end in a DNS domain name"
    return None


def mail_problem(value: str) -> str | None:
    """Why ``value`` is not an email address (ASCII, as Graph's ``mail`` takes), or ``None``."""
    local, at, domain = value.partition("@")
    if not at or not _MAIL_LOCAL.fullmatch(local) or not _DOMAIN.fullmatch(domain):
        return "must be an email address such as name@contoso.com, without accents or spaces"
    return None


def mail_nickname_problem(value: str) -> str | None:
    """Why ``value`` is not a mail nickname Graph accepts, or ``None``."""
    if not value:
        return "must not be empty"
    if len(value) > MAX_MAIL_NICKNAME:
        return f"is longer than {MAX_MAIL_NICKNAME} characters"
    if not value.isascii() or not value.isprintable() or _NICKNAME_FORBIDDEN & set(value):
        return "may hold only ASCII without spaces or @ ( ) \\ [ ] \" ; : < > ,"
    return None


def default_mail_nickname(upn: str) -> str:
    """A user's nickname when ``idp.toml`` gives none: its UPN's part before the ``@``, as the
    Entra admin center's "Derive from user principal name" (checked by default) sets it
    (https://learn.microsoft.com/entra/fundamentals/how-to-create-delete-users). The UPN policy
    above allows no character a nickname refuses."""
    return upn.partition("@")[0]


def group_mail_nickname(display_name: str) -> str:
    """A group's nickname when ``idp.toml`` gives none: the ASCII letters and digits of its
    name (the mock's own choice; Graph's ``POST groups`` requires one)."""
    letters = "".join(c for c in display_name if c.isascii() and c.isalnum())
    return letters[:MAX_MAIL_NICKNAME] or "group"
