"""The warehouse folder as one object: its store and its published tables, for scripts and tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from storage.publish import publish
from storage.store import Store


class Warehouse:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def create(self) -> Warehouse:
        """The store made if missing, and its tables published (empty ones keep their columns)."""
        publish(Store.open(self.root))
        return self

    def store(self) -> Store:
        return Store.open(self.root)

    def read(self, table: str) -> pd.DataFrame:
        return pd.read_parquet(self.root / table)
