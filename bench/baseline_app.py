"""The framework floor: the same two requests a login flow makes, answered with no work.

``python -m bench.baseline_app`` serves, with uvicorn configured as ``python -m mock_idp``
configures it, a Starlette app whose authorize redirects back with a fixed code and whose token
endpoint parses the form and returns fixed tokens. What it costs per flow is what uvicorn,
its HTTP parser and Starlette cost before a provider does anything.
"""

from __future__ import annotations

import socket
import sys
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

TOKENS = {"token_type": "Bearer", "expires_in": 3600, "access_token": "a" * 1400,
          "id_token": "i" * 1200, "scope": "openid profile email"}


async def discovery(request: Request) -> Response:
    return JSONResponse({"issuer": str(request.base_url).rstrip("/")})


async def authorize(request: Request) -> Response:
    query = request.query_params
    back = urlencode({"code": "1.A" + "c" * 60, "state": query.get("state", "")})
    return RedirectResponse(f"{query.get('redirect_uri', '/')}?{back}", status_code=302)


async def token(request: Request) -> Response:
    form = await request.form()
    if form.get("grant_type") != "authorization_code":
        return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
    return JSONResponse(TOKENS, headers={"Cache-Control": "no-store"})


app = Starlette(routes=[
    Route("/.well-known/openid-configuration", discovery),
    Route("/authorize", authorize),
    Route("/token", token, methods=["POST"]),
])


def main() -> int:
    # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY only on such sockets, and without
    # it a response written as headers then body waits out the client's delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning",
                                           access_log=False))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
