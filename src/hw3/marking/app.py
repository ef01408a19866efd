"""``hw3 mark DIR``: a local web app to mark the explanations of a graded class, by question.

Starlette (ASGI) served by uvicorn on 127.0.0.1 only. Every request must carry the secret token
of the printed URL (the first visit swaps it for a same-site cookie, as Jupyter does), name this
server in its ``Host`` header (no DNS rebinding), and, if it changes anything, come from this
server's own origin with the token in a header (no cross-site request forgery). Pages are Jinja2
templates with autoescape; a student's Markdown is rendered on the server with raw HTML off
(:mod:`hw3.marking.render`); the pages' Content Security Policy allows only this server's own
script, so nothing a student wrote can run. Marks live in ``DIR/marks.sqlite``
(:mod:`hw3.marking.store`); the results are only read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from hw3.layout import clean_json
from hw3.marking.render import render_markdown
from hw3.marking.store import DB_NAME, MarksError, Store, marks_csv, parse_marks_csv

MAX_BODY = 2 * 2**20
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Cache-Control": "no-store"}


@dataclass
class Answer:
    key: str  # opaque: the page never holds the submission id unless revealed
    sub: str
    text: str
    found: bool
    truncated: bool


@dataclass
class Question:
    name: str
    possible: float
    prompt: str
    answers: list[Answer]


class Class:
    """The graded class's manual questions and answers, from ``DIR/results.json``."""

    def __init__(self, folder: Path, results: dict[str, Any], secret: str):
        manual = results["manual"]
        subs = [s for s in results["submissions"] if s.get("status") == "graded"]
        self.ids = [str(s.get("id")) for s in subs]
        self.questions: dict[str, Question] = {}
        for name, q in manual.items():
            answers = []
            for s in subs:
                e = (s.get("explanations") or {}).get(name) or {}
                key = hmac.new(secret.encode(), f"{name}\0{s['id']}".encode(),
                               hashlib.sha256).hexdigest()[:16]
                answers.append(Answer(key, str(s["id"]), str(e.get("text") or ""),
                                      bool(e.get("found")), bool(e.get("truncated"))))
            # Anonymous order: by the opaque key (not by name), different per question, the
            # same every time the app starts on this folder.
            answers.sort(key=lambda a: a.key)
            self.questions[name] = Question(name, float(q.get("possible", 0)),
                                            str(q.get("prompt", "")), answers)
        self.possible = {n: q.possible for n, q in self.questions.items()}

    def answer(self, question: str, key: str) -> Answer:
        q = self.questions.get(question)
        a = next((a for a in q.answers if a.key == key), None) if q else None
        if a is None:
            raise MarksError("no such answer")
        return a


