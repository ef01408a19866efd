"""The marking app's index shows each question's prompt rendered, as the question pages do."""

from __future__ import annotations

import http.client

import pytest

from hw3.marking.rubric import load_manual
from tests.marking._marking_support import Server, make_results


@pytest.fixture(scope="module")
def index_html(tmp_path_factory) -> str:
    server = Server(make_results(tmp_path_factory.mktemp("index")))
    try:
        host = {"Host": f"127.0.0.1:{server.port}"}
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", f"/?token={server.token}", headers=host)
        r = conn.getresponse()
        r.read()
        cookie = r.getheader("set-cookie").split(";")[0]
        conn.request("GET", "/", headers={**host, "Cookie": cookie})
        r = conn.getresponse()
        assert r.status == 200
        return r.read().decode()
    finally:
        server.stop()


def test_index_renders_the_prompts_markdown(index_html):
    prompts = [q.prompt for q in load_manual()]
    assert prompts and all("**" in p for p in prompts)  # the master's prompts are Markdown
    assert "**" not in index_html
    assert "<strong>Explain (3.1).</strong>" in index_html
