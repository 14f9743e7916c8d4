"""Benchmark of the page paths, each against the bare library on the same pages, in one run.

    .venv/bin/python bench/bench_pages.py              # about 3 minutes on 2 quiet cores
    .venv/bin/python bench/bench_pages.py --pages 2 --no-parallel   # a quicker, rougher look

1. Text-layer PDFs (the golden fixtures): `extractors.inputs.pdf.read_pdf_grid` against bare
   pdfplumber `page.extract_tables()`, seconds a page; and the whole pure path (read → segment →
   rebuild → check) on the same files. Aim: the read within 1.5× of bare pdfplumber.
2. Scanned pages (the same forms scanned by tests/material, straight at 200 dpi):
   `page_image_to_rows` (cells read from the grid) against bare rapidocr (full-page detection +
   recognition, default settings) on the same images, interleaved, best of N each, with the
   share of each page's characters (from the fixture's text layer) each finds. Aim: ≤ 0.6× bare
   with no fewer characters found.
3. Parallel pages: `recognise_pages` over fresh scans (nothing from the page cache) with one
   worker of one thread, one worker on every core, and two workers of one thread each (the
   pool's start counted, then not); each worker's peak resident memory. Aims: two workers ≥
   1.7× one, ≤ 1 GiB a worker.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from machine import describe  # noqa: E402

PDFS = [ROOT / "fixtures" / case / f"seed-{case[4:]}.pdf" for case in ("pdf-wqy", "pdf-cid", "pdf-split")]
PACKAGES = ("pdfplumber", "pdfminer.six", "rapidocr", "onnxruntime", "pypdfium2", "opencv-python-headless")
AIM_PDF, AIM_OCR, AIM_SCALE = 1.5, 0.6, 1.7


def best_of(repeat: int, work: Callable[[], object]) -> float:
    """The fastest of `repeat` wall-clock timings of `work`."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_pdf(repeat: int) -> None:
    import pdfplumber

    from extractors.family import load_family
    from extractors.inputs.pdf import read_pdf_grid
    from flows.pipeline import grid_to_forms
    from schemas.checks import form_to_flags

    def bare() -> None:
        for path in PDFS:
            with pdfplumber.open(path) as pdf:
                for page in pdf.pages:
                    page.extract_tables()

    def ours() -> None:
        for path in PDFS:
            read_pdf_grid(path)

    def whole() -> None:
        family = load_family()
        for path in PDFS:
            forms = grid_to_forms(read_pdf_grid(path).rows, family, file=path.name, sha256="0" * 64, max_shift=3)
            [form_to_flags(f) for f in forms]

    with pdfplumber.open(PDFS[0]) as pdf:
        pdf.pages[0].extract_tables()  # warm imports and font caches before timing
    pages = sum(len(pdfplumber.open(p).pages) for p in PDFS)
    timings = {"bare pdfplumber extract_tables": best_of(repeat, bare), "read_pdf_grid": best_of(repeat, ours),
               "read → segment → rebuild → check": best_of(repeat, whole)}
    base = timings["bare pdfplumber extract_tables"]
    print(f"\ntext-layer PDFs: {len(PDFS)} files, {pages} pages, best of {repeat}")
    for name, seconds in timings.items():
        print(f"  {name:34s} {seconds / pages * 1000:7.1f} ms/page   {seconds / base:5.2f}× bare")
    verdict = "met" if timings["read_pdf_grid"] / base <= AIM_PDF else "NOT met"
    print(f"  aim: read within {AIM_PDF}× of bare pdfplumber: {verdict}")


def make_scans(folder: Path, seeds: range) -> list[list[tuple[str, object]]]:
    """Scan sets of the wqy fixture, straight at 200 dpi, one per seed: lists of (cache key, RGB array)."""
    import hashlib

    import numpy as np
    from PIL import Image

    from tests.material.scan import pdf_to_scans

    sets = []
    for seed in seeds:
        scans = pdf_to_scans(PDFS[0], folder / f"s{seed}", seed=seed)
        images = [np.asarray(Image.open(p).convert("RGB")) for p in scans.pages]
        sets.append([(hashlib.sha256(i.tobytes()).hexdigest(), i) for i in images])
    return sets


