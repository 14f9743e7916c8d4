"""Benchmark of what review adds to a run, and of a decision: every figure against a baseline
measured in this same process, best of N.

    .venv/bin/python bench/bench_review.py             # 2,000 generated forms, under a minute
    .venv/bin/python bench/bench_review.py --files 5   # 500 forms

1. keeping each form as extracted (`schemas.saved`, in the worker) against extracting it
   (read → segment → rebuild → check);
2. committing a batch with its forms settled (keys, re-issued files superseded, decisions looked
   up) against the same commit without, into fresh stores;
3. the same batch committed again as a re-issue of forms that carry decisions (each re-checked);
4. one decision from the command line's function (`review.decisions.correct`), against a
   publish of the same warehouse.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus import write_corpus  # noqa: E402
from machine import describe  # noqa: E402

from flows.pipeline import FileOutcome, extract_file, validate_batch  # noqa: E402
from flows.settings import Settings  # noqa: E402
from review.decisions import accept, correct  # noqa: E402
from review.identity import settle_forms  # noqa: E402
from schemas.saved import forms_to_blob_rows  # noqa: E402
from storage.inbox import sha256_of  # noqa: E402
from storage.publish import publish  # noqa: E402
from storage.store import FileRecord, Store  # noqa: E402


def best(times: int, measure: Callable[[], float]) -> float:
    return min(measure() for _ in range(times))


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def extracted(files: list[Path]) -> tuple[list, list, list[FileOutcome]]:
    settings = Settings.build(inbox=files[0].parent, warehouse=files[0].parent / "w")
    forms, flags, outcomes = [], [], []
    for path in files:
        got, raised, _ = extract_file(path, sha256_of(path), settings, name=path.name)
        forms += got
        flags += raised
        outcomes.append(FileOutcome(path.name, sha256_of(path), "loaded", forms=len(got)))
    return forms, flags, outcomes


def commit_into(folder: Path, rows: dict, outcomes: list[FileOutcome], settle: bool, mtime: int = 1) -> float:
    store = Store.open(folder)
    records = [FileRecord(o.file_name, o.sha256, "loaded", "", o.forms, f"/in/{o.file_name}", f"/ar/{o.file_name}",
                          mtime) for o in outcomes]
    return timed(lambda: store.commit(records, rows, settle=settle_forms if settle else None))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20, help="files of 100 generated forms (default 20)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N (default 3)")
    args = parser.parse_args()
    print("\n".join(describe(("pandas", "pandera", "pyarrow"))))
    with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp:
        corpus = write_corpus(Path(tmp) / "corpus", files=args.files, forms_per_file=100, seed=2022)
        files = sorted(corpus.folder.glob("*.txt"))
        forms, flags, outcomes = extracted(files)
        n = len(forms)
        extract = best(args.repeat, lambda: timed(lambda: extracted(files)))
        keep = best(args.repeat, lambda: timed(lambda: forms_to_blob_rows(forms)))
        print(f"\n{n:,} forms; per form: extract {extract / n * 1e6:.0f} µs, keep as extracted "
              f"{keep / n * 1e6:.0f} µs = {keep / extract:.1%} of extracting")
        rows = validate_batch(outcomes, forms, flags)

        def fresh(name: str, settle: bool) -> float:
            folder = Path(tmp) / name
            shutil.rmtree(folder, ignore_errors=True)
            return commit_into(folder, rows, outcomes, settle)

        plain = best(args.repeat, lambda: fresh("plain", False))
        settled = best(args.repeat, lambda: fresh("settled", True))
        print(f"commit of {n:,} forms: {plain:.2f} s without settling, {settled:.2f} s settled "
              f"({settled / plain:.2f}×)")

        store = Store(Path(tmp) / "settled")
        with store.connect() as db:
            chosen = db.execute("select f.form_id, fl.flag_id from forms f join flags fl using (form_id) "
                                "where fl.status = 'open' limit 50").fetchall()
        for _, flag_id in chosen:
            accept(store, flag_id, reviewer="bench")
        publish(store)
        started = time.perf_counter()
        correct(store, chosen[0][0], "project_name", "改名以测", reviewer="bench")
        decision = time.perf_counter() - started
        publish_again = best(args.repeat, lambda: timed(lambda: _republish(store)))
        print(f"one correction: {decision * 1000:.0f} ms; a publish of the warehouse: {publish_again * 1000:.0f} ms "
              f"({decision / publish_again:.2f}×)")

        shas = {o.sha256: o.sha256[::-1] for o in outcomes}  # the same forms in other files
        reissue = _as_other_files(rows, shas)
        again = [FileOutcome("re-" + o.file_name, shas[o.sha256], "loaded", forms=o.forms) for o in outcomes]
        seconds = commit_into(Path(tmp) / "settled", reissue, again, True, mtime=2)
        print(f"re-issue of the {n:,} forms ({len(chosen)} with decisions re-applied): {seconds:.2f} s "
              f"= {seconds / settled:.2f}× the first commit")
    return 0


def _republish(store: Store) -> None:
    with store.transaction() as db:
        db.execute("update meta set value = value + 1 where key = 'generation'")
    publish(store)


def _as_other_files(rows: dict, shas: dict[str, str]) -> dict:
    """The batch's rows as if each file came again in other bytes: new form and flag ids."""
    def swap(text: object) -> object:
        if not isinstance(text, str):
            return text
        for old, new in shas.items():
            if old[:16] in text:
                text = text.replace(old[:16], new[:16]).replace(old, new)
        return text

    return {table: [[swap(v) for v in row] for row in table_rows] for table, table_rows in rows.items()}


if __name__ == "__main__":
    sys.exit(main())
