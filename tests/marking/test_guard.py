"""The marking app's guard alone, on a two-route app: what it refuses (wrong Host, no or a
wrong token, a change from another origin or without the token header) and what it lets
through, with the security headers on every answer."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from hw3.marking import guard
from hw3.marking.guard import HEADERS, Guard

PORT, TOKEN = 8765, "s3cret-token"
HOST = f"127.0.0.1:{PORT}"
ORIGIN = f"http://{HOST}"
COOKIE = {"Cookie": f"hw3-mark-{PORT}={TOKEN}"}


def _ok(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


@pytest.fixture
def client() -> TestClient:
    app = Starlette(routes=[Route("/page", _ok), Route("/change", _ok, methods=["POST"])],
                    middleware=[Middleware(BaseHTTPMiddleware, dispatch=Guard(TOKEN, PORT))])
    return TestClient(app, base_url=f"http://{HOST}", follow_redirects=False)


def _refused(response, why: str) -> bool:
    return (response.status_code == 403 and response.text == why
            and all(response.headers.get(k) == v for k, v in HEADERS.items()))


def test_a_request_with_the_cookie_gets_through_with_the_security_headers(client):
    r = client.get("/page", headers=COOKIE)
    assert r.status_code == 200 and r.text == "ok"
    assert all(r.headers.get(k) == v for k, v in HEADERS.items())


@pytest.mark.parametrize("host", ["evil.example:8765", "127.0.0.1:1", "localhost", ""])
def test_another_host_name_is_refused_even_with_the_token(client, host):
    # DNS rebinding: a page of evil.example resolved to 127.0.0.1 sends its own Host.
    assert _refused(client.get("/page", headers={**COOKIE, "Host": host}),
                    guard.WRONG_HOST)
    assert _refused(client.get(f"/page?token={TOKEN}", headers={"Host": host}),
                    guard.WRONG_HOST)


def test_localhost_by_name_is_this_server(client):
    r = client.get("/page", headers={**COOKIE, "Host": f"localhost:{PORT}"})
    assert r.status_code == 200


def test_no_token_and_a_wrong_cookie_are_refused(client):
    assert _refused(client.get("/page"), guard.NO_TOKEN)
    for cookie in (f"hw3-mark-{PORT}=guess", f"hw3-mark-1={TOKEN}"):
        assert _refused(client.get("/page", headers={"Cookie": cookie}), guard.NO_TOKEN)


def test_a_wrong_token_in_the_address_is_refused(client):
    assert _refused(client.get("/page?token=guess"), guard.WRONG_TOKEN)
    assert _refused(client.get("/page?token="), guard.WRONG_TOKEN)


def test_the_token_in_the_address_becomes_a_strict_cookie_and_leaves_the_address(client):
    r = client.get(f"/page?a=1&token={TOKEN}&b=2")
    assert r.status_code == 303 and r.headers["location"] == "/page?a=1&b=2"
    cookie = r.headers["set-cookie"].lower()
    assert cookie.startswith(f"hw3-mark-{PORT}={TOKEN}".lower())
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    assert client.get(f"/page?token={TOKEN}").headers["location"] == "/page"


def test_a_token_in_the_address_of_a_change_is_not_enough(client):
    assert _refused(client.post(f"/change?token={TOKEN}"), guard.NO_TOKEN)


@pytest.mark.parametrize("origin", ["", "null", "http://evil.example",
                                    f"https://{HOST}", f"http://localhost:{PORT}"])
def test_a_change_from_another_origin_is_refused(client, origin):
    # localhost's origin on a request to 127.0.0.1: our origin, but not this request's host.
    headers = {"X-HW3-Token": TOKEN, **({"Origin": origin} if origin else {})}
    assert _refused(client.post("/change", headers={**COOKIE, **headers}),
                    guard.FOREIGN_ORIGIN)


def test_a_change_without_the_token_header_is_refused(client):
    assert _refused(client.post("/change", headers={**COOKIE, "Origin": ORIGIN}),
                    guard.NO_TOKEN_HEADER)
    assert _refused(client.post("/change", headers={**COOKIE, "Origin": ORIGIN,
                                                 "X-HW3-Token": "guess"}),
                    guard.NO_TOKEN_HEADER)


def test_a_change_from_our_page_with_the_token_header_gets_through(client):
    r = client.post("/change", headers={**COOKIE, "Origin": ORIGIN, "X-HW3-Token": TOKEN})
    assert r.status_code == 200 and r.text == "ok"
