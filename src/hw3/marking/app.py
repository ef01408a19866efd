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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hw3.grading.results import ClassResults

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from hw3.layout import clean_json
from hw3.marking.guard import HEADERS, Guard
from hw3.marking.render import render_markdown
from hw3.marking.store import DB_NAME, MarksError, Store, marks_csv, parse_marks_csv

MAX_BODY = 2 * 2**20


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

    def __init__(self, folder: Path, results: ClassResults, secret: str):
        subs = [s for s in results.submissions if s.graded]
        self.ids = [s.id for s in subs]
        self.questions: dict[str, Question] = {}
        for q in results.manual_questions():
            answers = []
            for s in subs:
                e = s.explanation(q.name)
                key = hmac.new(secret.encode(), f"{q.name}\0{s.id}".encode(),
                               hashlib.sha256).hexdigest()[:16]
                answers.append(Answer(key, s.id, e.text, e.found, e.truncated))
            # Anonymous order: by the opaque key (not by name), different per question, the
            # same every time the app starts on this folder.
            answers.sort(key=lambda a: a.key)
            self.questions[q.name] = Question(q.name, q.possible, q.prompt, answers)
        self.possible = {n: q.possible for n, q in self.questions.items()}

    def answer(self, question: str, key: str) -> Answer:
        q = self.questions.get(question)
        a = next((a for a in q.answers if a.key == key), None) if q else None
        if a is None:
            raise MarksError("no such answer")
        return a


def make_app(folder: Path, token: str, port: int) -> Starlette:
    """The marking app for the graded class in ``folder``, served on 127.0.0.1:``port`` and
    guarded (``hw3.marking.guard``) by ``token``."""
    from hw3.grading.results import load_results

    folder = Path(folder)
    # First: bad input gets one sentence and changes nothing.
    results = load_results(folder)
    if not results.manual:
        raise ValueError(f"{folder}/results.json has no hand-graded questions: grade again "
                         "with this version of hw3 (hw3 grade ... --out DIR)")
    with Store(folder / DB_NAME) as store:  # made (WAL, tables) once, before the first request
        klass = Class(folder, results, store.secret())
    m = Marking(folder, klass, token)
    routes = [
        Route("/", m.index),
        Route("/q/{question}", m.question_page),
        Route("/export.csv", m.export_csv),
        Route("/api/q/{question}", m.get_state),
        Route("/api/apply", m.apply, methods=["POST"]),
        Route("/api/comment", m.comment, methods=["POST"]),
        Route("/api/items", m.add_item, methods=["POST"]),
        Route("/api/items/{item:int}", m.edit_item, methods=["POST"]),
        Route("/api/import", m.import_csv, methods=["POST"]),
        Mount("/static", StaticFiles(packages=[("hw3.marking", "static")]), name="static"),
    ]

    async def bad_input(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=400)

    app = Starlette(routes=routes,
                    middleware=[Middleware(BaseHTTPMiddleware, dispatch=Guard(token, port))],
                    exception_handlers={MarksError: bad_input})
    app.state.klass = klass
    return app


