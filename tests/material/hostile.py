"""The hostile and odd inputs of a shared drop folder, as scenarios to put in an inbox.

Each `Hostile` writes its files into an inbox (and, for links, a folder `outside` beside it) and
says what the run must make of each: `loaded`, or `rejected` with a reason (or its start).
`INBOX` are the rows of the hostile-input issue and the inputs its 'done means' adds, all read
with the default limits; `RUN_LIMITS` raise the readers' limits so that the run's own (seconds and
memory per file) are what stops them. `tests/test_hostile_run.py` puts every one of `INBOX` in one
inbox; `bench/bench_hostile.py` runs each alone beside two good files and times it.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import FIXTURES
from tests.material import bad

SEED = (FIXTURES / "seed" / "2022-shanghai-disabled-persons-federation.txt").read_bytes()
NO_FORM = "no 财政项目支出绩效自评表 found"
NO_TEXT = f"{NO_FORM}, nor another family's project form: no text in it at all (blank pages, or a scan too faint to read)"
LINK = "a symbolic link (to {}): links are never followed; put the file itself in the inbox"
JUNK = "关于报送绩效自评表的通知\n".encode()  # read, but holds no form
WQY = FIXTURES / "pdf-wqy" / "seed-wqy.pdf"

Expected = dict[str, tuple[str, str]]  # file name -> (status, its reason or the reason's start)


@dataclass(frozen=True)
class Hostile:
    row: str                                    # what it is
    write: Callable[[Path, Path], Expected]     # (inbox, outside) -> what becomes of each file it wrote
    env: dict[str, str] = field(default_factory=dict)


def one(name: str, build: Callable[[Path], object], status: str, reason: str) -> Callable[[Path, Path], Expected]:
    def write(inbox: Path, outside: Path) -> Expected:
        build(inbox / name)
        return {name: (status, reason)}
    return write


def files(contents: dict[str, bytes], status: str = "rejected", reason: str = NO_FORM,
          **reasons: str) -> Callable[[Path, Path], Expected]:
    def write(inbox: Path, outside: Path) -> Expected:
        for name, data in contents.items():
            (inbox / name).parent.mkdir(parents=True, exist_ok=True)
            (inbox / name).write_bytes(data)
        return {name: (status, reasons.get(name, reason)) for name in contents}
    return write


def link(name: str, target: str) -> Callable[[Path, Path], Expected]:
    def write(inbox: Path, outside: Path) -> Expected:
        (outside / "form.txt").write_bytes(SEED)
        os.symlink(target.format(outside=outside), inbox / name)
        return {name: ("rejected", LINK.format(target.format(outside=outside)))}
    return write


def with_link(name: str, data: bytes, link_name: str) -> Callable[[Path, Path], Expected]:
    """A file beside a link named as its reason file would be, pointing outside the inbox."""
    def write(inbox: Path, outside: Path) -> Expected:
        (inbox / name).write_bytes(data)
        target = str(outside / "written-through.txt")
        os.symlink(target, inbox / link_name)
        return {name: ("rejected", NO_FORM), link_name: ("rejected", LINK.format(target))}
    return write


def fifo(name: str) -> Callable[[Path, Path], Expected]:
    def write(inbox: Path, outside: Path) -> Expected:
        os.mkfifo(inbox / name)
        return {}  # left in the inbox, named on a `left:` line
    return write


def excel_csv_of(text: str, goals: list[str]) -> bytes:
    """A tab dump as Excel saves it as CSV, each goal text broken over two lines (Alt+Enter) in its cell."""
    rows = [line.split("\t") for line in text.splitlines()]
    for row in rows:
        row[:] = [cell[: len(cell) // 2] + "\n" + cell[len(cell) // 2:] if cell in goals else cell for cell in row]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def seed_goals() -> list[str]:
    import json

    gold = json.loads((FIXTURES / "seed" / "gold.json").read_text(encoding="utf-8"))
    return [form[key] for form in gold["forms"] for key in ("goal_planned", "goal_achieved")]


def big5_form() -> bytes:
    """The traditional-character seed without its pinyin, in Big5."""
    text = next((FIXTURES / "seed-traditional").glob("*.txt")).read_text(encoding="utf-8")
    return re.sub(r"\([a-zA-Z\u00c0-\u024f]+\)", "", text).replace("爲", "為").encode("big5")


def _forms() -> list[dict]:
    from tests.material import load_gold_forms

    return load_gold_forms()[:1]


TEXT = SEED.decode("utf-8")
LONG_LATIN = "L" * 247 + ".txt"
LONG_CHINESE = "自评表" * 27 + "表表.txt"
ODD_NAME = "-dash\nnew line \"quoted\" back\\slash.txt"

INBOX: list[Hostile] = [
    Hostile("a name near 255 bytes, Latin, rejected", files({LONG_LATIN: JUNK + b"L"})),
    Hostile("a name near 255 bytes, Chinese, rejected", files({LONG_CHINESE: JUNK + b"C"})),
    Hostile("a name with a newline, quotes, a leading dash, a backslash", files({ODD_NAME: JUNK + b"odd"})),
    Hostile("a PDF with one 20,000 × 20,000 pt page", one("page-20000pt.pdf", bad.huge_page_pdf, "rejected",
            "page 1 is 20000×20000 pt, over the 5000 pt limit (SELFEVAL_MAX_PAGE_PT)")),
    Hostile("a PDF with a flate bomb stream (5 GiB)", one("bomb.pdf", bad.bomb_pdf, "rejected",
            "a compressed stream in the PDF inflates past the 64 MiB limit (SELFEVAL_MAX_STREAM_BYTES)")),
    Hostile("a 200 MB text file", one("text-200MB.txt", lambda p: bad.sparse_file(p, 200_000_000, SEED), "rejected",
            "the file is 190.7 MiB, over the 64 MiB limit (SELFEVAL_MAX_TEXT_BYTES)")),
    Hostile("a PNG whose header claims 10⁹ pixels", one("claims-1e9.png",
            lambda p: bad.png_claiming(p, 31_623, 31_623, rows=4), "rejected", "the image is 1,000,014,129 pixels, "
            "over the 80,000,000-pixel limit (SELFEVAL_MAX_IMAGE_PIXELS)")),
    Hostile("a 20,000² PNG", one("side-20000.png", lambda p: bad.png_claiming(p, 20_000, 20_000), "rejected",
            "the image is 400,000,000 pixels, over the 80,000,000-pixel limit (SELFEVAL_MAX_IMAGE_PIXELS)")),
    Hostile("a symlink to a file outside the inbox", link("outside.txt", "../outside/form.txt")),
    Hostile("a symlink to a directory", link("folder-link", "../outside")),
    Hostile("a dangling symlink", link("dangling.txt", "/no/such/file")),
    Hostile("a symlink loop", link("loop.txt", "loop.txt")),
    Hostile("a symlink to the password file", link("passwd.txt", "/etc/passwd")),
    Hostile("UTF-16 without BOM", files({"utf16-no-bom.txt": TEXT.replace("\n", "\r\n").encode("utf-16-le")},
                                        "loaded", "")),
    Hostile("Big5", files({"big5.txt": big5_form()}, "loaded", "")),
    Hostile("a CSV with multi-line quoted cells (Excel's Alt+Enter)",
            files({"excel.csv": excel_csv_of(TEXT, seed_goals())}, "loaded", "")),
    Hostile("a sub-folder", files({"sub/folder/good-3.txt": SEED + b"\n\n"}, "loaded", "")),
    Hostile("a user's a.txt.reason.txt, then a rejected a.txt",
            files({"a.txt": JUNK + b"a", "a.txt.reason.txt": JUNK + b"user's"})),
    Hostile("a symlink x.txt.reason.txt pointing outside, then a rejected x.txt",
            with_link("x.txt", JUNK + b"x", "x.txt.reason.txt")),
    Hostile("a copy of a rejected file", files({"b.txt": JUNK + b"b", "copy of b.txt": JUNK + b"b"})),
    Hostile("a 2,000-page scanned PDF", one("scan-2000-pages.pdf", lambda p: bad.blank_scan_pdf(p, pages=2000),
            "rejected", "the PDF has 2,000 pages, over the 1,000-page limit (SELFEVAL_MAX_PDF_PAGES)")),
    Hostile("an encrypted PDF", one("encrypted.pdf", lambda p: bad.encrypted_pdf(_forms(), p), "rejected",
            "encrypted PDF: save it without a password")),
    Hostile("a PDF whose XObject draws itself", one("xobject-loop.pdf", bad.xobject_loop_pdf, "rejected", NO_FORM)),
    Hostile("a PDF whose page tree holds itself", one("page-tree-loop.pdf", bad.page_tree_loop_pdf, "rejected",
                                                      NO_FORM)),
    Hostile("a PDF nested 100,000 deep", one("nested-100000.pdf", bad.deep_nesting_pdf, "rejected", NO_FORM)),
    Hostile("a blank 20-page scan", one("blank-scan-20.pdf", bad.blank_scan_pdf, "rejected", NO_TEXT)),
    Hostile("a zero-byte file", files({"zero.txt": b""}, reason="empty file (0 bytes)")),
    Hostile("a FIFO", fifo("pipe.txt")),
]

RUN_LIMITS: list[Hostile] = [
    Hostile("a flate bomb under raised stream limits: the worker's memory limit",
            one("bomb.pdf", bad.bomb_pdf, "rejected",
                "reading it used over the 1,000 MB memory limit (SELFEVAL_MAX_WORKER_MB)"),
            {"SELFEVAL_MAX_STREAM_BYTES": "8G", "SELFEVAL_MAX_DECODED_BYTES": "8G", "SELFEVAL_MAX_WORKER_MB": "1000"}),
    Hostile("16 MiB of drawing operands under a raised content limit: the time limit",
            one("operands.pdf", bad.operand_flood_pdf, "rejected",
                "reading it took over the 8 s limit (SELFEVAL_MAX_SECONDS_PER_FILE)"),
            {"SELFEVAL_MAX_CONTENT_BYTES": "1G", "SELFEVAL_MAX_SECONDS_PER_FILE": "8"}),
]


def write_inbox(inbox: Path, outside: Path, inputs: list[Hostile], *, good: int = 2) -> Expected:
    """`good` good files (`good-1.txt`, …, each the seed's forms in other bytes) and the inputs."""
    inbox.mkdir(parents=True, exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    expected = files({f"good-{n}.txt": SEED + b"\n" * (n - 1) for n in range(1, good + 1)}, "loaded", "")(inbox, outside)
    for hostile in inputs:
        expected |= hostile.write(inbox, outside)
    return expected


def merged_env(inputs: list[Hostile]) -> dict[str, str]:
    return {key: value for hostile in inputs for key, value in hostile.env.items()}
