"""The 项目编码 a project name begins with (四川 prints `51000022T000000123456-名称`) is kept in
`forms.project_code`; the name stays as printed."""

from __future__ import annotations

import pandas as pd
import pytest

from extractors.extract import grid_to_forms
from extractors.inputs import read_grid
from extractors.text import project_code
from tests.conftest import FIXTURES, case_inputs


@pytest.mark.parametrize(("name", "code"), [
    ("51000022T000000123456-全省耕地质量监测与评价经费", "51000022T000000123456"),
    ("510000220000000123456 — 某经费", "510000220000000123456"),
    ("5100002200001：公共图书馆免费开放补助资金", "5100002200001"),
    ("市残联系统OA维护", ""),
    ("G20-峰会保障经费", ""),  # too short for a code
    ("ABCDEFGHIJKL-某项目", ""),  # letters alone are no code
    ("2022年度信息化经费", ""),
    ("51000022T000000123456", ""),  # a code with no name after it is left as the name
])
def test_a_code_before_the_name_is_found_and_nothing_else_is(name: str, code: str) -> None:
    assert project_code(name) == code


@pytest.mark.parametrize("case", ["sichuan-pipes", "sichuan-pdf", "seed", "hubei-xlsx"])
def test_each_form_of_a_golden_case_keeps_its_code_beside_its_printed_name(case: str) -> None:
    for path in case_inputs(FIXTURES / case):
        for form in grid_to_forms(read_grid(path).rows, file=path.name, sha256="0"):
            if case.startswith("sichuan"):
                assert len(form.project_code) == 21 and form.project_name.startswith(form.project_code + "-")
            else:
                assert form.project_code == ""


def test_the_code_is_a_column_of_the_published_forms(tmp_path) -> None:
    from flows.runs import run_inbox
    from flows.settings import Settings
    from flows.workers import in_process

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for path in case_inputs(FIXTURES / "sichuan-pipes"):
        (inbox / path.name).write_bytes(path.read_bytes())
    settings = Settings.build(inbox=inbox, warehouse=tmp_path / "warehouse", settle_seconds=0)
    run_inbox(settings, in_process(settings))
    forms = pd.read_parquet(tmp_path / "warehouse" / "forms")
    assert forms["project_code"].dtype == "str"
    assert [n.split("-", 1)[0] for n in forms["project_name"]] == list(forms["project_code"])