def true_chars(pages: int) -> list[Counter[str]]:
    """The characters of each page of the wqy fixture, from its text layer: what a reader must find."""
    import pdfplumber

    with pdfplumber.open(PDFS[0]) as pdf:
        return [Counter(c["text"] for c in page.chars if c["text"].strip()) for page in pdf.pages[:pages]]


def char_recall(texts: list[str], truth: Counter[str]) -> float:
    """Share of the page's characters read (as a multiset, whitespace and width folded)."""
    import unicodedata

    read = Counter(ch for t in texts for ch in unicodedata.normalize("NFKC", t) if not ch.isspace())
    folded = Counter()
    for ch, n in truth.items():
        folded[unicodedata.normalize("NFKC", ch)] += n
    return sum((read & folded).values()) / max(sum(folded.values()), 1)


def bare_engine() -> object:
    """rapidocr with its default settings, given only the bundled model files (nothing downloads)."""
    import logging

    from rapidocr import RapidOCR

    from extractors.ocr.engine import bundled_models

    params = {f"{section}.model_path": str(path) for section, path in bundled_models().items()}
    engine = RapidOCR(params=params | {"Global.log_level": "error"})
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    return engine


def bench_ocr(scans: list[tuple[str, object]], pages: int, repeat: int) -> None:
    from extractors.ocr import page_image_to_rows
    from extractors.ocr.pages import shared_engine

    ours_engine, bare = shared_engine(), bare_engine()
    images = [image for _, image in scans[:pages]]
    truth = true_chars(len(images))
    for engine in (bare, ours_engine):  # warm the sessions
        engine(images[0], use_det=True, use_cls=False, use_rec=True)  # type: ignore[operator]
    times: dict[str, float] = {"bare": 0.0, "ours": 0.0}
    cpu: dict[str, float] = {"bare": 0.0, "ours": 0.0}
    recall: dict[str, float] = {"bare": 0.0, "ours": 0.0}
    for image, chars in zip(images, truth, strict=True):  # interleaved, so both see the same machine
        def run_bare(image=image) -> list[str]:
            return list(bare(image, use_det=True, use_cls=False, use_rec=True).txts or [])  # type: ignore[operator]

        def run_ours(image=image) -> list[str]:
            return [c for row in page_image_to_rows(image, page=1, engine=ours_engine) for c in row.cells]

        for name, work in (("bare", run_bare), ("ours", run_ours)):
            seconds, cpu_seconds, texts = timed(repeat, work)
            times[name] += seconds
            cpu[name] += cpu_seconds
            recall[name] += char_recall(texts, chars) / len(images)
    ratio = times["ours"] / times["bare"]
    print(f"\nscanned pages (straight, 200 dpi, turned ≤ 1°, noise, JPEG 70): {len(images)} pages, interleaved,"
          f" best of {repeat} each; both engines in-process on all cores")
    print(f"  bare rapidocr (det + rec, defaults)  {times['bare'] / len(images):6.2f} s/page   "
          f"cpu {cpu['bare'] / len(images):5.2f} s/page   characters found {recall['bare']:.2%}")
    print(f"  page_image_to_rows (cells)           {times['ours'] / len(images):6.2f} s/page   "
          f"cpu {cpu['ours'] / len(images):5.2f} s/page   characters found {recall['ours']:.2%}   {ratio:.2f}× bare")
    print(f"  aim: at most {AIM_OCR}× bare rapidocr, no fewer characters found: "
          f"{'met' if ratio <= AIM_OCR and recall['ours'] >= recall['bare'] else 'NOT met'}")


