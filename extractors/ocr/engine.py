"""The rapidocr engine, built from the model files inside the rapidocr wheel, and its raw output.

Every model path is given explicitly, so rapidocr never looks for (or downloads) a model: a
missing model file is an error, not a download. Pages are turned upright before they reach the
recogniser (`extractors.ocr.orient`), so rapidocr's own text-direction classifier is off in its
pipeline; the same model is asked directly, on a few lines, whether a page is upside down.

Three entry points beside rapidocr's own page call: `crops_to_texts` recognises many one-line
crops in batches sorted by width, `image_to_boxes` runs detection alone, and `upside_down_share`
asks the direction classifier about a handful of lines.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from extractors.exceptions import SettingsError

DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"
CLS_MODEL = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"
MIN_TEXT_SCORE = 0.5  # rapidocr drops text lines recognised with less confidence than this
# rapidocr pads every crop to at least 320 px wide (at 48 px high) before recognition; a cell's
# line is mostly a short number, so most of that width would be padding. The model takes any
# width, so the floor is lowered to 64 px: the same reads for about half the work.
REC_SHAPE = [3, 48, 64]
DET_MAX_SIDE = 2000   # rapidocr's own bound: a page's longer side is scaled down to this for detection

Box = tuple[float, float, float, float]
# rapidocr keeps the flags of its last call on the engine, so two threads must not call at once.
_CALLING = threading.Lock()


@dataclass(frozen=True, slots=True)
class TextLine:
    """One recognised line of text: its words, how sure the recogniser is, its upright box."""

    text: str
    score: float
    box: Box  # x0, y0, x1, y1 in page pixels

    @property
    def centre(self) -> tuple[float, float]:
        return (self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2


def bundled_models() -> dict[str, Path]:
    """The model files shipped inside the rapidocr wheel, by rapidocr's section name."""
    import rapidocr

    root = Path(rapidocr.__file__).parent / "models"
    models = {"Det": root / DET_MODEL, "Rec": root / REC_MODEL, "Cls": root / CLS_MODEL}
    missing = [p.name for p in models.values() if not p.is_file()]
    if missing:
        raise SettingsError(f"rapidocr's bundled models are missing ({', '.join(missing)}): "
                            "reinstall it with `pip install --force-reinstall rapidocr==3.10.0`", field="ocr")
    return models


def engine_params(*, threads: int = 0, min_score: float = MIN_TEXT_SCORE) -> dict[str, Any]:
    """rapidocr settings: bundled models, no classifier, `threads` per inference (0: all cores)."""
    params: dict[str, Any] = {f"{section}.model_path": str(path) for section, path in bundled_models().items()}
    params.update({"Global.use_cls": False, "Global.log_level": "error", "Global.text_score": min_score,
                   # A page is detected as rapidocr does by default (longer side at most 2000 px); a
                   # strip of it is never scaled up to 736 px high, which would cost more than the page.
                   "Det.limit_type": "max", "Det.limit_side_len": DET_MAX_SIDE, "Rec.rec_img_shape": REC_SHAPE,
                   "EngineConfig.onnxruntime.intra_op_num_threads": threads or -1,
                   "EngineConfig.onnxruntime.inter_op_num_threads": 1 if threads else -1})
    return params


def make_engine(*, threads: int = 0) -> Any:
    """A rapidocr engine that reads only local model files."""
    if threads:
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    from rapidocr import RapidOCR

    engine = RapidOCR(params=engine_params(threads=threads))
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    return engine


def _upright(quad: np.ndarray) -> Box:
    xs, ys = quad[:, 0], quad[:, 1]
    return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())


def image_to_text_lines(image: np.ndarray, engine: Any) -> list[TextLine]:
    """Every line of text rapidocr finds in the image, in its own order."""
    with _CALLING:
        result = engine(image, use_det=True, use_cls=False, use_rec=True)
    if result.boxes is None or result.txts is None or result.scores is None:
        return []
    return [TextLine(text, float(score), _upright(np.asarray(quad)))
            for quad, text, score in zip(result.boxes, result.txts, result.scores, strict=True)
            if text.strip()]


def crop_to_text(crop: np.ndarray, engine: Any) -> tuple[str, float]:
    """The text of an image holding one line of it, and how sure the recogniser is."""
    if crop.size == 0:
        return "", 0.0
    with _CALLING:
        result = engine(crop, use_det=False, use_cls=False, use_rec=True)
    if not result.txts:
        return "", 0.0
    return str(result.txts[0]).strip(), float(result.scores[0])


def crops_to_texts(crops: list[np.ndarray], engine: Any) -> list[tuple[str, float]]:
    """The text of each one-line crop (RGB) and how sure the recogniser is, in the crops' order.

    rapidocr sorts the crops by width and pads each batch (of `Rec.rec_batch_num`, 6) to its
    widest, so one call over all of a page's crops wastes little on padding.
    """
    if not crops:
        return []
    from rapidocr.ch_ppocr_rec import TextRecInput

    with _CALLING:
        output = engine._load_rec_model()(TextRecInput(img=crops))
    return [(str(text).strip(), float(score)) for text, score in zip(output.txts, output.scores, strict=True)]


def image_to_boxes(image: np.ndarray, engine: Any) -> list[np.ndarray]:
    """The four corners of every text line the detector finds in the image (RGB)."""
    with _CALLING:
        result = engine(image, use_det=True, use_cls=False, use_rec=False)
    boxes = getattr(result, "boxes", None)
    return [] if boxes is None else [np.asarray(b, dtype=np.float32) for b in boxes]


def upside_down_share(crops: list[np.ndarray], engine: Any) -> float:
    """Of these one-line crops (RGB), the share the direction classifier takes to be turned 180°."""
    if not crops:
        return 0.0
    with _CALLING:
        output = engine._load_cls_model()(crops)
    return sum(label == "180" for label, _ in output.cls_res) / len(crops)
