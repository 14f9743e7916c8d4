"""Benchmark of the text path: the pure stages in-process, and `selfeval run` as a user runs it.

    .venv/bin/python bench/bench_text.py            # 10,000 forms in 100 files, under 3 minutes
    .venv/bin/python bench/bench_text.py --quick    # 1,000 forms in 10 files

Measures, on a corpus generated from the seed (bench/corpus.py; `--shape` rewrites it as spaced
text, pipe rows or flattened lines):
1. the pure path, `flows.pipeline` without Prefect, on one core: read → segment → rebuild →
   check → frames, then again with the load (`flows.runs.run_inbox` in-process: store, moves,
   publish); every family
   loaded, each form choosing its own, against one family forced in the same run;
2. `selfeval run` over a copy of the corpus, as a subprocess;
3. `selfeval run` over an empty inbox: its fixed start-up.
and states the flow as: run ≈ start-up + k × pure (with load). Exits 1 when the corpus does not
load whole (a count of forms, Σ 总分 or Σ 全年预算数 differs from what was generated), else 0,
whether the aims are met or not.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus import Corpus, reshape_corpus, write_corpus  # noqa: E402
from machine import describe  # noqa: E402

from extractors.catalog import load_catalog  # noqa: E402
from extractors.extract import catalog_for  # noqa: E402
from extractors.family import load_family  # noqa: E402
from extractors.inputs import read_grid  # noqa: E402
from extractors.rebuild import segment_to_form  # noqa: E402
from extractors.segment import rows_to_cut  # noqa: E402
from extractors.text import label_key  # noqa: E402
from flows.pipeline import form_id_for  # noqa: E402
from flows.runs import run_inbox  # noqa: E402
from flows.settings import Settings  # noqa: E402
from flows.workers import in_process  # noqa: E402
from schemas.checks import form_to_flags  # noqa: E402
from schemas.tables import forms_to_frames  # noqa: E402
from storage.inbox import sha256_of  # noqa: E402

AIM_FORMS_PER_SECOND = 2000.0
AIM_FLOW_RATIO = 2.0
STAGES = ("read", "segment", "rebuild", "check", "frames")
SEED_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "seed"
Check = tuple[str, float, float]  # what, found, generated
PACKAGES = ("prefect", "pandas", "pandera", "pyarrow", "rapidfuzz", "regex")


@contextmanager
def one_core() -> Iterator[str]:
    """Pin every thread of this process to one CPU, and restore them after."""
    if not hasattr(os, "sched_setaffinity"):
        yield "not pinned"
        return
    before = os.sched_getaffinity(0)
    cpu = min(before)
    threads = [int(t) for t in os.listdir("/proc/self/task")]
    for tid in threads:
        os.sched_setaffinity(tid, {cpu})
    try:
        yield f"pinned to cpu {cpu}"
    finally:
        for tid in [int(t) for t in os.listdir("/proc/self/task")]:
            try:
                os.sched_setaffinity(tid, before)
            except OSError:
                pass


def pure_stages(files: list[Path], settings: Settings) -> tuple[dict[str, float], int, Counter]:
    """Seconds per stage over every file, the forms made and the flags raised (no load).

    `segment` includes choosing each form's family among all families (unless one is forced)."""
    catalog = catalog_for(settings.family)
    seconds = dict.fromkeys(STAGES, 0.0)
    forms_made, flags_raised = 0, Counter[str]()
    for path in files:
        t0 = time.perf_counter()
        sha = sha256_of(path)
        grid = read_grid(path)
        t1 = time.perf_counter()
        segments = rows_to_cut(grid.rows, catalog).segments
        t2 = time.perf_counter()
        forms = [segment_to_form(s, s.family or catalog.primary, form_id=form_id_for(sha, s.ordinal), source_file=path.name,
                                 source_sha256=sha, max_shift=settings.max_shift) for s in segments]
        t3 = time.perf_counter()
        flags = [flag for form in forms for flag in form_to_flags(form)]
        t4 = time.perf_counter()
        forms_to_frames(forms, flags)
        t5 = time.perf_counter()
        for stage, took in zip(STAGES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
            seconds[stage] += took
        forms_made += len(forms)
        flags_raised.update(flag.check for flag in flags)
    return seconds, forms_made, flags_raised


def clear_families() -> None:
    """Each pass starts with fresh families, as a new process does."""
    load_family.cache_clear()
    load_catalog.cache_clear()
    label_key.cache_clear()


def timed_pass(files: list[Path], settings: Settings) -> tuple[float, float, dict[str, float], int, Counter]:
    """One pure-path pass: wall seconds, cpu seconds, seconds per stage, forms made, flags raised."""
    clear_families()
    cpu = time.process_time()
    seconds, forms_made, flags = pure_stages(files, settings)
    return sum(seconds.values()), time.process_time() - cpu, seconds, forms_made, flags


def pure_with_load(inbox: Path, warehouse: Path, settings: Settings) -> tuple[float, int]:
    """`run_inbox` in this process: the flow's work in plain Python. Seconds, and the forms
    the outcomes report."""
    started = time.perf_counter()
    here = settings.model_copy(update={"inbox": inbox, "warehouse": warehouse, "settle_seconds": 0.0})
    summary = run_inbox(here, in_process(here))
    seconds = time.perf_counter() - started
    return seconds, summary.forms


def warehouse_checks(name: str, warehouse: Path, corpus: Corpus) -> list[Check]:
    """Rows, Σ 总分 and Σ 全年预算数 of the forms table against what was generated."""
    forms = pd.read_parquet(warehouse / "forms")
    return [(f"{name}, rows in warehouse", len(forms), corpus.forms),
            (f"{name}, Σ 总分", round(float(forms["total_score"].sum()), 2), round(corpus.total_score, 2)),
            (f"{name}, Σ 全年预算数", float(forms["budget_full_year"].sum()), corpus.budget_full_year)]


def selfeval_run(inbox: Path, warehouse: Path) -> tuple[float, str]:
    """Wall seconds of `selfeval run` as a subprocess, and what it printed."""
    exe = Path(sys.executable).with_name("selfeval")
    command = [str(exe) if exe.exists() else shutil.which("selfeval") or "selfeval", "run",
               "--inbox", str(inbox), "--warehouse", str(warehouse)]
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"selfeval run failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return seconds, done.stdout


def profile_pure(files: list[Path], settings: Settings, top: int) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(pure_stages, files, settings)
    stats = pstats.Stats(profiler, stream=sys.stdout)
    print(f"\nprofile of the pure path (no load), top {top} by own time:")
    stats.sort_stats("tottime").print_stats(top)


def report_corpus(corpus: Corpus, seconds: float, seed: int) -> str:
    per_file = corpus.forms // max(corpus.files, 1)
    return (f"corpus: {corpus.forms:,} forms in {corpus.files} files ({per_file} per file, "
            f"{corpus.gb18030_files} files GB18030), {corpus.bytes / 1e6:.1f} MB, made in {seconds:.1f} s "
            f"(--seed {seed})")


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100, help="files in the corpus (default 100)")
    parser.add_argument("--forms-per-file", type=int, default=100, help="forms per file (default 100)")
    parser.add_argument("--quick", action="store_true", help="1,000 forms: 10 files of 100")
    parser.add_argument("--seed", type=int, default=2022, help="random seed of the corpus (default 2022)")
    parser.add_argument("--startup-runs", type=int, default=3, help="empty-inbox runs; the median counts")
    parser.add_argument("--repeat", type=int, default=1, help="pure-path passes; the fastest counts (default 1)")
    parser.add_argument("--no-flow", action="store_true", help="the pure path only, no `selfeval run`")
    parser.add_argument("--profile", type=int, nargs="?", const=25, default=0, metavar="N",
                        help="also profile the pure path and print its top N functions (default 25)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and say where")
    parser.add_argument("--shape", choices=("tabs", "spaced", "pipes", "flattened"), default="tabs",
                        help="the text shape of the corpus files (default tabs, as the seed)")
    parser.add_argument("--no-freeze", action="store_true",
                        help="leave the import-time objects to the garbage collector (selfeval run freezes them)")
    args = parser.parse_args(argv)
    if args.quick:
        args.files = 10
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"

    for line in describe(PACKAGES):
        print(line)
    tmp = Path(tempfile.mkdtemp(prefix="selfeval-bench-"))
    try:
        return run(args, tmp)
    finally:
        if args.keep:
            print(f"kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, tmp: Path) -> int:
    started = time.perf_counter()
    corpus = write_corpus(tmp / "corpus", files=args.files, forms_per_file=args.forms_per_file, seed=args.seed)
    if args.shape != "tabs":
        reshape_corpus(corpus, args.shape)
    print(report_corpus(corpus, time.perf_counter() - started, args.seed) + f", shape {args.shape}")
    files = sorted(corpus.folder.glob("*.txt"))
    settings = Settings.build()
    pure_stages(sorted(SEED_DIR.glob("*.txt")), settings)  # warm-up: first calls into pandas and pandera
    if not args.no_freeze:
        gc.freeze()  # as `selfeval run` does once its imports are done

    baseline_settings = Settings.build(family="standard")
    with one_core() as pinned:
        passes, baselines = [], []
        for _ in range(max(args.repeat, 1)):  # interleaved, so both see the same machine
            baselines.append(timed_pass(files, baseline_settings)[0])
            passes.append(timed_pass(files, settings))
        pure_best, cpu, seconds, forms_made, flags = min(passes, key=lambda p: p[0])
        if len(passes) > 1:
            pinned += f"; best of {len(passes)} passes: " + ", ".join(f"{p[0]:.2f}" for p in passes) + " s"
        shutil.copytree(corpus.folder, tmp / "pure" / "inbox")
        clear_families()
        load_seconds, loaded = pure_with_load(tmp / "pure" / "inbox", tmp / "pure" / "warehouse", settings)
    n, pure = corpus.forms, sum(seconds.values())
    print_pure(seconds, n, corpus.files, cpu, load_seconds, pinned)
    print("  flags: " + ", ".join(f"{check} {count}" for check, count in sorted(flags.items())))
    baseline = min(baselines)
    print(f"  baseline  {baseline:>9.2f}   one family forced (--family standard), the same files, best of "
          f"{len(baselines)}: all families cost {pure / baseline:.2f}× of it "
          f"({n / baseline:,.0f} forms/s with one family)")

    checks: list[Check] = [("pure path made", forms_made, n), ("pure path + load loaded", loaded, n)]
    checks += warehouse_checks("pure path + load", tmp / "pure" / "warehouse", corpus)
    if not args.no_flow:
        checks += flow(args, tmp, corpus, pure, load_seconds)
    ok = print_correctness(n, checks, flags)
    if args.profile:
        profile_pure(files, settings, args.profile)
    print(f"\nbenchmark took {time.perf_counter() - started:.0f} s")
    return 0 if ok else 1


def print_pure(seconds: dict[str, float], n: int, files: int, cpu: float, load_seconds: float,
               pinned: str) -> None:
    pure = sum(seconds.values())
    collector = "imports frozen out of the collector, as selfeval run does" if gc.get_freeze_count() else "no gc.freeze"
    print(f"\npure path, in-process, one core ({pinned}; {collector}):")
    print(f"  {'stage':<10}{'seconds':>9}{'share':>8}{'ms/form':>9}{'ms/file':>9}")
    for stage in STAGES:
        took = seconds[stage]
        print(f"  {stage:<10}{took:>9.2f}{took / pure:>8.0%}{took / n * 1e3:>9.3f}{took / files * 1e3:>9.1f}")
    rate = n / pure
    print(f"  {'total':<10}{pure:>9.2f}{1:>8.0%}{pure / n * 1e3:>9.3f}{pure / files * 1e3:>9.1f}"
          f"   {rate:,.0f} forms/s   aim ≥ {AIM_FORMS_PER_SECOND:,.0f}: {verdict(rate >= AIM_FORMS_PER_SECOND)}")
    print(f"  cpu time  {cpu:>9.2f}{cpu / pure:>8.0%}   of the wall time: well under 100% means another "
          "process had the core")
    print(f"  with load {load_seconds:>9.2f}{'':>8}{load_seconds / n * 1e3:>9.3f}{load_seconds / files * 1e3:>9.1f}"
          f"   {n / load_seconds:,.0f} forms/s   (run_inbox in-process: store, archive, publish)")


def print_correctness(n: int, checks: list[Check], flags: Counter) -> bool:
    print(f"\ncorrectness: {n:,} forms generated")
    ok = True
    for what, found, expected in checks:
        same = abs(found - expected) <= 1e-9 * max(1.0, abs(expected))
        ok &= same
        shown = f"{found:,}" if isinstance(found, int) else f"{found:,.2f}"
        print(f"  {what}: {shown} {'= generated' if same else f'≠ generated {expected:,}: WRONG'}")
    forbidden = {c: flags[c] for c in ("total_score", "weight_sum") if flags[c]}
    print("  total_score / weight_sum flags: " + (f"{forbidden}: WRONG" if forbidden else "none, as generated"))
    return ok and not forbidden


def flow(args: argparse.Namespace, tmp: Path, corpus: Corpus, pure: float,
         pure_load: float) -> list[Check]:
    """Time `selfeval run` on an empty inbox and on the corpus; print the comparison."""
    n = corpus.forms
    (tmp / "empty").mkdir()
    startups = [selfeval_run(tmp / "empty", tmp / f"empty-warehouse-{i}")[0]
                for i in range(max(args.startup_runs, 1))]
    startup = statistics.median(startups)
    shutil.copytree(corpus.folder, tmp / "flow" / "inbox")
    wall, printed = selfeval_run(tmp / "flow" / "inbox", tmp / "flow" / "warehouse")
    inside = re.search(r"\(([\d.]+) s\)", printed)
    reported = re.search(r"forms: (\d+)", printed)
    k = (wall - startup) / pure_load
    ratio = wall / (startup + pure_load)
    print("\nselfeval run, subprocess (not pinned, default --workers 2):")
    print(f"  start-up, empty inbox  {startup:7.2f} s   median of {', '.join(f'{s:.2f}' for s in startups)}")
    print(f"  whole corpus           {wall:7.2f} s   {n / wall:,.0f} forms/s"
          + (f"   (the flow's own timer: {inside.group(1)} s)" if inside else ""))
    print(f"  less start-up          {wall - startup:7.2f} s   {n / max(wall - startup, 1e-9):,.0f} forms/s")
    print("\nflow against the pure path measured above:")
    print(f"  run ≈ start-up + k × pure-with-load:   k = ({wall:.2f} − {startup:.2f}) / {pure_load:.2f} = {k:.2f}")
    print(f"  flow run / (start-up + pure-with-load) = {ratio:.2f}×   aim ≤ {AIM_FLOW_RATIO:.0f}×: "
          f"{verdict(ratio <= AIM_FLOW_RATIO)}")
    print(f"  flow run / (start-up + pure, no load)  = {wall / (startup + pure):.2f}×")
    return [("selfeval run printed", int(reported.group(1)) if reported else -1, n),
            *warehouse_checks("selfeval run", tmp / "flow" / "warehouse", corpus)]


if __name__ == "__main__":
    sys.exit(main())
