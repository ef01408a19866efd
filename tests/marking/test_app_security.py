"""The marking app refuses requests without its token, from other origins or other host names,
and listens on 127.0.0.1 only (real server, raw HTTP)."""

from __future__ import annotations

import http.client
import json
import socket

import pytest

from tests.marking._marking_support import Server, make_results

Q = "q3_1_explain"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(make_results(tmp_path_factory.mktemp("security")))
    yield s
    s.stop()


def _req(server, method: str, path: str, headers: dict[str, str] | None = None,
         body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        hdrs = {"Host": f"127.0.0.1:{server.port}", **(headers or {})}
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def cookie(server) -> str:
    status, headers, _ = _req(server, "GET", f"/?token={server.token}")
    assert status == 303 and headers["location"] == "/"
    return headers["set-cookie"].split(";")[0]


def _item(server, cookie: str, **override: str) -> int:
    headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{server.port}",
               "X-Hw3-Token": server.token, "Content-Type": "application/json"}
    headers.update(override)
    headers = {k: v for k, v in headers.items() if v}
    body = json.dumps({"question": Q, "points": 1, "text": "from a test"}).encode()
    return _req(server, "POST", "/api/items", headers, body)[0]


def test_pages_need_the_token(server, cookie):
    assert _req(server, "GET", "/")[0] == 403
    assert _req(server, "GET", f"/q/{Q}")[0] == 403
    assert _req(server, "GET", "/export.csv")[0] == 403
    assert _req(server, "GET", f"/api/q/{Q}")[0] == 403
    assert _req(server, "GET", "/static/marking.js")[0] == 403
    assert _req(server, "GET", "/?token=wrong")[0] == 403
    assert _req(server, "GET", "/", {"Cookie": cookie.split("=")[0] + "=wrong"})[0] == 403
    status, headers, body = _req(server, "GET", f"/q/{Q}", {"Cookie": cookie})
    assert status == 200 and b"Answer 1" in body
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"


def test_other_host_names_are_refused(server, cookie):
    # DNS rebinding: a page at evil.example resolving to 127.0.0.1 sends its own Host.
    for host in ("evil.example", f"evil.example:{server.port}", "127.0.0.1"):
        assert _req(server, "GET", f"/q/{Q}", {"Cookie": cookie, "Host": host})[0] == 403


def test_changes_need_our_origin_and_the_token_header(server, cookie):
    assert _item(server, cookie, Origin="http://evil.example") == 403
    assert _item(server, cookie, Origin=f"http://localhost:{server.port + 1}") == 403
    assert _item(server, cookie, Origin="") == 403  # no Origin: refused too
    assert _item(server, cookie, **{"X-Hw3-Token": ""}) == 403
    assert _item(server, cookie, **{"X-Hw3-Token": "wrong"}) == 403
    assert _item(server, cookie, Cookie="") == 403
    _, _, before = _req(server, "GET", f"/api/q/{Q}", {"Cookie": cookie})
    assert json.loads(before)["items"] == []  # none of the refused requests changed anything
    assert _item(server, cookie) == 200
    _, _, after = _req(server, "GET", f"/api/q/{Q}", {"Cookie": cookie})
    assert [i["text"] for i in json.loads(after)["items"]] == ["from a test"]


def test_bad_input_gets_one_sentence(server, cookie):
    headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{server.port}",
               "X-Hw3-Token": server.token}
    status, _, body = _req(server, "POST", "/api/items", headers,
                           json.dumps({"question": Q, "points": "lots", "text": "x"}).encode())
    assert status == 400 and "number" in json.loads(body)["error"]
    status, _, body = _req(server, "POST", "/api/import", headers, b"id,nope\namy,1\n")
    assert status == 400 and "not manual questions" in json.loads(body)["error"]


def test_listens_on_127_0_0_1_only(server):
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.2", server.port), timeout=5).close()
    socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
