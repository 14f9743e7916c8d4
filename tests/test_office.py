"""Office files read through LibreOffice (.doc, .rtf, .odt, .ods), and .doc files that are something
else by another name. The .doc golden cases (`fixtures/seed-doc`, `hubei-doc`) are walked by
test_golden; here each other kind is made by LibreOffice from a golden file and must rebuild what
that file rebuilds."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from extractors.exceptions import LimitExceeded, UnreadableFile, UnsupportedFile
from extractors.inputs import read_grid
from tests.conftest import FIXTURES
from tests.material.office import saved_by_libreoffice
from tests.test_readers import forms_of

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None,
                                reason="LibreOffice is not installed (scripts/system-packages.sh)")
DOCX = FIXTURES / "docx" / "seed.docx"
XLSX = FIXTURES / "xlsx-sheets" / "seed-sheets.xlsx"


def content(value: object) -> object:
    """A rebuilt form without where its values stood (another format numbers its lines otherwise)."""
    if isinstance(value, dict):
        return {k: content(v) for k, v in value.items() if not k.startswith("source")}
    if isinstance(value, list):
        return [content(v) for v in value]
    return value


@pytest.mark.parametrize(("source", "kind"), [(DOCX, "odt"), (DOCX, "rtf"), (XLSX, "ods")])
def test_a_file_saved_in_another_office_format_rebuilds_the_same_forms(tmp_path: Path, source: Path,
                                                                         kind: str) -> None:
    saved = saved_by_libreoffice(source, kind, tmp_path)
    grid = read_grid(saved)
    assert grid.kind == kind and grid.file == saved.name
    forms = forms_of(saved)
    assert len(forms) == 7 and content(forms) == content(forms_of(source))


def test_a_doc_that_is_a_web_page_or_a_docx_or_text_is_read_as_what_it_is(tmp_path: Path) -> None:
    for name, source, kind in (("page.doc", FIXTURES / "html-gbk" / "seed-gbk.htm", "html"),
                               ("renamed.doc", DOCX, "docx"),
                               ("copied.doc", FIXTURES / "seed" / "2022-shanghai-disabled-persons-federation.txt",
                                "text")):
        path = tmp_path / name
        path.write_bytes(source.read_bytes())
        assert read_grid(path).kind == kind, name
        assert len(forms_of(path)) == 7, name


def test_without_libreoffice_a_doc_is_refused_naming_what_to_install(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(UnsupportedFile, match=r"seed\.doc: a \.doc file is read through LibreOffice, which is not "
                                              r"installed \(Debian: apt install libreoffice-writer-nogui\)"):
        read_grid(FIXTURES / "seed-doc" / "seed.doc")


def test_a_conversion_past_the_time_limit_is_ended_and_named(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SELFEVAL_MAX_SECONDS_PER_FILE", "0.05")
    with pytest.raises(LimitExceeded, match=r"over the 0\.05 s limit \(SELFEVAL_MAX_SECONDS_PER_FILE\)"):
        read_grid(FIXTURES / "seed-doc" / "seed.doc")
    left = subprocess.run(["pgrep", "-f", "selfeval-soffice"], capture_output=True, text=True).stdout.split()
    assert not left, f"LibreOffice processes left running: {left}"


def test_a_damaged_doc_says_so_in_one_line(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.doc"
    damaged.write_bytes((FIXTURES / "seed-doc" / "seed.doc").read_bytes()[:3000])
    with pytest.raises(UnreadableFile) as caught:
        read_grid(damaged)
    assert str(caught.value).startswith("damaged.doc: LibreOffice could not open it") and "\n" not in str(caught.value)


def test_the_profile_of_a_killed_process_is_removed_by_the_next_one(tmp_path: Path, monkeypatch) -> None:
    import os
    import tempfile

    from extractors.inputs import office

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f"{office.PROFILE_PREFIX}{dead.pid}-abc"
    alive = tmp_path / f"{office.PROFILE_PREFIX}{os.getppid()}-def"
    for folder in (stale, alive):
        (folder / "user").mkdir(parents=True)
    office._profile.cache_clear()
    try:
        mine = office._profile()
        assert mine.parent == tmp_path and mine.name.startswith(f"{office.PROFILE_PREFIX}{os.getpid()}-")
        assert not stale.exists() and alive.exists()
    finally:
        office._profile.cache_clear()
