"""`selfeval run --dask ADDRESS` on a 2-worker `distributed.LocalCluster` gives the warehouse a local
run gives: the published tables' rows the same, value for value."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.runs import JUNK, SEED, fill_inbox, run_args, seed_variant, selfeval

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        yield local


def published(warehouse: Path) -> dict[str, pd.DataFrame]:
    """The four tables; the ledger without the time each file was seen, in name order; flags without
    where their file is archived."""
    tables = {name: pd.read_parquet(warehouse / name) for name in ("forms", "indicators", "flags")}
    tables["flags"] = tables["flags"].drop(columns=["archived_file"])  # a path under each run's own folder
    files = pd.read_parquet(warehouse / "files").drop(columns=["seen_at"])
    tables["files"] = files.sort_values("file_name").reset_index(drop=True)
    return tables


def test_a_run_on_a_dask_cluster_makes_the_warehouse_a_local_run_makes(tmp_path: Path, cluster, api_url: str) -> None:
    files = {"a.txt": SEED, "sub/b.txt": seed_variant(1), "c.txt": seed_variant(2), "junk.txt": JUNK,
             "copy-of-a.txt": SEED}
    for side in ("local", "dask"):
        (tmp_path / side / "inbox").mkdir(parents=True)
        fill_inbox(tmp_path / side / "inbox", files)
    env = {"PREFECT_API_URL": api_url}
    local = selfeval(*run_args(tmp_path / "local"), env=env)
    out_local, _ = local.communicate(timeout=180)
    assert local.returncode == 0, out_local
    remote = selfeval(*run_args(tmp_path / "dask", "--dask", cluster.scheduler_address), env=env)
    out_dask, _ = remote.communicate(timeout=180)
    assert remote.returncode == 0, out_dask
    assert cluster.scheduler.task_prefixes, "the batches should have run on the cluster"

    ours, theirs = published(tmp_path / "local" / "warehouse"), published(tmp_path / "dask" / "warehouse")
    assert len(ours["forms"]) == 7 and (ours["files"]["status"] == "rejected").sum() == 1  # re-issues: one current
    for name, frame in ours.items():
        pd.testing.assert_frame_equal(frame, theirs[name], check_exact=True, obj=name)
    assert sorted(p.name for p in (tmp_path / "dask" / "archive").rglob("*.txt")) == \
        sorted(p.name for p in (tmp_path / "local" / "archive").rglob("*.txt"))