def timed(repeat: int, work: Callable[[], list[str]]) -> tuple[float, float, list[str]]:
    """The best wall time of `repeat` runs, the CPU time of that run, and what it returned."""
    best = (float("inf"), 0.0, [])
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        out = work()
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
        if seconds < best[0]:
            best = (seconds, cpu_seconds, out)
    return best


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat (Linux)."""
    fields = [float(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / ticks, sum(fields) / ticks


@dataclass
class Run:
    """One timed run of the page pool: wall time, our CPU time, and what the whole machine did meanwhile."""

    wall: float
    ours: float
    machine: float

    def line(self, pages: int) -> str:
        others = max(self.machine - self.ours, 0.0) / self.wall
        return (f"{self.wall:6.1f} s  {self.wall / pages:5.2f} s/page   cpu {self.ours / pages:5.2f} s/page, "
                f"{self.ours / self.wall:4.2f} cores ours, {others:4.2f} others'")


def bench_parallel(sets: list[list[tuple[str, object]]]) -> None:
    from extractors.ocr import configure, recognise_pages
    from extractors.ocr.pages import close_workers, worker_usage

    def run(scans: list[tuple[str, object]]) -> Run:
        numbers = list(range(1, len(scans) + 1))
        before = sum(u.cpu_seconds for u in worker_usage())
        busy, cpu, start = machine_busy()[0], time.process_time(), time.perf_counter()
        recognise_pages(scans, page_numbers=numbers)
        wall = time.perf_counter() - start
        ours = time.process_time() - cpu + sum(u.cpu_seconds for u in worker_usage()) - before
        return Run(wall, ours, machine_busy()[0] - busy)

    configure(workers=1, threads=1)
    one = run(sets[0])
    configure(workers=1)
    one_all = run(sets[1])
    configure(workers=2, threads=1)
    cold = run(sets[2])
    warm = run(sets[3])
    usage = worker_usage()
    close_workers()
    n = len(sets[0])
    print(f"\nparallel pages: {n} new pages a run (straight 200 dpi), {os.cpu_count()} cores; "
          "cores ours/others' = CPU seconds a wall second, ours and the rest of the machine's")
    print(f"  1 worker, 1 thread (in-process)      {one.line(n)}")
    print(f"  1 worker, all cores' threads         {one_all.line(n)}   {one.wall / one_all.wall:4.2f}× 1 thread")
    print(f"  2 workers × 1 thread, pool started   {cold.line(n)}   {one.wall / cold.wall:4.2f}× 1 thread")
    print(f"  2 workers × 1 thread, pool running   {warm.line(n)}   {one.wall / warm.wall:4.2f}× 1 thread"
          f"   aim ≥ {AIM_SCALE}×: {'met' if one.wall / warm.wall >= AIM_SCALE else 'NOT met'}")
    print(f"  CPU a page, 2 workers against 1: {warm.ours / one.ours:4.2f}× (1.00: the pool costs nothing per page;"
          " a wall-clock gain below 2× then means the cores were not free)")
    for u in usage:
        print(f"  worker {u.pid}: peak RSS {u.peak_rss / 2**20:6.0f} MiB, cpu {u.cpu_seconds:5.1f} s"
              f"   aim ≤ 1024 MiB: {'met' if u.peak_rss <= 2**30 else 'NOT met'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timings of the PDF path; the best counts")
    parser.add_argument("--pages", type=int, default=8, help="scanned pages for the OCR comparison (max 8)")
    parser.add_argument("--ocr-repeat", type=int, default=2, help="timings of each scanned page; the best counts")
    parser.add_argument("--no-pdf", action="store_true", help="skip the text-layer PDFs")
    parser.add_argument("--no-parallel", action="store_true", help="skip the 1-vs-2-worker comparison")
    parser.add_argument("--no-compare", action="store_true", help="skip the comparison with bare rapidocr")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    for line in describe(PACKAGES):
        print(line)
    if not args.no_pdf:
        bench_pdf(args.repeat)
    with tempfile.TemporaryDirectory(prefix="selfeval-bench-") as folder:
        os.environ["SELFEVAL_OCR_CACHE"] = str(Path(folder) / "ocr-cache")
        sets = make_scans(Path(folder), range(4))
        if not args.no_compare:
            bench_ocr(sets[0], args.pages, args.ocr_repeat)
        if not args.no_parallel:
            bench_parallel(sets)
    print(f"\nbenchmark took {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
