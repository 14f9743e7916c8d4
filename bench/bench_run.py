"""Benchmark of the whole run: `selfeval run` on many small files, a rerun, text-layer PDFs, the
published layout after many runs, a DuckDB join, and what a Prefect task costs.

    .venv/bin/python bench/bench_run.py              # about 3 minutes on 2 cores
    .venv/bin/python bench/bench_run.py --files 200  # a smaller corpus

Every figure is a ratio against a baseline measured in this same run (see bench/README.md).
Exits 1 when a run does not load what it was given, else 0, whether the aims are met or not.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus import write_corpus  # noqa: E402
from machine import describe  # noqa: E402

from flows.pipeline import BatchItem, extract_batch  # noqa: E402
from flows.settings import Settings  # noqa: E402
from storage.inbox import sha256_of  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("prefect", "pandas", "pandera", "pyarrow", "pdfplumber", "duckdb")
PDF_CASES = ("pdf-cid", "pdf-split", "pdf-wanyuan", "pdf-wqy")
AIMS = {"forms/s": 1000.0, "run/pure": 1.5, "rerun": 2.0, "pdf": 1.3, "files": 4, "join_ms": 50.0, "task_ms": 2.0}


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def selfeval_run(inbox: Path, warehouse: Path, *more: str) -> tuple[float, str]:
    """Wall seconds of `selfeval run` as a subprocess (a temporary Prefect server unless
    PREFECT_API_URL is set), and what it printed."""
    command = [str(Path(sys.executable).with_name("selfeval")), "run", "--inbox", str(inbox), "--warehouse",
               str(warehouse), "--settle", "0", *more]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800,
                          env={**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"selfeval run failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return seconds, done.stdout


def best(times: int, measure: Callable[[], float]) -> float:
    return min(measure() for _ in range(times))


def _extract_chunk(paths: list[str]) -> int:
    settings = Settings.build()
    items = [BatchItem(Path(p).name, sha256_of(Path(p)), p) for p in paths]
    return sum(o.forms for o in extract_batch(items, settings).outcomes)


def pure_on_two_processes(files: list[Path], chunk: int = 63) -> tuple[float, int]:
    """The pure path (read → … → validated rows, no store) over the files, on 2 warm processes."""
    chunks = [[str(p) for p in files[i:i + chunk]] for i in range(0, len(files), chunk)]
    with get_context("spawn").Pool(2) as pool:
        pool.map(_extract_chunk, [chunks[0][:1], chunks[0][:1]])  # warm: imports and first calls
        started = time.perf_counter()
        forms = sum(pool.map(_extract_chunk, chunks, chunksize=1))
        return time.perf_counter() - started, forms


def startup(tmp: Path, runs: int) -> float:
    """`selfeval run` on one 7-form file: what a run costs beyond its files (median of `runs`)."""
    seed = next((ROOT / "fixtures" / "seed").glob("*.txt"))
    times = []
    for i in range(runs):
        inbox = tmp / f"startup-{i}" / "inbox"
        inbox.mkdir(parents=True)
        shutil.copy(seed, inbox / "seed.txt")
        times.append(selfeval_run(inbox, tmp / f"startup-{i}" / "warehouse")[0])
    return sorted(times)[len(times) // 2]


def many_small_files(args: argparse.Namespace, tmp: Path, start: float) -> tuple[bool, Path]:
    corpus = write_corpus(tmp / "corpus", files=args.files, forms_per_file=args.forms_per_file, seed=2022)
    files = sorted(corpus.folder.glob("*.txt"))
    pure, made = pure_on_two_processes(files)
    shutil.copytree(corpus.folder, tmp / "run" / "inbox")
    wall, out = selfeval_run(tmp / "run" / "inbox", tmp / "run" / "warehouse")
    shutil.copytree(corpus.folder, tmp / "run" / "inbox", dirs_exist_ok=True)
    rerun, out_rerun = selfeval_run(tmp / "run" / "inbox", tmp / "run" / "warehouse")
    n = corpus.forms
    ok = made == n and f"forms: {n} " in out and f"{args.files} duplicate" in out_rerun
    print(f"\n{args.files:,} files × {args.forms_per_file} forms = {n:,} forms (start-up {start:.2f} s: "
          "`selfeval run` on one 7-form file, median)")
    print(f"  pure path, 2 warm processes   {pure:7.2f} s   {n / pure:,.0f} forms/s   (made {made:,})")
    print(f"  selfeval run, whole process   {wall:7.2f} s   {n / wall:,.0f} forms/s   aim ≥ "
          f"{AIMS['forms/s']:,.0f}: {verdict(n / wall >= AIMS['forms/s'])}")
    ratio = wall / (pure + start)
    print(f"  run / (pure + start-up)       {ratio:7.2f}×           aim ≤ {AIMS['run/pure']}×: "
          f"{verdict(ratio <= AIMS['run/pure'])}")
    print(f"  rerun, all duplicates         {rerun:7.2f} s   less start-up {rerun - start:.2f} s   aim ≤ "
          f"{AIMS['rerun']:.0f} s + start-up: {verdict(rerun - start <= AIMS['rerun'])}")
    if not ok:
        print("  WRONG: the run did not load every generated form, or the rerun was not all duplicates")
    return ok, tmp / "run" / "warehouse"


def with_kept_server(args: argparse.Namespace, tmp: Path) -> bool:
    """The same corpus with a Prefect server already running (as `selfeval server` keeps one)."""
    from flows.server import TemporaryServer

    server = TemporaryServer()
    os.environ["PREFECT_API_URL"] = server.wait()
    try:
        start = startup(tmp / "kept", args.startup_runs)
        corpus = write_corpus(tmp / "kept" / "corpus", files=args.files, forms_per_file=args.forms_per_file, seed=7)
        shutil.copytree(corpus.folder, tmp / "kept" / "run" / "inbox")
        wall, out = selfeval_run(tmp / "kept" / "run" / "inbox", tmp / "kept" / "run" / "warehouse")
    finally:
        del os.environ["PREFECT_API_URL"]
        server.stop()
    n = corpus.forms
    print(f"\nthe same with a Prefect server already running (start-up {start:.2f} s, median):")
    print(f"  selfeval run, whole process   {wall:7.2f} s   {n / wall:,.0f} forms/s   aim ≥ "
          f"{AIMS['forms/s']:,.0f}: {verdict(n / wall >= AIMS['forms/s'])}")
    return f"forms: {n} " in out


def bare_pdfplumber(pdfs: list[Path]) -> tuple[float, int]:
    import pdfplumber

    started, pages = time.perf_counter(), 0
    for path in pdfs:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_tables()
                pages += 1
    return time.perf_counter() - started, pages


def text_layer_pdfs(args: argparse.Namespace, tmp: Path, start: float) -> bool:
    """`selfeval run` on PDFs against bare pdfplumber `extract_tables`, page for page."""
    inbox = tmp / "pdf" / "inbox"
    inbox.mkdir(parents=True)
    sources = [p for case in PDF_CASES for p in (ROOT / "fixtures" / case).glob("*.pdf")]
    for i in range(args.pdfs):  # other bytes, the same pages: a comment after the end of the file
        source = sources[i % len(sources)]
        (inbox / f"{i:03d}-{source.name}").write_bytes(source.read_bytes() + f"\n%{i}\n".encode())
    pdfs = sorted(inbox.glob("*.pdf"))
    bare_runs = [bare_pdfplumber(pdfs) for _ in range(2)]
    bare, pages = min(t for t, _ in bare_runs), bare_runs[0][1]
    wall, out = selfeval_run(inbox, tmp / "pdf" / "warehouse")
    print(f"\ntext-layer PDFs: {len(pdfs)} files, {pages} pages")
    print(f"  bare pdfplumber extract_tables, 1 process   {bare / pages * 1e3:6.1f} ms/page   1.00×")
    whole, less = wall / bare, (wall - start) / bare
    print(f"  selfeval run, whole process                 {wall / pages * 1e3:6.1f} ms/page   {whole:.2f}×   aim ≤ "
          f"{AIMS['pdf']}×: {verdict(whole <= AIMS['pdf'])}")
    print(f"  selfeval run less start-up                  {(wall - start) / pages * 1e3:6.1f} ms/page   {less:.2f}×")
    return f"files: {len(pdfs)} loaded" in out


def layout_after_runs(args: argparse.Namespace, tmp: Path) -> bool:
    """Published files per table and year after `--layout-runs` runs of new files (in-process)."""
    from flows.runs import run_inbox
    from flows.workers import in_process

    warehouse = tmp / "layout" / "warehouse"
    for run in range(args.layout_runs):
        corpus = write_corpus(tmp / "layout" / f"corpus-{run}", files=20, forms_per_file=5, seed=run)
        settings = Settings.build(inbox=corpus.folder, warehouse=warehouse, settle_seconds=0)
        run_inbox(settings, in_process(settings))
    counts = {}
    for table in ("files", "forms", "indicators", "flags"):
        parts = list((warehouse / table).glob("*.parquet"))
        years = {p.stem for p in parts}
        counts[table] = (len(parts), len(years))
    worst = max(n / max(years, 1) for n, years in counts.values())
    print(f"\npublished layout after {args.layout_runs} runs of 20 new files each:")
    for table, (n, years) in counts.items():
        print(f"  {table:<11}{n:4d} files for {years} years")
    print(f"  most files per table and year: {worst:.0f}   aim ≤ {AIMS['files']}: {verdict(worst <= AIMS['files'])}")
    return True


def duckdb_join(warehouse: Path) -> None:
    from storage.query import connect

    db = connect(warehouse)
    query = "select f.year, count(*) from forms f join flags g using (form_id) group by all"
    db.sql(query).fetchall()
    seconds = best(5, lambda: _timed(lambda: db.sql(query).fetchall()))
    forms = db.sql("select count(*) from forms").fetchall()[0][0]
    print(f"\nDuckDB join of forms and flags ({forms:,} forms): {seconds * 1e3:.1f} ms, best of 5   aim ≤ "
          f"{AIMS['join_ms']:.0f} ms: {verdict(seconds * 1e3 <= AIMS['join_ms'])}")


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def task_overhead(tasks: int) -> None:
    """What a Prefect task costs on the thread runner, against a batch task's per-file share."""
    from flows.server import TemporaryServer, drain_prefect

    server = TemporaryServer()
    os.environ["PREFECT_API_URL"] = server.api_url
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    try:
        server.wait()
        from prefect import flow, task
        from prefect.cache_policies import NO_CACHE
        from prefect.task_runners import ThreadPoolTaskRunner

        @task(cache_policy=NO_CACHE)
        def nothing(i: int) -> int:
            return i

        @flow(task_runner=ThreadPoolTaskRunner(max_workers=2))  # type: ignore[arg-type]
        def many(n: int) -> float:
            started = time.perf_counter()
            [f.result() for f in [nothing.submit(i) for i in range(n)]]
            return time.perf_counter() - started

        many(10)
        seconds = many(tasks)
    finally:
        drain_prefect(timeout=3)
        server.stop()
    per = seconds / tasks * 1e3
    print(f"\nPrefect task overhead, thread runner: {tasks} empty tasks in {seconds:.2f} s = {per:.1f} ms a task   "
          f"aim for a task per file < {AIMS['task_ms']:.0f} ms: {verdict(per < AIMS['task_ms'])} "
          "(so: a task per batch)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000, help="small files in the corpus (default 1000)")
    parser.add_argument("--forms-per-file", type=int, default=10, help="forms per file (default 10)")
    parser.add_argument("--pdfs", type=int, default=80, help="text-layer PDFs (default 80)")
    parser.add_argument("--layout-runs", type=int, default=10, help="runs before the layout is counted")
    parser.add_argument("--startup-runs", type=int, default=3, help="one-file runs; the median is start-up")
    parser.add_argument("--tasks", type=int, default=300, help="empty Prefect tasks timed")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and say where")
    args = parser.parse_args(argv)
    for line in describe(PACKAGES):
        print(line)
    tmp = Path(tempfile.mkdtemp(prefix="selfeval-bench-run-"))
    started = time.perf_counter()
    try:
        start = startup(tmp, args.startup_runs)
        ok, warehouse = many_small_files(args, tmp, start)
        duckdb_join(warehouse)
        ok &= with_kept_server(args, tmp)
        ok &= text_layer_pdfs(args, tmp, start)
        ok &= layout_after_runs(args, tmp)
        task_overhead(args.tasks)
    finally:
        print(f"\nbenchmark took {time.perf_counter() - started:.0f} s" + (f"; kept {tmp}" if args.keep else ""))
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
