"""OData query options on the Graph-shaped lists: paging (``$top``, ``$skiptoken``),
``$select``, ``$filter`` (one condition, :mod:`.graph_filter`), ``$orderby`` and
``$count``, their property names in any case; a ``$filter`` or ``$orderby`` on a property the
caller may not read of every item is Graph's 403 (:mod:`.graph_visibility`).

Paging follows https://learn.microsoft.com/graph/paging: a page holds ``$top`` items or, without
it, 100 (as ``GET /users`` does); while more remain the body carries ``@odata.nextLink``, the
request's URL with every other query option kept and a ``$skiptoken`` added. The token is a
cursor, not a position: the sort key of the page's last item (the ``id`` unless ``$orderby``
names a property), so objects added or removed between pages neither repeat nor push others out
of sight. Graph's own user skiptokens carry the last object's id too (one is shown in
https://devblogs.microsoft.com/microsoft365dev/30daysmsgraph-day-7-paging-and-nextlink).

Any other ``$`` option is refused: a service "MUST reject any requests which contain the
unsupported option" (https://learn.microsoft.com/openspecs/windows_protocols/ms-odata/
72d4ebf9-5480-49a4-b88b-c5782f726c87), and Graph's user reference notes that ``$`` starts only
system query options in its URLs.

Advanced queries (microsoftgraph/microsoft-graph-docs-contrib concepts/aad-advanced-queries.md):
the *advanced query parameters* are the ``ConsistencyLevel: eventual`` header and
``$count=true`` together. Without both, ``$count=true`` is silently ignored (no
``@odata.count``; the 400 "$count is not currently supported." of
microsoftgraph/microsoft-graph-docs#9254 answers the ``/$count`` URL segment, which the mock does
not offer), and ``$orderby`` is refused together with ``$filter``, on a list whose sort the docs'
table marks "Advanced" (applications, service principals), and descending.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from . import graph_filter as filters
from .common import base_url
from .graph_http import GraphError, denied, json_body, select_context, self_path
from .payload import BadInput

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_TOP", "Entry", "collection", "select_one"]

DEFAULT_PAGE_SIZE = 100
MAX_TOP = 999
MAX_SELECT = 64
SUPPORTED = ("$top", "$skiptoken", "$select", "$filter", "$orderby", "$count")
_ORDER = re.compile(r"^\s*(\w+)(?:\s+(asc|desc))?\s*$", re.IGNORECASE)
_UNSUPPORTED_QUERY = "Request_UnsupportedQuery"


@dataclass(frozen=True)
class Entry:
    """One object of a list: every property ``$select`` may name, and what is answered
    without ``$select`` (``None``: all of them)."""

    properties: Mapping[str, Any]
    default: Mapping[str, Any] | None = None

    @property
    def id(self) -> str:
        return str(self.properties.get("id") or "")

    def view(self, names: Sequence[str] | None) -> dict[str, Any]:
        if names is None:
            return dict(self.default if self.default is not None else self.properties)
        lowered = {k.lower(): k for k in self.properties}
        out: dict[str, Any] = {k: self.properties[k] for k in ("@odata.type", "id")
                               if k in self.properties}
        for name in names:
            key = lowered.get(name.lower())
            if key is not None:
                out[key] = self.properties[key]
        return out


def _options(request: Request, supported: Collection[str] = SUPPORTED) -> dict[str, str]:
    """The request's ``$`` options by lower-cased name (OData's names are case-insensitive);
    one not in ``supported``, or repeated, is refused."""
    found: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if not name.startswith("$"):
            continue
        key = name.lower()
        if key not in supported:
            raise BadInput(f"The query option '{name[:40]}' is not supported.", field=name[:40])
        if key in found:
            raise BadInput(f"The query option '{name}' is given more than once.", field=name)
        found[key] = value
    return found


def _top(options: Mapping[str, str]) -> int:
    top = options.get("$top")
    if top is None:
        return DEFAULT_PAGE_SIZE
    if not (top.isascii() and top.isdigit()) or not 1 <= int(top) <= MAX_TOP:
        raise BadInput(f"'$top' must be an integer from 1 to {MAX_TOP}", field="$top")
    return int(top)


def _select(options: Mapping[str, str]) -> list[str] | None:
    raw = options.get("$select")
    if raw is None:
        return None
    names = [n.strip() for n in raw.split(",") if n.strip()]
    if not names or len(names) > MAX_SELECT:
        raise BadInput(f"'$select' must name 1 to {MAX_SELECT} properties", field="$select")
    return names


def _check_select(names: Sequence[str] | None, entries: Sequence[Entry], type_name: str) -> None:
    """Refuse a property no object of the list has (directory extensions excepted: a user
    without a value shows none)."""
    if names is None or not entries:
        return
    known = {k.lower() for e in entries for k in e.properties} | {"id"}
    for name in names:
        if name.lower() not in known and not name.lower().startswith("extension_"):
            raise BadInput(f"Could not find a property named '{name[:80]}' on type "
                           f"'{type_name}'.", field="$select")


def _as_named(names: list[str] | None, entries: Sequence[Entry]) -> list[str] | None:
    """The selected properties spelled as the objects spell them: ``$select`` matches names in
    any case (``?$select=AccountEnabled`` on a user answers ``accountEnabled``,
    microsoftgraph/microsoft-graph-explorer-v4#2111), and ``@odata.context`` names the
    property, not the request's spelling: OData .NET, which Graph's context URLs come from,
    writes a selected property as the model's name (``Property.Name`` in Microsoft.OData.Core's
    PathSegmentToContextUrlPathTranslator, OData/odata.net). A name no object has (a directory
    extension none holds) stays as given."""
    if names is None:
        return None
    spelled = {k.lower(): k for e in entries for k in e.properties}
    spelled.setdefault("id", "id")
    return [spelled.get(name.lower(), name) for name in names]


def select_one(request: Request, entry: Entry, type_name: str) -> dict[str, Any]:
    """One object as ``GET …/{id}?$select=…`` answers it: ``$select`` is the one option an
    object takes, and like a list's options it is refused when given twice."""
    names = _select(_options(request, ("$select",)))
    _check_select(names, [entry], type_name)
    names = _as_named(names, [entry])
    select_context(request, names)
    return entry.view(names)


