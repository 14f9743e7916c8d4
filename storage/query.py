"""`selfeval sql`: DuckDB over the published tables, with views for the common questions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from storage.store import PUBLISHED_TABLES

VIEWS = {
    # every open flag with the form it is about
    "open_flags": "select fl.*, f.project_name, f.department, f.year, f.source_file "
                  "from flags fl join forms f using (form_id) where fl.status = 'open'",
    # forms a reviewer still has to look at, with how many open flags each has
    "flagged_forms": "select f.*, (select count(*) from flags fl where fl.form_id = f.form_id "
                     "and fl.status = 'open') as open_flags from forms f where f.status = 'flagged'",
}


def connect(warehouse: Path) -> Any:
    """An in-memory DuckDB with a view per published table and the views above."""
    import duckdb

    db = duckdb.connect()
    for table in PUBLISHED_TABLES:
        folder = (Path(warehouse) / table).as_posix().replace("'", "''")
        if not (Path(warehouse) / table).exists():
            raise FileNotFoundError(f"no table {table} in {warehouse}: run `selfeval run` first")
        db.execute(f"create view {table} as select * from read_parquet('{folder}/*.parquet')")
    for name, query in VIEWS.items():
        db.execute(f"create view {name} as {query}")
    return db


def render(relation: Any, output: str, max_rows: int) -> str:
    if output == "csv":
        return relation.df().to_csv(index=False).rstrip("\n")
    if output == "json":
        return relation.df().to_json(orient="records", force_ascii=False, lines=True).rstrip("\n")
    return relation.__str__() if relation.shape[0] <= max_rows else relation.limit(max_rows).__str__() + \
        f"\n({relation.shape[0]} rows, {max_rows} shown; --max-rows N or --format csv for all)"
