"""`selfeval sql`: DuckDB over the published tables, with views for the common questions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from storage.publish import PUBLISHED
from storage.store import PUBLISHED_TABLES, published_generation

VIEWS = {
    # every open flag with the form it is about
    "open_flags": "select fl.*, f.project_name, f.department, f.year, f.source_file "
                  "from flags fl join forms f using (form_id) where fl.status = 'open'",
    # forms a reviewer still has to look at, with how many open flags each has
    "flagged_forms": "select f.*, (select count(*) from flags fl where fl.form_id = f.form_id "
                     "and fl.status = 'open') as open_flags from forms f where f.status = 'flagged'",
}


def table_folders(warehouse: Path) -> dict[str, Path]:
    """Each published table's folder, all of one generation: the one `<warehouse>/forms` points at.
    A publish switches the tables' links one after another, so following each link on its own
    could join a table of one publish with a table of the next."""
    root = Path(warehouse)
    generation = published_generation(root)
    one = root / PUBLISHED / f"{generation:012d}"
    if generation >= 0 and all((one / table).is_dir() for table in PUBLISHED_TABLES):
        return {table: one / table for table in PUBLISHED_TABLES}
    return {table: root / table for table in PUBLISHED_TABLES}


def connect(warehouse: Path) -> Any:
    """An in-memory DuckDB with a view per published table (all of one publish) and the views above."""
    import duckdb

    db = duckdb.connect()
    for table, path in table_folders(warehouse).items():
        if not path.exists():
            raise FileNotFoundError(f"no table {table} in {warehouse}: run `selfeval run` first")
        folder = path.as_posix().replace("'", "''")
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
