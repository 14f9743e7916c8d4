"""The golden fixtures of the file kinds, written from the seed's gold forms.

`write_kind_fixtures(root)` writes one case folder per kind under `root` (the repository's
`fixtures/`), each with the seed's `gold.json`: the same 7 forms as a web page (UTF-8 with a
meta charset inside a site frame; GBK with none), a workbook with one form per sheet and one
with three per sheet, a Word document, and PDFs without rules and with horizontal rules only.
The .xls case is converted from the one-per-sheet workbook by LibreOffice (`xlsx_to_xls`) once
and committed; nothing else needs LibreOffice.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.material.build import SEED_GOLD, load_gold_forms
from tests.material.office import SheetStyle, forms_to_docx, forms_to_xlsx
from tests.material.render import forms_to_pdf
from tests.material.web import PageStyle, forms_to_html


def xlsx_to_xls(source: Path, target: Path) -> Path:
    """Convert a workbook to the old binary format with LibreOffice (`soffice`) headless."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(["soffice", "--headless", "--convert-to", "xls", "--outdir", out, str(source)],
                       check=True, capture_output=True, timeout=180)
        shutil.move(Path(out) / f"{source.stem}.xls", target)
    return target


def write_kind_fixtures(root: Path, *, gold: Path = SEED_GOLD, with_xls: bool = False) -> list[Path]:
    """Write every file-kind case under root; returns the input files written."""
    forms = load_gold_forms(gold)
    cases = {
        "html-utf8": lambda p: forms_to_html(forms, p / "seed.html"),
        "html-gbk": lambda p: forms_to_html(forms, p / "seed-gbk.htm", style=PageStyle(
            encoding="gbk", declare=False, paragraphs=False, br_labels=True, frame=False)),
        "xlsx-sheets": lambda p: forms_to_xlsx(forms, p / "seed-sheets.xlsx"),
        "xlsx-stacked": lambda p: forms_to_xlsx(forms, p / "seed-stacked.xlsx", per_sheet=3,
                                                style=SheetStyle(rate_as_text=True, first_col=2, first_row=2)),
        "docx": lambda p: forms_to_docx(forms, p / "seed.docx"),
        "pdf-unruled": lambda p: forms_to_pdf(forms, p / "seed-unruled.pdf", rules="none"),
        "pdf-hrules": lambda p: forms_to_pdf(forms, p / "seed-hrules.pdf", rules="horizontal"),
    }
    written = []
    for name, write in cases.items():
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        written.append(write(folder))
        shutil.copy(gold, folder / "gold.json")
    if with_xls:
        folder = root / "xls"
        folder.mkdir(parents=True, exist_ok=True)
        written.append(xlsx_to_xls(root / "xlsx-sheets" / "seed-sheets.xlsx", folder / "seed-sheets.xls"))
        shutil.copy(gold, folder / "gold.json")
    return written
