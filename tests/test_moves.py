"""storage/moves.py and storage/names.py: moves that replace nothing, reasons created exclusively,
names fitted to the file system, and paths the store keeps whatever bytes they hold."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import storage.moves as moves
from storage.moves import REASON_SUFFIX, move_file, rename_no_replace, write_reason
from storage.names import fit_name, path_text, readable, shown, text_path


@pytest.fixture(params=["renameat2", "hard link", "check then rename"])
def no_replace(request, monkeypatch):
    """Each way of renaming without replacing: the system call, a hard link, a check."""
    if request.param != "renameat2":
        monkeypatch.setattr(moves, "_RENAME", None)
    if request.param == "check then rename":
        def no_links(*args, **kwargs):
            raise OSError(errno.EPERM, "Operation not permitted")
        monkeypatch.setattr(moves.os, "link", no_links)
    return request.param


def test_a_rename_never_replaces_a_file_nor_follows_a_link(tmp_path, no_replace):
    (tmp_path / "source").write_text("new")
    (tmp_path / "taken").write_text("old")
    with pytest.raises(FileExistsError):
        rename_no_replace(tmp_path / "source", tmp_path / "taken")
    assert (tmp_path / "taken").read_text() == "old" and (tmp_path / "source").read_text() == "new"
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling")
    rename_no_replace(tmp_path / "dangling", tmp_path / "moved")
    assert os.readlink(tmp_path / "moved") == str(tmp_path / "nowhere") and not (tmp_path / "nowhere").exists()


def test_a_move_takes_a_tagged_name_when_its_own_is_taken_and_writes_the_reason(tmp_path, no_replace):
    root = tmp_path / "rejected"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "form.pdf").write_text("the user's")
    (tmp_path / "form.pdf").write_text("ours")
    where = move_file(tmp_path / "form.pdf", root / "sub" / "form.pdf", "damaged PDF", root=root, tag="1a2b3c4d")
    assert where == root / "sub" / "form.1a2b3c4d.pdf" and where.read_text() == "ours"
    assert (root / "sub" / "form.pdf").read_text() == "the user's"
    assert (root / "sub" / f"form.1a2b3c4d.pdf{REASON_SUFFIX}").read_text() == "damaged PDF\n"


def test_a_move_interrupted_after_its_hard_link_is_finished_by_doing_it_again(tmp_path):
    root = tmp_path / "archive"
    root.mkdir()
    (tmp_path / "a.txt").write_text("form")
    os.link(tmp_path / "a.txt", root / "a.txt")  # linked, not yet unlinked from the inbox
    assert move_file(tmp_path / "a.txt", root / "a.txt", root=root, tag="x") == root / "a.txt"
    assert not (tmp_path / "a.txt").exists() and (root / "a.txt").read_text() == "form"


def test_a_reason_is_created_beside_never_over_a_file_or_through_a_link(tmp_path):
    target = tmp_path / "x.txt"
    (tmp_path / f"x.txt{REASON_SUFFIX}").write_text("the user's")
    os.symlink(tmp_path / "outside.txt", tmp_path / "x.txt.reason-2.txt")
    assert write_reason(target, "no form") == tmp_path / "x.txt.reason-3.txt"
    assert write_reason(target, "no form") == tmp_path / "x.txt.reason-3.txt"  # again: the same file, kept
    assert (tmp_path / f"x.txt{REASON_SUFFIX}").read_text() == "the user's"
    assert not (tmp_path / "outside.txt").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_reason_too_long_to_name_after_its_file_names_the_file_inside(tmp_path):
    target = tmp_path / ("名" * 82 + ".pdf")  # 250 bytes
    reason = write_reason(target, "no form")
    assert len(reason.name) == len("0123456789abcdef") + len(REASON_SUFFIX)
    assert reason.read_text(encoding="utf-8") == f"no form\nfile: {target.name}\n"


@given(st.text(min_size=1, max_size=300).filter(lambda n: "/" not in n and "\0" not in n),
       st.sampled_from(["", ".1a2b3c4d", ".1a2b3c4d-7"]))
def test_a_fitted_name_fits_keeps_its_suffix_and_differs_from_any_other_cut(name, tag):
    fitted = fit_name(name, tag=tag, limit=255)
    assert len(fitted.encode("utf-8", "surrogatepass")) <= 255
    if len(name.encode("utf-8", "surrogatepass")) + len(tag) <= 255:
        stem, dot, suffix = name.rpartition(".")
        assert fitted == (f"{stem}{tag}.{suffix}" if dot and stem and len(suffix) <= 16 else name + tag)
    else:
        assert fitted != fit_name(name + "x", tag=tag, limit=255)


@given(st.binary(min_size=1, max_size=200).filter(lambda b: b"/" not in b and b"\0" not in b))
def test_any_file_name_survives_the_store_and_reads_as_text(raw):
    path = Path("/inbox") / os.fsdecode(raw)
    assert text_path(path_text(path)) == path
    path_text(path).encode("utf-8")  # storable: no surrogates
    readable(path.name).encode("utf-8")
    assert "\n" not in shown(readable(path.name))


def test_a_stored_path_that_starts_like_an_encoded_one_is_still_itself():
    assert text_path(path_text("hex:2f")) == Path("hex:2f")