class Marking:
    """The app's handlers: pages, the CSV export and the changes. Each change is one
    transaction in the store, answered with the question's new state."""

    def __init__(self, folder: Path, klass: Class, token: str):
        self.folder, self.klass, self.token = folder, klass, token
        self.db_path = folder / DB_NAME
        self.env = Environment(loader=PackageLoader("hw3.marking", "templates"),
                               autoescape=select_autoescape(default=True,
                                                            default_for_string=True))

    # -- helpers
    def page(self, name: str, **context: Any) -> Response:
        html = self.env.get_template(name).render(token=self.token, **context)
        return Response(html, media_type="text/html; charset=utf-8")

    def store(self) -> Store:
        return Store(self.db_path, create=False)

    def marks(self) -> dict[str, Any]:
        with self.store() as store:
            return store.marks(self.klass.possible)

    def progress(self, marks: dict[str, Any], questions: list[str]) -> dict[str, int]:
        ids = self.klass.ids
        done = sum(1 for sub in ids for q in questions
                   if (m := marks.get(sub, {}).get(q)) is not None and m.marked)
        return {"marked": done, "total": len(ids) * len(questions)}

    def state(self, question: str) -> dict[str, Any]:
        """A question's rubric, each answer's mark, comment and items, and the progress."""
        q = self.klass.questions[question]
        with self.store() as store:
            items = store.items(question)
            applied = store.applied(question)
            marks = store.marks(self.klass.possible)
        answers = {}
        for a in q.answers:
            m = marks.get(a.sub, {}).get(question)
            answers[a.key] = {"score": None if m is None else m.score,
                              "comment": "" if m is None else m.comment,
                              "applied": applied.get(a.sub, [])}
        return {"question": question, "possible": q.possible,
                "items": [{"id": i.id, "points": i.points, "text": i.text} for i in items],
                "answers": answers, "progress": self.progress(marks, [question]),
                "overall": self.progress(marks, list(self.klass.questions))}

    def need_question(self, name: object) -> str:
        if not isinstance(name, str) or name not in self.klass.questions:
            raise MarksError("no such question")
        return name

    async def change(self, question: str, step: Callable[[Store], object]) -> Response:
        """Run ``step`` in one transaction (off the event loop); answer the new state."""
        def run() -> dict[str, Any]:
            with self.store() as store:
                step(store)
            return self.state(question)
        return JSONResponse(await run_in_threadpool(run))

    # -- pages
    def index(self, request: Request) -> Response:
        marks = self.marks()
        # Prompts rendered as the question pages render them (Markdown and math), not raw.
        rows = [(q, self.progress(marks, [q.name]), Markup(render_markdown(q.prompt)))
                for q in self.klass.questions.values()]
        return self.page("index.html", rows=rows,
                         overall=self.progress(marks, list(self.klass.questions)),
                         folder=str(self.folder))

    def question_page(self, request: Request) -> Response:
        name = request.path_params["question"]
        if name not in self.klass.questions:
            return PlainTextResponse("No such question.", status_code=404, headers=HEADERS)
        q = self.klass.questions[name]
        names = list(self.klass.questions)
        i = names.index(name)
        cards = [(n, a, Markup(render_markdown(a.text)) if a.text else None)
                 for n, a in enumerate(q.answers, start=1)]
        return self.page("question.html", q=q, cards=cards,
                         reveal=request.query_params.get("reveal") == "1",
                         prompt=Markup(render_markdown(q.prompt)),
                         prev=names[i - 1] if i else None,
                         next=names[i + 1] if i + 1 < len(names) else None)

    def export_csv(self, request: Request) -> Response:
        text = marks_csv(list(self.klass.questions), self.klass.ids, self.marks())
        return Response(text, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="marks.csv"'})

    # -- changes
    async def get_state(self, request: Request) -> Response:
        name = self.need_question(request.path_params["question"])
        return JSONResponse(await run_in_threadpool(self.state, name))

    async def apply(self, request: Request) -> Response:
        data = await body_json(request)
        q = self.need_question(data.get("question"))
        a = self.klass.answer(q, str(data.get("answer")))
        item = data.get("item")
        if not isinstance(item, int) or isinstance(item, bool):
            raise MarksError("item must be a rubric item's number")
        return await self.change(
            q, lambda store: store.set_applied(a.sub, q, item, bool(data.get("on"))))

    async def comment(self, request: Request) -> Response:
        data = await body_json(request)
        q = self.need_question(data.get("question"))
        a = self.klass.answer(q, str(data.get("answer")))
        return await self.change(
            q, lambda store: store.set_comment(a.sub, q, str(data.get("comment", ""))))

    async def add_item(self, request: Request) -> Response:
        data = await body_json(request)
        q = self.need_question(data.get("question"))
        return await self.change(
            q, lambda store: store.add_item(q, data.get("points"), str(data.get("text", ""))))

    async def edit_item(self, request: Request) -> Response:
        data = await body_json(request)
        q = self.need_question(data.get("question"))
        item_id = int(request.path_params["item"])

        def step(store: Store) -> None:
            if item_id not in {i.id for i in store.items(q)}:
                raise MarksError("no such rubric item")
            if data.get("delete"):
                store.delete_item(item_id)
            else:
                store.edit_item(item_id, data.get("points"), str(data.get("text", "")))
        return await self.change(q, step)

    async def import_csv(self, request: Request) -> Response:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise MarksError("the marks file is too large")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise MarksError("the marks file is not UTF-8 text") from None
        scores = parse_marks_csv(text, self.klass.possible, self.klass.ids)

        def run() -> int:
            with self.store() as store:
                return store.import_scores(scores)
        return JSONResponse({"imported": await run_in_threadpool(run)})


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
