"""Property test: the seed dump damaged the way real dumps are still rebuilds to its gold.

Hypothesis slides indicator, funds and goal rows a column left or right, drops page-number lines and
blank lines between rows, and switches line ends; every gold field must survive.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.family import load_family
from extractors.inputs.text import text_to_rows
from extractors.rebuild import segment_to_form
from extractors.segment import rows_to_segments
from tests.conftest import FIXTURES, load_gold
from tests.test_golden import FORM_FIELDS, ROW_FIELDS, mismatch

SEED = next((FIXTURES / "seed").glob("*.txt")).read_text(encoding="utf-8").splitlines()
GOLD = load_gold(FIXTURES / "seed")
NUMBERED = ("产出指标", "效益指标", "满意度指标", "成本指标")  # rows of the indicator table
FUNDS = ("年度资金总额", "其中：当年财政拨款", "上年结转资金", "其他资金")


def slidable(line: str) -> bool:
    cells = [c for c in line.split("\t") if c]
    if len(cells) in (1, 2) and len(cells[-1]) > 8 and "\t" * 3 in line:  # goal content, titles, names
        return True
    if cells and cells[0] in FUNDS:
        return True
    return len(cells) >= 5 and (any(c in NUMBERED for c in cells[:2]) or cells[-1][:1].isdigit()
                                or cells[-2][:1].isdigit())


def slide(line: str, by: int) -> str:
    """Move a row's cells `by` columns: right by adding leading blanks, left by dropping them."""
    if by > 0:
        return "\t" * by + line
    lead = len(line) - len(line.lstrip("\t"))
    return line[min(lead, -by):]


@st.composite
def damaged_dumps(draw: st.DrawFn) -> str:
    out = []
    for line in SEED:
        if slidable(line):
            line = slide(line, draw(st.sampled_from([0, 0, 1, -1])))
        out.append(line)
        extra = draw(st.sampled_from(["", "", "", "\n", "- 3 -", "第 2 页"]))
        if extra and line.strip() and not line.startswith("财政项目"):
            out.append(extra)
    return draw(st.sampled_from(["\n", "\r\n"])).join(out)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_dumps())
def test_a_damaged_seed_still_rebuilds_to_its_gold(dump: str) -> None:
    family = load_family()
    forms = [segment_to_form(s, family, form_id="f", source_file="s", source_sha256="0")
             for s in rows_to_segments(text_to_rows(dump), family)]
    assert len(forms) == len(GOLD["forms"])
    misses = []
    for gold, form in zip(GOLD["forms"], forms, strict=True):
        values = {f: getattr(form, f, None) for f in FORM_FIELDS} | form.amounts
        misses += [f"{gold['project_name']} {f}" for f in FORM_FIELDS if f in gold and mismatch(gold[f], values.get(f))]
        assert len(form.indicators) == len(gold["indicators"]), gold["project_name"]
        for g, i in zip(gold["indicators"], form.indicators, strict=True):
            misses += [f"{gold['project_name']} #{g['seq']} {f}" for f in ROW_FIELDS if mismatch(g[f], getattr(i, f))]
    assert not misses, misses
