"""Text a student chose, that Python holds but UTF-8 cannot (issue 18, item 7): a lone
surrogate in an answer, a file name that is not UTF-8. `hw3 mark` starts, and every page
shows it as U+FFFD; before, the app could not start or a question page failed for every
marker."""

from __future__ import annotations

import http.client
import json

import pytest

from tests.marking._marking_support import Server, make_results

Q = "q3_1_explain"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = make_results(tmp_path_factory.mktemp("surrogates"))
    results = json.loads((folder / "results.json").read_text())
    amy = next(s for s in results["submissions"] if s["id"] == "amy")
    amy["explanations"][Q]["text"] = "Affine, so \ud800 the sum is affine."
    amy["id"] = "amy-\udcff"  # a file name that is not UTF-8, as Python reads it
    amy["path"] = "submissions/amy-\udcff.ipynb"
    (folder / "results.json").write_text(json.dumps(results))  # escaped: "\ud800"
    s = Server(folder)
    yield s
    s.stop()


def _get(server, path: str, cookie: str = "") -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request("GET", path, headers={"Host": f"127.0.0.1:{server.port}",
                                           **({"Cookie": cookie} if cookie else {})})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def test_hw3_mark_starts_and_serves_an_answer_holding_a_lone_surrogate(server):
    status, headers, _ = _get(server, f"/?token={server.token}")
    assert status == 303
    cookie = headers["set-cookie"].split(";")[0]
    status, _, body = _get(server, f"/q/{Q}", cookie)
    assert status == 200
    assert "Affine, so \ufffd the sum is affine." in body.decode("utf-8")
    status, _, body = _get(server, f"/q/{Q}?reveal=1", cookie)
    assert status == 200 and "amy-\ufffd" in body.decode("utf-8")
    status, _, body = _get(server, "/export.csv", cookie)
    assert status == 200 and "amy-\ufffd" in body.decode("utf-8")
