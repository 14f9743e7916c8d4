"""Benchmark of the page paths, each against the bare library on the same pages, in one run.

    .venv/bin/python bench/bench_pages.py              # about 2 minutes on 2 cores
    .venv/bin/python bench/bench_pages.py --pages 2    # a quicker, rougher look

1. Text-layer PDFs (the golden fixtures): `extractors.inputs.pdf.read_pdf_grid` against bare
   pdfplumber `page.extract_tables()`, seconds a page; and the whole pure path (read → segment →
   rebuild → check) on the same files. Aim: the read within 1.5× of bare pdfplumber.
2. Scanned pages (the same forms scanned by tests/material at 200 dpi): `page_image_to_rows`
   against bare rapidocr with the same engine on the same images, interleaved. Aim: within 1.2×.
3. Parallel pages: `recognise_pages` over the scans with one worker, then two (the pool's start
   counted and not), each on fresh scans so nothing comes from the page cache.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from machine import describe  # noqa: E402

PDFS = [ROOT / "fixtures" / case / f"seed-{case[4:]}.pdf" for case in ("pdf-wqy", "pdf-cid", "pdf-split")]
PACKAGES = ("pdfplumber", "pdfminer.six", "rapidocr", "onnxruntime", "pypdfium2", "opencv-python-headless")
AIM_PDF, AIM_OCR = 1.5, 1.2


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
    """Scan sets of the wqy fixture, one per seed: lists of (cache key, RGB array)."""
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


def bench_ocr(scans: list[tuple[str, object]], pages: int) -> None:
    from extractors.ocr import page_image_to_rows
    from extractors.ocr.pages import shared_engine

    engine = shared_engine()
    images = [image for _, image in scans[:pages]]
    engine(images[0], use_det=True, use_cls=False, use_rec=True)  # warm the sessions
    bare = ours = 0.0
    for image in images:  # interleaved, so both see the same machine
        bare += best_of(1, lambda image=image: engine(image, use_det=True, use_cls=False, use_rec=True))
        ours += best_of(1, lambda image=image: page_image_to_rows(image, page=1, engine=engine))
    print(f"\nscanned pages (200 dpi, rotated ≤ 1°, noise, JPEG): {len(images)} pages, interleaved")
    print(f"  bare rapidocr                      {bare / len(images):7.2f} s/page")
    print(f"  page_image_to_rows                 {ours / len(images):7.2f} s/page   {ours / bare:5.2f}× bare")
    print(f"  aim: within {AIM_OCR}× of bare rapidocr: {'met' if ours / bare <= AIM_OCR else 'NOT met'}")


def bench_parallel(sets: list[list[tuple[str, object]]]) -> None:
    from extractors.ocr import recognise_pages
    from extractors.ocr.pages import close_workers

    def run(scans: list[tuple[str, object]], workers: int) -> float:
        numbers = list(range(1, len(scans) + 1))
        return best_of(1, lambda: recognise_pages(scans, page_numbers=numbers, workers=workers))

    one = run(sets[0], 1)
    cold = run(sets[1], 2)
    warm = run(sets[2], 2)
    close_workers()
    n = len(sets[0])
    print(f"\nparallel pages: {n} new pages a run, {os.cpu_count()} cores")
    print(f"  1 worker (in-process)              {one:6.1f} s   {one / n:5.2f} s/page")
    print(f"  2 workers, pool started in the run {cold:6.1f} s   {one / cold:5.2f}× faster than 1")
    print(f"  2 workers, pool already running    {warm:6.1f} s   {one / warm:5.2f}× faster than 1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timings of the PDF path; the best counts")
    parser.add_argument("--pages", type=int, default=4, help="scanned pages for the OCR comparison (max 8)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    for line in describe(PACKAGES):
        print(line)
    bench_pdf(args.repeat)
    with tempfile.TemporaryDirectory(prefix="selfeval-bench-") as folder:
        os.environ["SELFEVAL_OCR_CACHE"] = str(Path(folder) / "ocr-cache")
        sets = make_scans(Path(folder), range(3))
        bench_ocr(sets[0], args.pages)
        bench_parallel(sets)
    print(f"\nbenchmark took {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
