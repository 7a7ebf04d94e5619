"""``$filter`` on the Graph-shaped lists: one condition, ``<property> eq <literal>``,
``<property> in (<literal>, …)`` or ``startsWith(<property>, '<text>')``, its property named in
any case and its text compared without regard to case.

What works by default (without the advanced query parameters) follows the table of
https://learn.microsoft.com/graph/aad-advanced-queries ("Support for filter by properties of
Microsoft Entra ID (directory) objects"): ``in`` "is supported by default whenever ``eq``
operator is supported by default", and ``startsWith`` only on the properties a list names as
``prefixable``: for users ``displayName``, ``givenName``, ``surname``, ``mail``,
``mailNickname`` and ``userPrincipalName``; for groups ``displayName``, ``mail`` and
``mailNickname``; for applications and service principals ``displayName`` (the table's
"Supported by Default" startsWith cells, includes/filter-directory-objects.md of
microsoftgraph/microsoft-graph-docs-contrib; the permissions reference's example of
Group.Read.All is ``GET /groups?$filter=startswith(displayName,'Sales')``). ``ne``, ``not``,
``endsWith``, ``and``/``or`` and lambda operators are refused with a 400 naming ``$filter``.

Property names are matched in any case, as ``$select`` and ``$orderby`` match theirs: Graph's
directory lists do (``Get-MgGroup -Filter "DisplayName eq '…'"``, which the SDK sends as it is,
is what MicrosoftDocs/microsoftgraph-docs-powershell#508 recommends, and
``UserPrincipalName eq '…'`` found the user in microsoftgraph/msgraph-sdk-powershell#1869).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .payload import BadInput

if TYPE_CHECKING:
    from .graph_paging import Entry

__all__ = ["MAX_IN_VALUES", "Condition", "filtered", "parse"]

MAX_IN_VALUES = 15
"""Graph's limit on the values of one ``in`` without the advanced query parameters: "limited to
15 expressions in a filter clause by default" (the ``in`` note of
https://learn.microsoft.com/graph/filter-query-parameter)."""

_LITERAL = r"(?:'(?:[^']|'')*'|true|false)"
_EQ = re.compile(rf"^\s*(\w+)\s+eq\s+({_LITERAL})\s*$")
_IN = re.compile(rf"^\s*(\w+)\s+in\s*\(\s*({_LITERAL}(?:\s*,\s*{_LITERAL})*)\s*\)\s*$")
_STARTS = re.compile(r"^\s*startswith\s*\(\s*(\w+)\s*,\s*('(?:[^']|'')*')\s*\)\s*$",
                     re.IGNORECASE)
_ITEM = re.compile(_LITERAL)


@dataclass(frozen=True)
class Condition:
    """A parsed ``$filter``: the property (as the list spells it), the operator (``eq``,
    ``in`` or ``startswith``) and the literals, text or booleans."""

    prop: str
    op: str
    values: tuple[str | bool, ...]


def _literal(token: str) -> str | bool:
    if token in ("true", "false"):
        return token == "true"
    return token[1:-1].replace("''", "'")


def _property(name: str, allowed: Collection[str]) -> str | None:
    return next((p for p in allowed if p.lower() == name.lower()), None)


def _usage(allowed: Collection[str], prefixable: Collection[str]) -> str:
    starts = (f", or startsWith(<property>, 'text') with one of "
              f"{', '.join(sorted(prefixable))}" if prefixable else "")
    return (f"unsupported '$filter'; use <property> eq 'value' (or eq true|false) or "
            f"<property> in ('a', 'b') with one of {', '.join(sorted(allowed))}{starts}")


def parse(options: Mapping[str, str], allowed: Collection[str],
          prefixable: Collection[str] = ()) -> Condition | None:
    """The ``$filter``, or ``None``; a form or property the list does not take is a 400
    naming ``$filter``."""
    expr = options.get("$filter")
    if expr is None:
        return None
    if not allowed:
        raise BadInput("'$filter' is not supported on this list", field="$filter")
    for pattern, op, names in ((_EQ, "eq", allowed), (_IN, "in", allowed),
                               (_STARTS, "startswith", prefixable)):
        match = pattern.match(expr)
        if match is None:
            continue
        prop = _property(match.group(1), names)
        if prop is None:
            break
        values = tuple(_literal(t) for t in _ITEM.findall(match.group(2))) if op == "in" \
            else (_literal(match.group(2)),)
        if len(values) > MAX_IN_VALUES:
            raise BadInput(f"'$filter': an 'in' takes at most {MAX_IN_VALUES} values",
                           field="$filter")
        return Condition(prop, op, values)
    raise BadInput(_usage(allowed, prefixable), field="$filter")


def _type_check(condition: Condition, values: Sequence[object]) -> None:
    """OData's type check, in the words of Graph's OData library."""
    for literal in condition.values:
        kind: type = bool if isinstance(literal, bool) else str
        if any(v is not None and not isinstance(v, kind) for v in values):
            kinds = ("Edm.String", "Edm.Boolean") if kind is bool \
                else ("Edm.Boolean", "Edm.String")
            raise BadInput(f"A binary operator with incompatible types was detected. Found "
                           f"operand types '{kinds[0]}' and '{kinds[1]}' for operator kind "
                           f"'Equal'.", field="$filter")


def _matches(condition: Condition, value: object) -> bool:
    if condition.op == "startswith":
        prefix = str(condition.values[0]).lower()
        return isinstance(value, str) and value.lower().startswith(prefix)
    for literal in condition.values:
        if isinstance(literal, bool):
            if value is literal:
                return True
        elif str(value or "").lower() == literal.lower():
            return True
    return False


def filtered(entries: list[Entry], condition: Condition | None) -> list[Entry]:
    if condition is None:
        return entries
    values = [e.properties.get(condition.prop) for e in entries]
    _type_check(condition, values)
    return [e for e, v in zip(entries, values, strict=True) if _matches(condition, v)]
