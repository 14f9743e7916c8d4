"""A copy that dropped its blank cells (spaced, one cell a line, flattened) and keeps one goal text
cannot say which column the text stood in. The form says so in its missing_field flag, and only
such a form: the golden cases list these forms as `shape_losses`, every other case is read in
its columns."""

from __future__ import annotations

import pytest

from extractors.extract import grid_to_forms
from extractors.inputs import read_grid
from schemas.checks import form_to_flags
from tests.conftest import case_inputs, golden_cases, load_gold

LOST = "看不出它原在哪一栏"
TEXT_CASES = [c for c in golden_cases() if all(p.suffix in (".txt", ".md", ".html", ".htm", ".docx", ".xlsx")
                                                 for p in case_inputs(c))]


@pytest.mark.parametrize("case", TEXT_CASES, ids=lambda c: c.name)
def test_only_a_form_whose_goal_column_is_lost_says_so(case) -> None:
    lost = set(load_gold(case).get("shape_losses", {}))
    for path in case_inputs(case):
        for form in grid_to_forms(read_grid(path).rows, file=path.name, sha256="0"):
            said = [f for f in form_to_flags(form) if f.check == "missing_field" and LOST in f.message]
            if form.project_name in lost:
                assert form.goal_side_unknown and [f.field for f in said] == ["goal_achieved"], form.project_name
                assert "may be the achieved goal" in said[0].message_en
            else:
                assert not form.goal_side_unknown and not said, form.project_name
