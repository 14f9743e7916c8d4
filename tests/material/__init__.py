"""Test material for the PDF and OCR input kinds, rendered from gold forms.

`forms_to_pdf` draws gold-format form dicts as ruled-table PDFs like the national
财政项目支出绩效自评表; `pdf_to_scans` turns a PDF into scanned-looking PNGs and an image-only
PDF, plain or as one of `SCAN_VARIANTS` (`scan_variant` also prints landscape); `write_material`
writes the whole set (see README.md). Run `python -m tests.material OUT_DIR`.
"""

from tests.material.build import VARIANTS, load_gold_forms, scan_variant, write_material
from tests.material.render import forms_to_pdf, split_inside_group
from tests.material.scan import SCAN_VARIANTS, ScanSet, ScanSettings, pdf_to_scans

__all__ = ["SCAN_VARIANTS", "VARIANTS", "ScanSet", "ScanSettings", "forms_to_pdf", "load_gold_forms", "pdf_to_scans",
           "scan_variant", "split_inside_group", "write_material"]