def make_app(folder: Path, token: str, port: int) -> Starlette:
    folder = Path(folder)
    db_path = folder / DB_NAME
    from hw3.grading.results import load_results

    results = load_results(folder)  # first: bad input gets one sentence and changes nothing
    if not isinstance(results.get("manual"), dict) or not results["manual"]:
        raise ValueError(f"{folder}/results.json has no hand-graded questions: grade again "
                         "with this version of hw3 (hw3 grade ... --out DIR)")
    with Store(db_path) as store:  # made (WAL, tables) once, before the first request
        klass = Class(folder, results, store.secret())
    env = Environment(loader=PackageLoader("hw3.marking", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
    cookie = f"hw3-mark-{port}"

    def page(name: str, **context: Any) -> Response:
        html = env.get_template(name).render(token=token, **context)
        return Response(html, media_type="text/html; charset=utf-8")

    def state(question: str) -> dict[str, Any]:
        q = klass.questions[question]
        with Store(db_path, create=False) as store:
            items = store.items(question)
            applied = store.applied(question)
            marks = store.marks(klass.possible)
        answers = {}
        for a in q.answers:
            m = marks.get(a.sub, {}).get(question)
            answers[a.key] = {"score": None if m is None else m.score,
                              "comment": "" if m is None else m.comment,
                              "applied": applied.get(a.sub, [])}
        return {"question": question, "possible": q.possible,
                "items": [{"id": i.id, "points": i.points, "text": i.text} for i in items],
                "answers": answers, "progress": _progress(marks, [question]),
                "overall": _progress(marks, list(klass.questions))}

    def _progress(marks: dict, questions: list[str]) -> dict[str, int]:
        total = len(klass.ids) * len(questions)
        done = sum(1 for sub in klass.ids for q in questions
                   if (m := marks.get(sub, {}).get(q)) is not None and m.marked)
        return {"marked": done, "total": total}

    async def body_json(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise MarksError("request too large")
        try:
            data = json.loads(raw)
        except ValueError:
            raise MarksError("the request is not JSON") from None
        if not isinstance(data, dict):
            raise MarksError("the request is not a JSON object")
        return clean_json(data)  # "\ud800" in JSON: SQLite and the pages need UTF-8

    def need_question(name: object) -> str:
        if not isinstance(name, str) or name not in klass.questions:
            raise MarksError("no such question")
        return name

    # -- pages
    def index(request: Request) -> Response:
        with Store(db_path, create=False) as store:
            marks = store.marks(klass.possible)
        # Prompts rendered as the question pages render them (Markdown and math), not raw.
        rows = [(q, _progress(marks, [q.name]), Markup(render_markdown(q.prompt)))
                for q in klass.questions.values()]
        return page("index.html", rows=rows, overall=_progress(marks, list(klass.questions)),
                    folder=str(folder))

    def question_page(request: Request) -> Response:
        name = request.path_params["question"]
        if name not in klass.questions:
            return PlainTextResponse("No such question.", status_code=404, headers=HEADERS)
        q = klass.questions[name]
        reveal = request.query_params.get("reveal") == "1"
        names = list(klass.questions)
        i = names.index(name)
        cards = [(n, a, Markup(render_markdown(a.text)) if a.text else None)
                 for n, a in enumerate(q.answers, start=1)]
        return page("question.html", q=q, cards=cards, reveal=reveal,
                    prompt=Markup(render_markdown(q.prompt)),
                    prev=names[i - 1] if i else None,
                    next=names[i + 1] if i + 1 < len(names) else None)

    def export_csv(request: Request) -> Response:
        with Store(db_path, create=False) as store:
            marks = store.marks(klass.possible)
        text = marks_csv(list(klass.questions), klass.ids, marks)
        return Response(text, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="marks.csv"'})

    # -- changes (each one transaction in the store; the answer is the question's new state)
    async def get_state(request: Request) -> Response:
        name = need_question(request.path_params["question"])
        return JSONResponse(await run_in_threadpool(state, name))

    async def apply(request: Request) -> Response:
        data = await body_json(request)
        q = need_question(data.get("question"))
        a = klass.answer(q, str(data.get("answer")))
        item = data.get("item")
        if not isinstance(item, int) or isinstance(item, bool):
            raise MarksError("item must be a rubric item's number")

        def run() -> dict[str, Any]:
            with Store(db_path, create=False) as store:
                store.set_applied(a.sub, q, item, bool(data.get("on")))
            return state(q)
        return JSONResponse(await run_in_threadpool(run))

    async def comment(request: Request) -> Response:
        data = await body_json(request)
        q = need_question(data.get("question"))
        a = klass.answer(q, str(data.get("answer")))

        def run() -> dict[str, Any]:
            with Store(db_path, create=False) as store:
                store.set_comment(a.sub, q, str(data.get("comment", "")))
            return state(q)
        return JSONResponse(await run_in_threadpool(run))

    async def add_item(request: Request) -> Response:
        data = await body_json(request)
        q = need_question(data.get("question"))

        def run() -> dict[str, Any]:
            with Store(db_path, create=False) as store:
                store.add_item(q, data.get("points"), str(data.get("text", "")))
            return state(q)
        return JSONResponse(await run_in_threadpool(run))

    async def edit_item(request: Request) -> Response:
        data = await body_json(request)
        q = need_question(data.get("question"))
        item_id = int(request.path_params["item"])

        def run() -> dict[str, Any]:
            with Store(db_path, create=False) as store:
                if item_id not in {i.id for i in store.items(q)}:
                    raise MarksError("no such rubric item")
                if data.get("delete"):
                    store.delete_item(item_id)
                else:
                    store.edit_item(item_id, data.get("points"), str(data.get("text", "")))
            return state(q)
        return JSONResponse(await run_in_threadpool(run))

    async def import_csv(request: Request) -> Response:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise MarksError("the marks file is too large")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise MarksError("the marks file is not UTF-8 text") from None
        scores = parse_marks_csv(text, klass.possible, klass.ids)

        def run() -> int:
            with Store(db_path, create=False) as store:
                return store.import_scores(scores)
        return JSONResponse({"imported": await run_in_threadpool(run)})

    async def guard(request: Request,
                    call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        def refuse(why: str) -> Response:
            return PlainTextResponse(why, status_code=403, headers=HEADERS)

        if request.headers.get("host", "") not in hosts:
            return refuse("Wrong host: open the address hw3 mark printed.")
        given = request.query_params.get("token")
        if given is not None and request.method == "GET":
            if not hmac.compare_digest(given.encode(), token.encode()):
                return refuse("Wrong token: open the address hw3 mark printed.")
            # Swap the token for a cookie and drop it from the address bar and history.
            rest = urlencode([(k, v) for k, v in request.query_params.multi_items()
                              if k != "token"])
            resp = RedirectResponse(request.url.path + (f"?{rest}" if rest else ""), 303)
            resp.set_cookie(cookie, token, httponly=True, samesite="strict", path="/")
            return resp
        if not hmac.compare_digest(request.cookies.get(cookie, "").encode(), token.encode()):
            return refuse("This marking app needs the address with its token that hw3 mark "
                          "printed.")
        if request.method not in ("GET", "HEAD"):
            origin = request.headers.get("origin", "")
            if origin not in {f"http://{h}" for h in hosts} or origin != \
                    f"http://{request.headers.get('host')}":
                return refuse("Refused: the request does not come from this marking app.")
            if not hmac.compare_digest(request.headers.get("x-hw3-token", "").encode(),
                                       token.encode()):
                return refuse("Refused: the request lacks the app's token header.")
        response = await call_next(request)
        for k, v in HEADERS.items():
            response.headers.setdefault(k, v)
        return response

    routes = [
        Route("/", index),
        Route("/q/{question}", question_page),
        Route("/export.csv", export_csv),
        Route("/api/q/{question}", get_state),
        Route("/api/apply", apply, methods=["POST"]),
        Route("/api/comment", comment, methods=["POST"]),
        Route("/api/items", add_item, methods=["POST"]),
        Route("/api/items/{item:int}", edit_item, methods=["POST"]),
        Route("/api/import", import_csv, methods=["POST"]),
        Mount("/static", StaticFiles(packages=[("hw3.marking", "static")]), name="static"),
    ]
    async def bad_input(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=400)

    app = Starlette(routes=routes, middleware=[Middleware(BaseHTTPMiddleware, dispatch=guard)],
                    exception_handlers={MarksError: bad_input})
    app.state.klass = klass
    return app


def serve(folder: Path, port: int = 0, token: str | None = None,
          announce: Callable[[str], Any] = print) -> None:
    """Serve the app on 127.0.0.1 until interrupted; ``announce`` gets the URL to open."""
    import uvicorn

    token = token or secrets.token_urlsafe(24)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    port = sock.getsockname()[1]
    app = make_app(folder, token, port)
    sock.listen(128)  # connections wait in the backlog until uvicorn accepts them
    announce(f"http://127.0.0.1:{port}/?token={token}")
    config = uvicorn.Config(app, log_level="warning", access_log=False, server_header=False)
    uvicorn.Server(config).run(sockets=[sock])
