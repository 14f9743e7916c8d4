"""Every error selfeval raises on purpose. Each one names the file, form and field it is about."""

from __future__ import annotations


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
