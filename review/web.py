"""`selfeval review --web`: a small local review page, rendered on the server from the same
functions as the command line (`review.queries`, `review.evidence`, `review.decisions`).

It listens on 127.0.0.1 by default and answers only a browser that shows its token: the address
it prints carries the token once, the page then keeps it in a cookie, and every button's form
carries it again (another site cannot post a decision). Requests naming another host are refused.
"""

from __future__ import annotations

import secrets
import threading
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import jinja2

from extractors.exceptions import ReviewError
from extractors.inputs.image import SUFFIXES as IMAGE_SUFFIXES
from review import decisions, queries
from review.evidence import cell_image, excerpt
from review.values import FORM_FIELDS, INDICATOR_FIELDS
from storage.publish import publish
from storage.store import Store

COOKIE = "selfeval_review"
_TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("review", "templates"),
                                autoescape=jinja2.select_autoescape(["html"]))


class ReviewServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], store: Store, token: str, lang: str) -> None:
        super().__init__(address, Handler)
        self.store, self.token, self.lang = store, token, lang
        self.publishing = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/?token={self.token}"


def _one(query: dict[str, list[str]], name: str, default: str = "") -> str:
    return query.get(name, [default])[0].strip()


class Handler(BaseHTTPRequestHandler):
    server: ReviewServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass

    # -- the gate -------------------------------------------------------------------------------
    def _allowed_host(self) -> bool:
        """On a loopback address, only a loopback name (no other site's name resolving here);
        bound elsewhere on purpose (`--host`), the token alone guards it."""
        bound = str(self.server.server_address[0])
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]")
        return not bound.startswith("127.") or host in ("127.0.0.1", "localhost", bound)

    def _cookie_token(self) -> str:
        cookie = SimpleCookie(self.headers.get("Cookie") or "")
        return cookie[COOKIE].value if COOKIE in cookie else ""

    def _authorised(self, query: dict[str, list[str]]) -> bool:
        token = self.server.token
        return secrets.compare_digest(self._cookie_token(), token) or secrets.compare_digest(
            _one(query, "token"), token)

    # -- answers --------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, kind: str = "text/html; charset=utf-8",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _page(self, template: str, code: int = 200, **values: Any) -> None:
        html = _TEMPLATES.get_template(template).render(token=self.server.token, lang=self.server.lang, **values)
        self._send(code, html.encode("utf-8"))

    def _redirect(self, where: str, cookie: bool = False) -> None:
        headers = {"Location": where}
        if cookie:
            headers["Set-Cookie"] = f"{COOKIE}={self.server.token}; HttpOnly; SameSite=Strict; Path=/"
        self._send(HTTPStatus.SEE_OTHER, b"", headers=headers)

    def _refuse(self, status: int, why: str) -> None:
        self._send(status, why.encode("utf-8"), "text/plain; charset=utf-8")

    # -- GET ------------------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 (the base class's name)
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if not self._allowed_host():
            return self._refuse(HTTPStatus.FORBIDDEN, "this page answers on its own address only")
        if not self._authorised(query):
            return self._refuse(HTTPStatus.FORBIDDEN, "open the address `selfeval review --web` printed (with its token)")
        if "token" in query:  # keep the token in a cookie, out of the address bar
            rest = {k: v[0] for k, v in query.items() if k != "token"}
            return self._redirect(url.path + ("?" + urlencode(rest) if rest else ""), cookie=True)
        routes = {"/": self.list_page, "/flag": self.flag_page, "/cell.png": self.cell_png, "/history": self.history_page}
        route = routes.get(url.path)
        if route is None:
            return self._refuse(HTTPStatus.NOT_FOUND, "no such page")
        try:
            route(query)
        except ReviewError as exc:
            self._page("error.html", HTTPStatus.NOT_FOUND, error=str(exc))

    def list_page(self, query: dict[str, list[str]]) -> None:
        filters = {name: _one(query, name) for name in ("check", "severity", "department", "file")}
        status = _one(query, "status", "open")
        with self.server.store.connect() as db:
            rows = queries.flags(db, status=status, **filters)
            every = queries.flags(db, status="open")
        summary: dict[str, dict[str, int]] = {}
        for row in every:
            summary.setdefault(row.department or "（文件）", {}).setdefault(row.check, 0)
            summary[row.department or "（文件）"][row.check] += 1
        checks = sorted({r.check for r in every})
        done = _one(query, "done")
        with self.server.store.connect() as db:
            settled = queries.flag(db, done) if done else None
        self._page("list.html", rows=rows, summary=summary, checks=checks, filters=filters, status=status,
                   settled=settled, quote=quote)

    def flag_page(self, query: dict[str, list[str]], error: str = "", code: int = 200) -> None:
        flag_id = _one(query, "id")
        with self.server.store.connect() as db:
            flag = queries.flag(db, flag_id)
            form = queries.form(db, flag.form_id) if flag.form_id else {}
            stored = queries.value_of(db, flag.form_id, flag.field) if flag.form_id else None
        value = queries.shown_value(flag.field, stored) or None
        shown = excerpt(flag.archived_file, flag.location)
        has_image = flag.archived_file.lower().endswith((".pdf", *IMAGE_SUFFIXES))
        field = flag.field.split("@")[0]
        seq, name = "", field
        if field.startswith("indicators["):
            seq, _, name = field[len("indicators["):].partition("].")
        self._page("flag.html", code, flag=flag, form=form, value=value, excerpt=shown, has_image=has_image,
                   fields=[*FORM_FIELDS, *INDICATOR_FIELDS], field=name, seq=seq, error=error,
                   reviewer=decisions.reviewer_name(), quote=quote)

    def cell_png(self, query: dict[str, list[str]]) -> None:
        with self.server.store.connect() as db:
            flag = queries.flag(db, _one(query, "id"))
        picture = cell_image(flag.archived_file, flag.location)
        if picture is None:
            return self._refuse(HTTPStatus.NOT_FOUND, "no picture of this place")
        self._send(200, picture, "image/png")

    def history_page(self, query: dict[str, list[str]]) -> None:
        with self.server.store.connect() as db:
            form = queries.form(db, _one(query, "form"))
            versions, taken = queries.history(db, form["form_id"])
        withdrawn = {d.withdraws: d.decision_id for d in taken if d.action == "reopen"}
        self._page("history.html", form=form, versions=versions, decisions=taken, withdrawn=withdrawn)

    # -- POST: the decisions --------------------------------------------------------------------
    def do_POST(self) -> None:  # noqa: N802 (the base class's name)
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(min(length, 1 << 20)).decode("utf-8"), keep_blank_values=True)
        if not self._allowed_host() or not self._authorised({}) or \
                not secrets.compare_digest(_one(form, "csrf"), self.server.token):
            return self._refuse(HTTPStatus.FORBIDDEN, "open the address `selfeval review --web` printed (with its token)")
        action = urlsplit(self.path).path.strip("/")
        flag_id, note = _one(form, "flag_id"), _one(form, "note")
        reviewer = _one(form, "reviewer") or None
        store = self.server.store
        try:
            if action == "accept":
                decisions.accept(store, flag_id, note=note, reviewer=reviewer, via="web")
            elif action == "reopen":
                decisions.reopen(store, flag_id, note=note, reviewer=reviewer, via="web")
            elif action == "correct":
                seq = _one(form, "seq")
                if seq and not seq.isdigit():
                    raise ReviewError(f"the indicator's seq is a number (1, 2, …), not {seq!r}")
                decisions.correct(store, _one(form, "form_id"), _one(form, "field"), _one(form, "value"),
                                  seq=int(seq) if seq else None, note=note, reviewer=reviewer, via="web")
            else:
                return self._refuse(HTTPStatus.NOT_FOUND, "no such action")
        except ReviewError as exc:
            return self.flag_page({"id": [flag_id]}, error=str(exc), code=HTTPStatus.BAD_REQUEST)
        with self.server.publishing:
            publish(store)
        self._redirect("/?" + urlencode({"done": flag_id}))


def make_server(store: Store, *, host: str = "127.0.0.1", port: int = 0, lang: str = "zh",
                token: str | None = None) -> ReviewServer:
    return ReviewServer((host, port), store, token or secrets.token_urlsafe(18), lang)


def serve(store: Store, *, host: str, port: int, lang: str) -> None:
    import typer

    server = make_server(store, host=host, port=port, lang=lang)
    typer.echo(f"review page: {server.url}  (Ctrl-C stops it; warehouse {Path(store.root)})")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