@dataclass(frozen=True)
class Order:
    """What ``$orderby`` asks: the property ("" for none: by ``id``) and the direction."""

    prop: str = ""
    descending: bool = False

    @property
    def token(self) -> str:
        """The order a ``$skiptoken`` was issued for."""
        return f"{self.prop} desc" if self.descending else self.prop


_SORT_REFUSED = "Sorting not supported for current query."


def _order(options: Mapping[str, str], allowed: Collection[str], type_name: str, *,
           advanced: bool, by_default: bool) -> Order:
    """What ``$orderby`` sorts on. Graph's refusals: "Unsupported sort property
    'createdDateTime' for 'User'." (microsoftgraph/microsoft-graph-docs-contrib#1354),
    "Sorting not supported for current query." (#3145, and #4187 for ``$filter`` with
    ``$orderby`` without the advanced query parameters), both ``Request_UnsupportedQuery``; a
    descending sort without the advanced query parameters is refused too
    (microsoftgraph/microsoft-graph-docs#127). ``by_default``: the list sorts without them."""
    raw = options.get("$orderby")
    if raw is None:
        return Order()
    if not allowed:
        raise GraphError(_SORT_REFUSED, code=_UNSUPPORTED_QUERY, field="$orderby")
    match = _ORDER.match(raw)
    if match is None:
        raise BadInput("'$orderby' must be one property, optionally followed by asc or desc",
                       field="$orderby")
    prop, descending = match.group(1), (match.group(2) or "asc").lower() == "desc"
    canonical = next((p for p in allowed if p.lower() == prop.lower()), None)
    short = type_name.rsplit(".", 1)[-1]
    if canonical is None:
        raise GraphError(f"Unsupported sort property '{prop[:80]}' for "
                         f"'{short[:1].upper() + short[1:]}'.", code=_UNSUPPORTED_QUERY,
                         field="$orderby")
    if not advanced and ("$filter" in options or not by_default):
        raise GraphError(_SORT_REFUSED, code=_UNSUPPORTED_QUERY, field="$orderby")
    if not advanced and descending:
        raise GraphError("Sorting in descending order is not supported for current query.",
                         code=_UNSUPPORTED_QUERY, field="$orderby")
    return Order(canonical, descending)


