"""The whole set of PDF and scanned test material, written from the seed gold forms."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4, landscape

from tests.material.bad import empty_pdf, encrypted_pdf, prose_pdf, prose_png, truncated_pdf
from tests.material.render import forms_to_pdf, split_inside_group
from tests.material.scan import SCAN_VARIANTS, ScanSet, ScanSettings, pdf_to_scans

SEED_GOLD = Path(__file__).resolve().parents[2] / "fixtures" / "seed" / "gold.json"
PASSWORD = "secret"


def load_gold_forms(path: Path = SEED_GOLD) -> list[dict[str, Any]]:
    """The hand-checked forms of a gold.json."""
    return json.loads(path.read_text(encoding="utf-8"))["forms"]


def in_wanyuan(forms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same forms printed in 万元; amounts stay in 元, as the warehouse keeps them."""
    return [{**form, "amount_unit": "万元"} for form in forms]


def split_points(forms: list[dict[str, Any]]) -> dict[int, int | None]:
    """For each form, where its indicator block breaks inside a 一级指标 group."""
    return {i: split_inside_group(form["indicators"]) for i, form in enumerate(forms)}


LANDSCAPE = "landscape"  # the scan variant printed on a landscape A4 page, scanned plainly
VARIANTS = (*SCAN_VARIANTS, LANDSCAPE)


def scan_variant(variant: str, forms: list[dict[str, Any]], out_dir: str | Path, *, seed: int = 0) -> ScanSet:
    """The forms printed (landscape for `LANDSCAPE`) and scanned as the variant says, into out_dir:
    `<variant>.pdf` (image-only) and `<variant>-p1.png`, …"""
    if variant not in VARIANTS:
        raise ValueError(f"unknown scan variant {variant!r}; known: {', '.join(VARIANTS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    page_size = landscape(A4) if variant == LANDSCAPE else A4
    printed = forms_to_pdf(forms, out / f"{variant}-printed.pdf", page_size=page_size)
    settings = SCAN_VARIANTS.get(variant, ScanSettings())
    return pdf_to_scans(printed, out, name=variant, seed=seed, settings=settings)


def write_material(out_dir: str | Path, *, gold: Path = SEED_GOLD, scan_seed: int = 0,
                   variants: bool = False) -> dict[str, Path]:
    """Write every test file into out_dir, and with `variants` every scan variant of the forms
    into out_dir/variants; returns {file name: path}."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    forms = load_gold_forms(gold)
    written = [
        forms_to_pdf(forms, out / "seed-wqy.pdf", font="wqy"),
        forms_to_pdf(forms, out / "seed-cid.pdf", font="cid"),
        forms_to_pdf(forms, out / "seed-split.pdf", split_indicators_at=split_points(forms)),
        forms_to_pdf(in_wanyuan(forms), out / "seed-wanyuan.pdf"),
    ]
    scans = pdf_to_scans(out / "seed-wqy.pdf", out, name="seed-scan", seed=scan_seed)
    written += [scans.pdf, *scans.pages]
    for variant in VARIANTS if variants else ():
        written.append(scan_variant(variant, forms, out / "variants", seed=scan_seed).pdf)
    written += [
        truncated_pdf(out / "seed-wqy.pdf", out / "broken.pdf"),
        encrypted_pdf(forms[:1], out / "encrypted.pdf", password=PASSWORD),
        empty_pdf(out / "empty.pdf"),
        prose_pdf(out / "noform.pdf"),
        prose_png(out / "notable.png"),
    ]
    return {path.name: path for path in written}


def describe(files: Mapping[str, Path]) -> str:
    """One line per written file with its size."""
    return "\n".join(f"{name:<24} {path.stat().st_size:>10,} bytes" for name, path in sorted(files.items()))
