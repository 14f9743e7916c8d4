"""Every error selfeval raises on purpose. Each one names the file, form and field it is about."""

from __future__ import annotations

from pathlib import Path


class SelfevalError(Exception):
    """Base of the project's errors; `str()` is one line a user can act on."""

    def __init__(self, reason: str, *, file: str = "", form: str = "", field: str = "") -> None:
        self.reason = reason
        self.file = file
        self.form = form
        self.field = field
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = ": ".join(part for part in (self.file, self.form, self.field) if part)
        return f"{where}: {self.reason}" if where else self.reason


class SettingsError(SelfevalError, ValueError):
    """A setting or a form-family file holds a value outside what is allowed."""

    def one_line(self) -> str:
        """The reason alone when it names its setting already (`bad setting workers=0: …`)."""
        return self.reason if self.field and self.field in self.reason else super().one_line()


class FileRejected(SelfevalError):
    """A file that cannot become forms: it is set aside with this reason and the inbox goes on."""


class UnreadableFile(FileRejected):
    """Empty, binary, damaged, encrypted or in an encoding we cannot decode."""


class UnsupportedFile(FileRejected):
    """No input kind reads files of this type."""


class NoFormsFound(FileRejected):
    """The file was read but holds no 财政项目支出绩效自评表."""


class ValueParseError(SelfevalError, ValueError):
    """A printed number, percentage or year that does not parse."""


class ReviewError(SelfevalError):
    """A review decision that cannot be taken (an unknown flag or field, a value of the wrong
    type, an indicator that does not exist, a malformed workbook); nothing was changed."""


class LimitExceeded(FileRejected):
    """Reading the file would pass one of the limits (`extractors.limits`); `limit` names its setting."""

    def __init__(self, reason: str, *, file: str = "", limit: str = "") -> None:
        self.limit = limit
        super().__init__(reason, file=file)


def as_file_error(exc: BaseException, *, file: str, where: str = "") -> BaseException:
    """A reader's failure as the error to raise: one of ours as it is, a library's as `UnreadableFile`.

    A library that fails on a file's bytes (pdfminer's PSSyntaxError, pypdfium2's PdfiumError, a
    KeyError deep in a parser) says the file is damaged or uses what it cannot read; the failure is
    the library's when the innermost frame outside the standard library is in an installed package.
    Anything raised in our own code is returned unchanged: it is a bug, reported as one.
    """
    cause = unwrapped(exc)
    if isinstance(cause, SelfevalError):
        if not cause.file:
            cause.file = file
            cause.args = (cause.one_line(),)
        return cause
    library = _failing_library(cause) or _failing_library(exc)
    if library is None:
        return exc
    detail = f"{type(cause).__name__}: {str(cause).splitlines()[0][:120]}" if str(cause) else type(cause).__name__
    if isinstance(cause, RecursionError):
        what = f"its objects are nested too deeply for {library} to read"
    elif isinstance(cause, MemoryError):
        what = f"{library} ran out of memory reading it"
    else:
        what = f"damaged, or uses a feature {library} cannot read"
    return UnreadableFile(f"{where}{what} ({detail})", file=file)


def unwrapped(exc: BaseException) -> BaseException:
    """pdfplumber wraps pdfminer's error as the first argument of its own."""
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
    return unwrapped(inner) if inner is not None else exc


def _failing_library(exc: BaseException) -> str | None:
    """The installed package whose code raised `exc`, or None when it was raised in ours.

    The innermost frame that is not the standard library's decides: one in this project's source
    is ours; any other (site-packages, or a compiled module such as lxml's `parser.pxi`) is the
    library's, named by its top-level module.
    """
    import sysconfig

    stdlib, ours = sysconfig.get_paths()["stdlib"], str(Path(__file__).resolve().parent.parent)
    tb, frames = exc.__traceback__, []
    while tb is not None:
        frames.append((tb.tb_frame.f_code.co_filename, str(tb.tb_frame.f_globals.get("__name__", ""))))
        tb = tb.tb_next
    for filename, module in reversed(frames):
        if "-packages/" not in filename and filename.startswith(("<", stdlib)):
            continue
        if "-packages/" not in filename and filename.startswith(ours):
            return None
        return module.split(".")[0] or filename
    return None
