"""The marking app's guard: what every request must show before any handler runs.

A request must name this server in its ``Host`` header (no DNS rebinding) and carry the
secret token: once in the address ``hw3 mark`` printed (a GET with ``?token=``, swapped at
once for a same-site, HTTP-only cookie and dropped from the address bar), then in that
cookie. A request that changes anything (not GET or HEAD) must also come from this server's
own origin and carry the token in the ``X-HW3-Token`` header (no cross-site request forgery).
Every answer, refusals included, carries ``HEADERS`` (a Content Security Policy allowing only
this server's own script, no framing, no sniffing, no referrer, no caching).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Cache-Control": "no-store"}

WRONG_HOST = "Wrong host: open the address hw3 mark printed."
WRONG_TOKEN = "Wrong token: open the address hw3 mark printed."
NO_TOKEN = "This marking app needs the address with its token that hw3 mark printed."
FOREIGN_ORIGIN = "Refused: the request does not come from this marking app."
NO_TOKEN_HEADER = "Refused: the request lacks the app's token header."
TOKEN_HEADER = "x-hw3-token"


def _same(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode(), token.encode())


class Guard:
    """A ``BaseHTTPMiddleware`` dispatch for the app served on 127.0.0.1:``port`` with
    ``token``: ``Middleware(BaseHTTPMiddleware, dispatch=Guard(token, port))``."""

    def __init__(self, token: str, port: int):
        self.token = token
        self.hosts = frozenset({f"127.0.0.1:{port}", f"localhost:{port}"})
        self.origins = frozenset(f"http://{h}" for h in self.hosts)
        self.cookie = f"hw3-mark-{port}"

    async def __call__(self, request: Request,
                       call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        stop = self.check(request)
        if stop is not None:
            return stop
        response = await call_next(request)
        for k, v in HEADERS.items():
            response.headers.setdefault(k, v)
        return response

    def check(self, request: Request) -> Response | None:
        """The answer that stops ``request`` here (a refusal, or the token swapped for the
        cookie); None: let it through."""
        if request.headers.get("host", "") not in self.hosts:
            return refuse(WRONG_HOST)
        given = request.query_params.get("token")
        if given is not None and request.method == "GET":
            return self.swap_token(request, given)
        if not _same(request.cookies.get(self.cookie, ""), self.token):
            return refuse(NO_TOKEN)
        if request.method not in ("GET", "HEAD"):
            return self.check_change(request)
        return None

    def swap_token(self, request: Request, given: str) -> Response:
        """The first visit: the token for a cookie, and out of the address bar and history."""
        if not _same(given, self.token):
            return refuse(WRONG_TOKEN)
        rest = urlencode([(k, v) for k, v in request.query_params.multi_items()
                          if k != "token"])
        resp = RedirectResponse(request.url.path + (f"?{rest}" if rest else ""), 303)
        resp.set_cookie(self.cookie, self.token, httponly=True, samesite="strict", path="/")
        return resp

    def check_change(self, request: Request) -> Response | None:
        """A request that changes marks: from this app's own page, with the token header."""
        origin = request.headers.get("origin", "")
        if origin not in self.origins or origin != f"http://{request.headers.get('host')}":
            return refuse(FOREIGN_ORIGIN)
        if not _same(request.headers.get(TOKEN_HEADER, ""), self.token):
            return refuse(NO_TOKEN_HEADER)
        return None


def refuse(why: str) -> Response:
    return PlainTextResponse(why, status_code=403, headers=HEADERS)
