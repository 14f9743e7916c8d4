"""What a shared drop folder gets, through whole runs in this process (no Prefect, no workers: the
inbox, the plan, the moves and the ledger are what is tested): links never followed, nothing
outside the inbox touched, nothing of the user's overwritten, any name the file system allows.
Each inbox holds two good files beside the odd ones, and each run must load them."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pandas as pd
import pytest

from flows.runs import RunSummary, run_inbox
from flows.settings import Settings
from flows.workers import in_process
from storage.moves import REASON_SUFFIX
from tests.runs import FORMS_PER_SEED, SEED, every_version, fill_inbox, seed_variant

JUNK = "关于报送绩效自评表的通知\n请按时报送。\n".encode()  # read, but holds no form
NO_FORM = "no 财政项目支出绩效自评表 found"
RUN_SECONDS = 60  # an in-process run of a few files takes about a second


def run(work: Path) -> RunSummary:
    """A run in a thread: one that blocks (on a named pipe, say) fails the test instead of hanging it."""
    settings = Settings.build(inbox=work / "inbox", warehouse=work / "warehouse", settle_seconds=0)
    done: list[RunSummary] = []
    thread = threading.Thread(target=lambda: done.append(run_inbox(settings, in_process(settings))), daemon=True)
    thread.start()
    thread.join(RUN_SECONDS)
    assert done, f"the run did not finish within {RUN_SECONDS} s"
    return done[0]


def with_good_files(work: Path, files: dict[str, bytes]) -> dict[str, bytes]:
    (work / "inbox").mkdir(exist_ok=True)
    return fill_inbox(work / "inbox", {"good-1.txt": SEED, "good-2.txt": seed_variant(1), **files})


def ledger(work: Path) -> pd.DataFrame:
    return pd.read_parquet(work / "warehouse" / "files").set_index("file_name")


def assert_good_files_loaded(work: Path, summary: RunSummary, good: tuple[str, ...] = ("good-1.txt", "good-2.txt")):
    outcomes = {o.file_name: o for o in summary.outcomes}
    assert all(outcomes[name].status == "loaded" for name in good), summary.render()
    assert len(every_version(work / "warehouse")[0]) == FORMS_PER_SEED * len(good)  # each file's forms kept
    assert len(pd.read_parquet(work / "warehouse" / "forms")) == FORMS_PER_SEED  # one form re-issued: one current


def reason_beside(path: Path) -> str:
    return path.with_name(path.name + REASON_SUFFIX).read_text(encoding="utf-8").strip()


# -- links ------------------------------------------------------------------------------------------

def test_a_symbolic_link_is_rejected_unread_and_moved_as_a_link(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SEED)  # a form: were it followed, it would load
    os.mkfifo(outside / "pipe.txt")             # were it opened, the run would wait forever
    with_good_files(tmp_path, {})
    links = {"to-a-file.txt": "../outside/secret.txt", "to-passwd.txt": "/etc/passwd", "to-a-pipe.txt":
             str(outside / "pipe.txt"), "to-a-folder": "../outside", "dangling.txt": "/no/such/file",
             "loop.txt": "loop.txt", "sub/up.txt": "../good-1.txt"}
    for name, target in links.items():
        (tmp_path / "inbox" / name).parent.mkdir(exist_ok=True)
        os.symlink(target, tmp_path / "inbox" / name)
    before = {p.name: (p.lstat().st_mtime_ns, p.lstat().st_size) for p in outside.iterdir()}

    summary = run(tmp_path)
    assert_good_files_loaded(tmp_path, summary)
    files = ledger(tmp_path)
    for name, target in links.items():
        assert (files.loc[name, "status"], files.loc[name, "sha256"]) == ("rejected", "")
        assert files.loc[name, "reason"] == (f"a symbolic link (to {target}): links are never followed; "
                                             "put the file itself in the inbox")
        moved = tmp_path / "rejected" / name
        assert moved.is_symlink() and os.readlink(moved) == target  # the link itself, its target untouched
        assert reason_beside(moved) == files.loc[name, "reason"]
    assert {p.name: (p.lstat().st_mtime_ns, p.lstat().st_size) for p in outside.iterdir()} == before
    assert sorted(p.name for p in (tmp_path / "inbox").rglob("*")) == ["sub"]


# -- nothing of the user's overwritten, nothing outside touched -------------------------------------

def test_a_reason_never_overwrites_a_users_file_nor_writes_through_a_link(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "kept.txt").write_bytes(b"not to be touched")
    (tmp_path / "rejected").mkdir()
    os.symlink(outside / "kept.txt", tmp_path / "rejected" / f"planted.txt{REASON_SUFFIX}")
    user = "我的说明：这不是自评表\n".encode()
    with_good_files(tmp_path, {"a.txt": JUNK, f"a.txt{REASON_SUFFIX}": user, "x.txt": JUNK + b"x",
                               "planted.txt": JUNK + b"planted"})
    os.symlink(outside / "created-through-link.txt", tmp_path / "inbox" / f"x.txt{REASON_SUFFIX}")

    summary = run(tmp_path)
    assert_good_files_loaded(tmp_path, summary)
    assert (outside / "kept.txt").read_bytes() == b"not to be touched"
    assert sorted(p.name for p in outside.iterdir()) == ["kept.txt"]
    rejected = tmp_path / "rejected"
    files = ledger(tmp_path)
    assert [p for p in rejected.iterdir() if p.is_file() and p.read_bytes() == user], "the user's file is gone"
    for name in ("a.txt", "x.txt", "planted.txt"):
        assert files.loc[name, "status"] == "rejected" and files.loc[name, "reason"].startswith(NO_FORM)
        reasons = [p for p in rejected.iterdir() if p.name.startswith(name + ".reason") and not p.is_symlink()
                   and p.read_text(encoding="utf-8").strip() == files.loc[name, "reason"]]
        assert len(reasons) == 1, sorted(p.name for p in rejected.iterdir())
    assert (rejected / f"planted.txt{REASON_SUFFIX}").is_symlink()  # left as it was, pointing where it did


def test_a_moved_file_never_replaces_one_already_there(tmp_path):
    for folder, name in (("archive", "good-1.txt"), ("rejected", "junk.txt"), ("rejected", f"junk.txt{REASON_SUFFIX}")):
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / name).write_text(f"the user's own {name}")
    with_good_files(tmp_path, {"junk.txt": JUNK})
    assert_good_files_loaded(tmp_path, run(tmp_path))
    for folder, name in (("archive", "good-1.txt"), ("rejected", "junk.txt"), ("rejected", f"junk.txt{REASON_SUFFIX}")):
        assert (tmp_path / folder / name).read_text() == f"the user's own {name}"
    (moved,) = [p for p in (tmp_path / "archive").iterdir() if p.name.startswith("good-1.") and p.read_bytes() == SEED]
    assert moved.suffix == ".txt" and moved.name != "good-1.txt"
    (junk,) = [p for p in (tmp_path / "rejected").iterdir() if p.read_bytes() == JUNK]
    assert reason_beside(junk).startswith(NO_FORM)


def test_a_link_once_rejected_is_never_gone_through_by_a_later_move(tmp_path):
    """A linked folder moved to rejected/ as a link, then a real folder of that name: its files
    go to a folder of their own, not through the link."""
    outside = tmp_path / "outside"
    outside.mkdir()
    with_good_files(tmp_path, {})
    os.symlink(outside, tmp_path / "inbox" / "2022")
    assert_good_files_loaded(tmp_path, run(tmp_path))
    assert (tmp_path / "rejected" / "2022").is_symlink()
    fill_inbox(tmp_path / "inbox", {"2022/junk.txt": JUNK})
    summary = run(tmp_path)
    assert [(o.file_name, o.status) for o in summary.outcomes] == [("2022/junk.txt", "rejected")]
    assert list(outside.iterdir()) == []
    (moved,) = [p for p in (tmp_path / "rejected").rglob("junk.txt") if p.read_bytes() == JUNK]
    assert moved.parent.name.startswith("2022.") and not moved.parent.is_symlink()


def test_a_copy_of_a_rejected_file_is_rejected_with_its_reason(tmp_path):
    with_good_files(tmp_path, {"junk.txt": JUNK, "sub/copy of junk.txt": JUNK, "good-copy.txt": SEED})
    summary = run(tmp_path)
    assert_good_files_loaded(tmp_path, summary)
    files = ledger(tmp_path)
    assert files.loc["sub/copy of junk.txt", "status"] == "rejected"
    assert files.loc["sub/copy of junk.txt", "reason"] == files.loc["junk.txt", "reason"]
    assert reason_beside(tmp_path / "rejected" / "sub" / "copy of junk.txt") == files.loc["junk.txt", "reason"]
    assert (files.loc["good-copy.txt", "status"], files.loc["good-copy.txt", "reason"]) == (
        "duplicate", "same bytes as good-1.txt")


# -- what is no file ---------------------------------------------------------------------------------

def test_a_pipe_and_a_socket_are_left_where_they_are_and_named_once(tmp_path):
    import socket

    with_good_files(tmp_path, {})
    os.mkfifo(tmp_path / "inbox" / "pipe.txt")
    (tmp_path / "inbox" / "sub").mkdir()
    os.mkfifo(tmp_path / "inbox" / "sub" / "pipe.csv")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "inbox" / "sock.txt"))
    try:
        summary = run(tmp_path)
    finally:
        server.close()
    assert_good_files_loaded(tmp_path, summary)
    left = [line for line in summary.render().splitlines() if line.startswith("left: ")]
    assert left == ["left: pipe.txt: a named pipe (FIFO), not a file: left in the inbox",
                    "left: sock.txt: a socket, not a file: left in the inbox",
                    "left: sub/pipe.csv: a named pipe (FIFO), not a file: left in the inbox"]
    assert sorted(ledger(tmp_path).index) == ["good-1.txt", "good-2.txt"]
    assert (tmp_path / "inbox" / "pipe.txt").exists() and (tmp_path / "inbox" / "sub" / "pipe.csv").exists()


# -- names --------------------------------------------------------------------------------------------

LONG_LATIN = "a" * 247 + ".txt"            # 251 bytes: `.reason.txt` does not fit beside it
LONG_CHINESE = "自评表" * 27 + "表表.txt"  # 83 characters, 253 bytes
ODD = ["-rf --no-preserve-root.txt", "line\nbreak.txt", 'say "yes" it\'s.txt', "back\\slash.txt",
       " leading and trailing .txt", "tab\there.txt", "\u202egnp.txt", "子目录/名字 带空格.txt"]


@pytest.mark.parametrize("status", ["rejected", "loaded"])
def test_any_name_the_file_system_allows_goes_through_a_run(tmp_path, status):
    data = {"rejected": JUNK, "loaded": SEED}[status]
    names = [LONG_LATIN, LONG_CHINESE, *ODD]
    assert max(len(n.encode()) for n in names) <= 255
    with_good_files(tmp_path, {name: data + b"\n" * (n + 2) for n, name in enumerate(names)})
    summary = run(tmp_path)
    outcomes = {o.file_name: o for o in summary.outcomes}
    assert {name: outcomes[name].status for name in names} == dict.fromkeys(names, status)
    assert_good_files_loaded(tmp_path, summary, ("good-1.txt", "good-2.txt", *names) if status == "loaded" else
                             ("good-1.txt", "good-2.txt"))
    assert sorted(ledger(tmp_path).index) == sorted(["good-1.txt", "good-2.txt", *names])  # the names as they were
    assert not any(p.is_file() for p in (tmp_path / "inbox").rglob("*"))
    rendered = summary.render().splitlines()
    assert len([line for line in rendered if line.startswith("rejected: ")]) == summary.count("rejected")
    assert "rejected: line\\nbreak.txt: " in summary.render() or status == "loaded"
    folder = tmp_path / status.replace("loaded", "archive")
    for name in names:
        assert (folder / name).read_bytes().startswith(data)
    if status == "rejected":
        for name in (LONG_LATIN, LONG_CHINESE):
            (sidecar,) = [p for p in folder.iterdir() if p.name.endswith(REASON_SUFFIX)
                          and p.read_text(encoding="utf-8").endswith(f"file: {name}\n")]
            assert len(sidecar.name) == len("0123456789abcdef.reason.txt")
            assert sidecar.read_text(encoding="utf-8").startswith(outcomes[name].reason + "\n")


def test_a_name_that_is_no_utf8_reads_as_chinese_or_shows_its_bytes(tmp_path):
    with_good_files(tmp_path, {})
    inbox = os.fsencode(tmp_path / "inbox")
    for raw, data in ((b"\xd7\xd4\xc6\xc0\xb1\xed.txt", seed_variant(2)), (b"\xff\xfe-junk.txt", JUNK),
                      (b"\xb1\xed.txt", JUNK + b"1"), ("表.txt".encode(), JUNK + b"2")):  # GBK 表 and UTF-8 表
        with open(inbox + b"/" + raw, "wb") as handle:
            handle.write(data)
    summary = run(tmp_path)
    assert_good_files_loaded(tmp_path, summary, ("good-1.txt", "good-2.txt", "自评表.txt"))
    files = ledger(tmp_path)
    assert sorted(files.index) == sorted(["good-1.txt", "good-2.txt", "自评表.txt", "\\xff\\xfe-junk.txt",
                                          "表.txt", "\\xb1\\xed.txt"])
    assert (tmp_path / "archive" / "自评表.txt").read_bytes() == seed_variant(2)
    assert set(every_version(tmp_path / "warehouse")[0]["source_file"]) == {"good-1.txt", "good-2.txt", "自评表.txt"}
    assert not any(p.is_file() for p in (tmp_path / "inbox").rglob("*"))


def test_a_file_swapped_for_a_link_or_a_pipe_after_the_listing_is_neither_followed_nor_waited_on(tmp_path):
    from storage.inbox import NotAFile, sha256_of

    os.mkfifo(tmp_path / "pipe.txt")
    os.symlink("/etc/passwd", tmp_path / "link.txt")
    for name in ("pipe.txt", "link.txt"):
        with pytest.raises(NotAFile):
            sha256_of(tmp_path / name)  # a pipe opened to be read would wait for a writer forever
