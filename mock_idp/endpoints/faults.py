"""``/_mock/faults``: arm, list and clear faults over HTTP."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..faults import Fault, FaultRegistry, FaultSpecError, parse_fault
from ..state import IdpState
from .common import idp, plain_error


def _registry(request: Request) -> FaultRegistry:
    return idp(request).faults


def arm_fault(state: IdpState, body: Any) -> Fault:
    """``POST /_mock/faults``'s work (raises :class:`FaultSpecError` naming the field); the
    console's arm form calls it too."""
    return state.faults.arm(parse_fault(body, state.store, state.clock.now()))


async def arm(request: Request) -> Response:
    if "json" not in request.headers.get("content-type", ""):
        return plain_error(415, "send the fault as a JSON object (Content-Type: "
                           "application/json)", field="body")
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return plain_error(400, "the body is not valid JSON", field="body")
    try:
        fault = arm_fault(idp(request), body)
    except FaultSpecError as err:
        return plain_error(400, str(err), field=err.field)
    return JSONResponse(fault.to_json(), status_code=201)


async def list_faults(request: Request) -> Response:
    return JSONResponse({"faults": [f.to_json() for f in _registry(request).list()]})


async def clear_all(request: Request) -> Response:
    return JSONResponse({"cleared": _registry(request).clear()})


async def clear_one(request: Request) -> Response:
    fault_id = request.path_params["fault_id"]
    if not _registry(request).clear(fault_id):
        return plain_error(404, f"no armed fault {fault_id!r}", field="fault_id")
    return Response(status_code=204)


routes: list[BaseRoute] = [
    Route("/_mock/faults", arm, methods=["POST"]),
    Route("/_mock/faults", list_faults, methods=["GET"]),
    Route("/_mock/faults", clear_all, methods=["DELETE"]),
    Route("/_mock/faults/{fault_id}", clear_one, methods=["DELETE"]),
]
