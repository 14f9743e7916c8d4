"""The same form across files: a re-issued file supersedes by its key (year, 主管部门, 实施单位,
项目名称), a corrected name is matched too, an older copy dropped later does not displace the newer
one, and a form of another 实施单位 is another form."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pandas as pd

from flows.runs import RunSummary, run_inbox
from flows.settings import Settings
from flows.workers import in_process
from review import decisions
from review.identity import form_key
from storage.store import Store
from tests.runs import FORMS_PER_SEED, SEED

OA = "市残联系统OA维护"


def load(work: Path, name: str, data: bytes, age: float) -> RunSummary:
    path = work / "inbox" / name
    path.write_bytes(data)
    os.utime(path, (time.time() - age, time.time() - age))
    settings = Settings.build(inbox=work / "inbox", warehouse=work / "warehouse", settle_seconds=0)
    return run_inbox(settings, in_process(settings))


def forms(work: Path) -> pd.DataFrame:
    return pd.read_parquet(work / "warehouse" / "forms")


def stored(work: Path) -> list[tuple]:
    with sqlite3.connect(work / "warehouse" / "selfeval.sqlite") as db:
        return db.execute("select source_file, project_name, implementing_unit, current from forms "
                          "order by source_file, form_id").fetchall()


def test_the_key_folds_width_and_traditional_characters_and_needs_all_four_parts():
    assert form_key(2022, "上海市 残疾人联合会", "信息中心", "综合信息管理系统（运维）") == \
        form_key(2022, "上海市残疾人聯合會", "信息中心", "综合信息管理系统(运维)")
    assert form_key(None, "部门", "单位", "项目") == "" and form_key(2022, "部门", "", "项目") == ""


def test_a_corrected_project_name_is_matched_by_the_reissued_file(workdir):
    misread = SEED.replace(OA.encode(), "市残联系统0A维护".encode())
    load(workdir, "first.txt", misread, age=600)
    form_id = forms(workdir).set_index("project_name").loc["市残联系统0A维护", "form_id"]
    decisions.correct(Store.open(workdir / "warehouse"), form_id, "project_name", OA, reviewer="r")
    load(workdir, "reissued.txt", SEED, age=60)
    published = forms(workdir)
    assert len(published) == FORMS_PER_SEED and set(published["source_file"]) == {"reissued.txt"}
    assert published.set_index("project_name").loc[OA, "form_key"].endswith("|市残联系统0A维护")  # its first name
    assert sum(current for *_, current in stored(workdir)) == FORMS_PER_SEED


def test_an_older_copy_dropped_later_does_not_displace_the_newer(workdir):
    assert load(workdir, "new.txt", SEED + b"\n", age=60).superseded == (0, 0)
    summary = load(workdir, "old.txt", SEED, age=6000)
    assert set(forms(workdir)["source_file"]) == {"new.txt"}
    assert {(f, c) for f, _, _, c in stored(workdir)} == {("new.txt", 1), ("old.txt", 0)}
    assert summary.superseded == (FORMS_PER_SEED, 0)  # the run says its forms are older copies
    assert f"re-issued forms: {FORMS_PER_SEED} of these superseded by a later copy" in summary.render()


def test_the_run_that_re_issues_forms_says_how_many_it_supersedes(workdir):
    load(workdir, "first.txt", SEED, age=600)
    summary = load(workdir, "reissued.txt", SEED + b"\n", age=60)
    assert summary.superseded == (0, FORMS_PER_SEED)
    assert f"{FORMS_PER_SEED} earlier forms superseded by these" in summary.render()


def test_a_form_of_another_implementing_unit_is_another_form(workdir):
    load(workdir, "a.txt", SEED, age=600)
    other = SEED.replace("市残联系统OA维护\t\t\t\t\t\t\n主管部门\t\t上海市残疾人联合会\t\t\t实施单位\t\t上海市残疾人联合会信息中心".encode(),
                         "市残联系统OA维护\t\t\t\t\t\t\n主管部门\t\t上海市残疾人联合会\t\t\t实施单位\t\t上海市残疾人康复中心".encode())
    assert other != SEED
    load(workdir, "b.txt", other, age=60)
    published = forms(workdir)
    assert len(published) == FORMS_PER_SEED + 1
    both = published[published["project_name"] == OA].set_index("source_file")["implementing_unit"]
    assert dict(both) == {"a.txt": "上海市残疾人联合会信息中心", "b.txt": "上海市残疾人康复中心"}
