"""Office files python-docx and openpyxl cannot open, read through LibreOffice.

Word 97–2003 `.doc`, `.rtf` and OpenDocument `.odt` are converted to .docx, OpenDocument `.ods`
to .xlsx, by `soffice --headless --convert-to` (Debian: libreoffice-writer-nogui,
libreoffice-calc-nogui), and the converted file is read by the .docx or .xlsx reader; the grid
keeps the original file's name. What a `.doc` holds is looked at first: government sites often
publish a web page (Word's "save as web page"), a .docx or plain text under the name `.doc`, and
those are read as what they are, without LibreOffice.

Each process keeps one LibreOffice profile for its conversions (made on the first, ~1 s
after), converts one file at a time, and ends a conversion that passes the file's seconds
(`SELFEVAL_MAX_SECONDS_PER_FILE`) with every process it started.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from functools import cache
from pathlib import Path

from extractors.cells import Grid
from extractors.exceptions import FileRejected, LimitExceeded, UnreadableFile, UnsupportedFile
from extractors.limits import current, env_name, limit_text

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97–2003 (and encrypted Office files)
ZIP = b"PK\x03\x04"
RTF = b"{\\rtf"
SNIFF_BYTES = 4096
TARGETS = {".doc": "docx", ".rtf": "docx", ".odt": "docx", ".ods": "xlsx"}
FILTERS = {"docx": "docx:MS Word 2007 XML", "xlsx": "xlsx:Calc MS Excel 2007 XML"}
PACKAGES = {"docx": "libreoffice-writer-nogui", "xlsx": "libreoffice-calc-nogui"}
_ONE_AT_A_TIME = threading.Lock()  # one profile a process: LibreOffice refuses a second user of it


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


PROFILE_PREFIX = "selfeval-soffice-"


@cache
def _profile() -> Path:
    """This process's LibreOffice profile, removed when it exits; those of processes that were
    killed (a file past its limits ends its worker) are removed by the next process that converts."""
    import psutil

    for stale in Path(tempfile.gettempdir()).glob(f"{PROFILE_PREFIX}*-*"):
        pid = stale.name[len(PROFILE_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not psutil.pid_exists(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{PROFILE_PREFIX}{os.getpid()}-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def read_office_grid(path: Path) -> Grid:
    """A .doc, .rtf, .odt or .ods file's grid, read as what its bytes are."""
    from extractors.inputs.docx import read_docx_grid
    from extractors.inputs.html import is_markup, read_html_grid
    from extractors.inputs.sheet import read_xlsx_grid

    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head.strip():
        raise UnreadableFile("empty file", file=path.name)
    target = TARGETS[path.suffix.lower()]
    if head.startswith(ZIP) and path.suffix.lower() == ".doc":  # a .docx under an old name
        return read_docx_grid(path)
    if is_markup(head):  # Word's "save as web page" named .doc
        return read_html_grid(path)
    if path.suffix.lower() in (".doc", ".rtf") and not head.startswith((OLE, RTF)):
        return _as_text(path)
    with tempfile.TemporaryDirectory(prefix="selfeval-convert-") as folder:
        converted = convert(path, target, Path(folder))
        reader = read_docx_grid if target == "docx" else read_xlsx_grid
        try:
            grid = reader(converted)
        except FileRejected as exc:
            raise type(exc)(exc.reason, file=path.name) from None
    return Grid(file=path.name, kind=path.suffix.lower().lstrip("."), rows=grid.rows, pages=grid.pages)


def _as_text(path: Path) -> Grid:
    """A .doc that is text (a copy saved under the name Word would open)."""
    from extractors.inputs.text import read_text_grid

    try:
        return read_text_grid(path)
    except UnreadableFile:
        raise UnreadableFile("not a Word document (neither Word 97–2003, RTF, .docx, a web page nor text)",
                             file=path.name) from None


def convert(path: Path, target: str, folder: Path) -> Path:
    """`path` converted by LibreOffice into `folder` as a `target` (docx, xlsx) file."""
    exe = soffice()
    if exe is None:
        raise UnsupportedFile(f"a {path.suffix.lower()} file is read through LibreOffice, which is not installed "
                              f"(Debian: apt install {PACKAGES[target]}); or save it as .{target} and drop it in again",
                              file=path.name)
    source = folder / f"source{path.suffix.lower()}"  # any name the file has, no option or odd byte reaches soffice
    shutil.copyfile(path, source)
    limits = current()
    command = [exe, f"-env:UserInstallation={_profile().as_uri()}", "--headless", "--norestore", "--nologo",
               "--nolockcheck", "--nodefault", "--convert-to", FILTERS[target], "--outdir", str(folder / "out"),
               str(source)]
    with _ONE_AT_A_TIME:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   start_new_session=True, env={**os.environ, "SAL_USE_VCLPLUGIN": "svp"})
        try:
            output, _ = process.communicate(timeout=limits.max_seconds_per_file)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise LimitExceeded("converting it with LibreOffice took over the "
                                f"{limit_text(limits, 'max_seconds_per_file', ' s')}", file=path.name,
                                limit=env_name("max_seconds_per_file")) from None
    converted = folder / "out" / f"source.{target}"
    if not converted.is_file():
        said = [line for line in output.decode("utf-8", "replace").splitlines() if "javaldx" not in line]
        detail = said[-1].strip()[:120] if said else f"exit {process.returncode}"
        raise UnreadableFile(f"LibreOffice could not open it as a {path.suffix.lower()} file "
                             f"(damaged or password-protected? {detail})", file=path.name)
    return converted
