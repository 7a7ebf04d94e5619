"""``/_mock/faults``: arm, list and clear faults over HTTP."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from ..faults import Fault, FaultSpecError, parse_fault
from ..state import IdpState
from .common import idp, plain_error
from .mock_api import route
from .payload import BadInput, read_object


def arm_fault(state: IdpState, body: Any) -> Fault:
    """``POST /_mock/faults``'s work (raises :class:`FaultSpecError` naming the field); the
    console's arm form calls it too."""
    return state.faults.arm(parse_fault(body, state.store, state.clock.now()))


async def arm(request: Request) -> Response:
    body = await read_object(request)
    try:
        fault = arm_fault(idp(request), body)
    except FaultSpecError as err:
        raise BadInput(str(err), field=err.field) from None
    return JSONResponse(fault.to_json(), status_code=201)


async def list_faults(request: Request) -> Response:
    return JSONResponse({"faults": [f.to_json() for f in idp(request).faults.list()]})


async def clear_all(request: Request) -> Response:
    return JSONResponse({"cleared": idp(request).faults.clear()})


async def clear_one(request: Request) -> Response:
    fault_id = request.path_params["fault_id"]
    if not idp(request).faults.clear(fault_id):
        return plain_error(404, f"no armed fault {fault_id[:64]!r}", field="fault_id")
    return Response(status_code=204)


routes: list[BaseRoute] = [
    route("/_mock/faults", {"POST": arm, "GET": list_faults, "DELETE": clear_all}),
    route("/_mock/faults/{fault_id}", {"DELETE": clear_one}),
]
