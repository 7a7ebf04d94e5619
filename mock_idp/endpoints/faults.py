"""``/_mock/faults``: arm, list and clear faults over HTTP."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..faults import FaultRegistry, FaultSpecError, parse_fault
from .common import idp, plain_error


def _registry(request: Request) -> FaultRegistry:
    return idp(request).faults


async def arm(request: Request) -> Response:
    if "json" not in request.headers.get("content-type", ""):
        return plain_error(415, "send the fault as a JSON object (Content-Type: "
                           "application/json)", field="body")
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return plain_error(400, "the body is not valid JSON", field="body")
    try:
        state = idp(request)
        fault = parse_fault(body, state.store, state.clock.now())
    except FaultSpecError as err:
        return plain_error(400, str(err), field=err.field)
    _registry(request).arm(fault)
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
