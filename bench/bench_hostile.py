"""Each hostile input through a whole `selfeval run`, alone beside two good files: the reason it
got, the run's time and its process tree's peak resident memory, against the same run over the
two good files alone.

    .venv/bin/python bench/bench_hostile.py            # about 8 minutes on 2 cores
    .venv/bin/python bench/bench_hostile.py --only PDF # the inputs whose description holds PDF

The inputs are `tests.material.hostile` (`INBOX`, then `RUN_LIMITS` with the readers' limits
raised so that the run's own stop them), each run `--repeat` times (its fastest time and its
largest peak are shown). One Prefect server is started first and shared by every
run, as `selfeval server` would be, so a run's figures are its own and not the server's start;
the server's memory is printed apart. Peak memory is the largest sum of the RSS of the run and
every process under it, sampled every 50 ms (`tests.memory.TreePeak`). Exits 1 when an input
does not get the outcome and reason it should, or a run passes 2 GiB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine import describe  # noqa: E402

from storage.names import shown  # noqa: E402
from tests.material.hostile import INBOX, RUN_LIMITS, Hostile, write_inbox  # noqa: E402
from tests.memory import MiB, TreePeak, tree_resident  # noqa: E402

SELFEVAL = Path(sys.executable).with_name("selfeval")
PACKAGES = ("prefect", "pdfplumber", "pypdfium2", "rapidocr", "psutil")
PEAK_LIMIT = 2 << 30
REASON_SHOWN = 100  # characters of a reason the table shows


def run_once(work: Path, hostile: Hostile | None, env: dict[str, str], workers: int = 2) -> tuple[float, float, dict, str]:
    """(seconds, peak MiB, the ledger's {name: (status, reason)}, the input's expected outcomes)."""
    import pandas as pd

    expected = write_inbox(work / "inbox", work / "outside", [hostile] if hostile else [])
    args = ["run", "--inbox", str(work / "inbox"), "--warehouse", str(work / "warehouse"), "--settle", "0",
            "--workers", str(workers)]
    started = time.perf_counter()
    process = subprocess.Popen([str(SELFEVAL), *args], env={**env, **(hostile.env if hostile else {})},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with TreePeak(process.pid) as peak:
        out, _ = process.communicate(timeout=900)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"selfeval run exited {process.returncode}:\n{out}")
    files = pd.read_parquet(work / "warehouse" / "files")
    ledger = {row.file_name: (row.status, row.reason) for row in files.itertuples()}
    left = [line for line in out.splitlines() if line.startswith("left: ")]
    return seconds, peak.mib, {"ledger": ledger, "expected": expected, "left": left}, out


def cut(reason: str, length: int = REASON_SHOWN) -> str:
    return reason if len(reason) <= length else reason[: length - 1] + "…"


def outcome_of(result: dict) -> tuple[str, bool]:
    """The input's outcome as the table shows it, and whether it is the one it should be."""
    ledger, expected = result["ledger"], result["expected"]
    mine = {name: value for name, value in expected.items() if not name.startswith("good-")}
    good = all(ledger.get(n) == ("loaded", "") for n in expected if n.startswith("good-"))
    shown_rows = [f"`{shown(name)[:40]}` {ledger[name][0]}" + (f": {cut(ledger[name][1])}" if ledger[name][1] else "")
                  for name in mine if name in ledger] + result["left"]
    ok = good and all(ledger.get(n, ("", ""))[0] == s and ledger[n][1].startswith(r) for n, (s, r) in mine.items())
    return "; ".join(shown_rows).replace("|", "\\|").replace("\n", " "), ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="only the inputs whose description holds this text")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each input: its fastest time, its largest peak")
    parser.add_argument("--baseline-runs", type=int, default=2,
                        help="runs of the two good files alone, before and again after the inputs")
    options = parser.parse_args()
    print("\n".join(describe(PACKAGES)))
    from flows.server import TemporaryServer

    with tempfile.TemporaryDirectory(prefix="selfeval-bench-hostile-") as folder:
        root = Path(folder)
        env = {**os.environ, "PREFECT_HOME": str(root / "prefect"), "SELFEVAL_OCR_CACHE": str(root / "ocr")}
        os.environ["PREFECT_HOME"] = env["PREFECT_HOME"]
        server = TemporaryServer()
        env["PREFECT_API_URL"] = server.wait()
        try:
            return bench(root, env, options, server.process.pid)
        finally:
            server.stop()


def baseline(root: Path, env: dict[str, str], workers: int, runs: int, tag: str) -> list[tuple[float, float]]:
    """The two good files alone, `runs` times, read by `workers` worker processes."""
    return [run_once(root / f"baseline-{workers}-{tag}-{n}", None, env, workers)[:2] for n in range(runs)]


def bench(root: Path, env: dict[str, str], options: argparse.Namespace, server_pid: int) -> int:
    chosen = [h for h in INBOX + RUN_LIMITS if options.only.lower() in h.row.lower()]
    runs = {workers: baseline(root, env, workers, options.baseline_runs, "before") for workers in (2, 1)}
    rows, failures = [], 0
    for number, hostile in enumerate(chosen):
        tries = [run_once(root / f"input-{number}-{n}", hostile, env, 1 if hostile.env else 2)
                 for n in range(options.repeat)]
        seconds, mib = min(t[0] for t in tries), max(t[1] for t in tries)  # the fastest run, the largest peak
        outcome, ok = outcome_of(tries[0][2])
        ok = ok and all(outcome_of(t[2])[1] for t in tries) and mib * MiB < PEAK_LIMIT
        failures += not ok
        rows.append((hostile, outcome + ("" if ok else " **WRONG**"), seconds, mib))
    for workers in (2, 1):  # the machine may have changed meanwhile: the baseline is taken on both sides
        runs[workers] += baseline(root, env, workers, options.baseline_runs, "after")
    base = {w: (statistics.median(s for s, _ in r), statistics.median(m for _, m in r)) for w, r in runs.items()}
    print(f"Prefect server (shared, not counted below): {tree_resident(server_pid) / MiB:.0f} MiB resident")
    for workers, (seconds, mib) in base.items():
        print(f"baseline, the two good files alone with {workers} worker(s) (median of {len(runs[workers])}, "
              f"before and after): {seconds:.1f} s, {mib:.0f} MiB")
    print("\n| input | outcome: reason | s | s over baseline | peak MiB | × baseline |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for hostile, outcome, seconds, mib in rows:
        base_s, base_mib = base[1 if hostile.env else 2]
        limits = " (" + ", ".join(f"{k}={v}" for k, v in hostile.env.items()) + "; 1 worker)" if hostile.env else ""
        print(f"| {hostile.row}{limits} | {outcome} | {seconds:.1f} | {seconds - base_s:+.1f} | {mib:.0f} | "
              f"{mib / base_mib:.2f} |")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