def _check_readable(readable: Collection[str] | None, condition: filters.Condition | None,
                    order: Order) -> None:
    """Graph's 403 for a ``$filter`` or ``$orderby`` on a property the caller may not read of
    every object of the list (``readable``; ``None``: it reads them all), rather than a list
    filtered on values it cannot see."""
    if readable is None:
        return
    for option, prop in (("$filter", condition.prop if condition else ""),
                         ("$orderby", order.prop)):
        if prop and prop not in readable:
            raise denied(option)


def _key(entry: Entry, order: Order) -> tuple[str, str]:
    value = entry.properties.get(order.prop) if order.prop else None
    return (str(value or "").casefold(), entry.id)


def _encode(order: Order, key: tuple[str, str]) -> str:
    raw = json.dumps([order.token, *key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(options: Mapping[str, str], order: Order) -> tuple[str, str] | None:
    token = options.get("$skiptoken")
    if token is None:
        return None
    refusal = BadInput("'$skiptoken' is not one this API issued for this query; start again "
                       "without it", field="$skiptoken")
    if not token.isascii() or len(token) > 4096:
        raise refusal
    try:
        parts = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        raise refusal from None
    if (not isinstance(parts, list) or len(parts) != 3
            or not all(isinstance(p, str) for p in parts) or parts[0] != order.token):
        raise refusal
    return parts[1], parts[2]


def _next_link(request: Request, token: str) -> str:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k.lower() != "$skiptoken"]
    query = urlencode([*kept, ("$skiptoken", token)])
    return f"{base_url(request)}{self_path(request)}?{query}"


def _advanced(request: Request, options: Mapping[str, str]) -> bool:
    """Whether the request carries the advanced query parameters: ``ConsistencyLevel:
    eventual`` and ``$count=true``."""
    raw = options.get("$count")
    if raw is not None and raw.lower() not in ("true", "false"):
        raise BadInput("'$count' must be true or false", field="$count")
    eventual = request.headers.get("consistencylevel", "").strip().lower() == "eventual"
    return eventual and raw is not None and raw.lower() == "true"


def collection(request: Request, fragment: str,
               items: Sequence[Entry | Mapping[str, Any]], *,
               type_name: str = "microsoft.graph.directoryObject",
               filterable: Collection[str] = (), prefixable: Collection[str] = (),
               orderable: Collection[str] = (),
               sorts_by_default: bool = True,
               readable: Collection[str] | None = None) -> Response:
    """A page of ``items`` (objects, or :class:`Entry` where the default properties are fewer
    than the selectable ones) under the request's query options. ``sorts_by_default``: False
    where ``$orderby`` needs the advanced query parameters (the docs' table marks
    applications' and service principals' sort properties "Advanced"). ``filterable``: the
    properties ``$filter`` takes with ``eq`` and ``in``; ``prefixable``: with ``startsWith``.
    ``readable``: the
    properties the caller reads of every item, where it does not read them all; a
    ``$filter`` or ``$orderby`` on another is Graph's 403."""
    options = _options(request)
    entries = [i if isinstance(i, Entry) else Entry(i) for i in items]
    names = _select(options)
    _check_select(names, entries, type_name)
    names = _as_named(names, entries)
    select_context(request, names)
    top = _top(options)
    advanced = _advanced(request, options)
    order = _order(options, orderable, type_name, advanced=advanced,
                   by_default=sorts_by_default)
    condition = filters.parse(options, filterable, prefixable)
    _check_readable(readable, condition, order)
    matching = sorted(filters.filtered(entries, condition), key=lambda e: _key(e, order),
                      reverse=order.descending)
    after = _decode(options, order)
    remaining = [e for e in matching if after is None
                 or (_key(e, order) < after if order.descending else _key(e, order) > after)]
    shown = remaining[:top]
    body: dict[str, Any] = {}
    if advanced:
        body["@odata.count"] = len(matching)
    if len(remaining) > top:
        body["@odata.nextLink"] = _next_link(request, _encode(order, _key(shown[-1], order)))
    body["value"] = [e.view(names) for e in shown]
    return json_body(request, fragment, body)
