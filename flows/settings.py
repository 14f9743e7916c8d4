"""The run's settings, validated when built: a bad one is named with the values allowed.

The limits on reading one file are one `extractors.limits.Limits`, built with the settings from
the `SELFEVAL_MAX_*` variables (and keyword values of the same names), so a bad limit stops a run
before it starts; the run enforces its seconds and memory per file (`flows.workers`) and puts the
rest in force wherever files are read. The inbox's settle time has an environment override too
(`ENVIRONMENT`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from extractors.exceptions import SettingsError
from extractors.family import AUTO, family_names, load_family
from extractors.indicators import MAX_SHIFT
from extractors.limits import Limits, limit_text


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    inbox: Path = Path("inbox")
    warehouse: Path = Path("warehouse")
    family: str = AUTO  # each form's family recognised from its title and labels, or one forced
    workers: int = Field(2, ge=1, le=64, description="files processed at once")
    max_shift: int = Field(MAX_SHIFT, ge=0, le=6, description="columns a row may have slid sideways")
    settle_seconds: float = Field(2.0, ge=0, le=600, description="a file changed this recently is watched this long")
    limits: Limits = Field(default_factory=Limits.from_env, description="what reading one file may cost")
    dask: str | None = Field(None, description="address of a Dask scheduler to extract on, e.g. tcp://host:8786")

    @field_validator("family")
    @classmethod
    def _family_exists(cls, name: str) -> str:
        if name != AUTO:
            load_family(name)
        return name

    @classmethod
    def build(cls, **values: Any) -> Settings:
        """Settings from keyword values; None means the environment's value (`ENVIRONMENT`), else the
        default. A limit's name (`max_seconds_per_file=3`) sets that limit over its variable."""
        given = {k: v for k, v in values.items() if v is not None and k not in Limits.model_fields}
        given.setdefault("limits", Limits.from_env(**{k: v for k, v in values.items() if k in Limits.model_fields}))
        from_env: dict[str, Any] = {k: os.environ[e] for k, e in ENVIRONMENT.items() if os.environ.get(e) and k not in given}
        try:
            return cls(**from_env, **given)
        except ValidationError as exc:
            error = exc.errors()[0]
            name = ".".join(str(p) for p in error["loc"])
            allowed = _allowed(name) + (f" (from {ENVIRONMENT[name]})" if name in from_env else "")
            raise SettingsError(f"bad setting {name}={error.get('input')!r}: {error['msg']}{allowed}",
                                field=name) from None
        except SettingsError as exc:
            raise SettingsError(exc.reason, field="family") from None

    def limit_reason(self, limit: str) -> str:
        """How a file over a limit the run enforces is described:
        'over the 120 s limit (SELFEVAL_MAX_SECONDS_PER_FILE)'."""
        if limit == "seconds":
            return f"over the {limit_text(self.limits, 'max_seconds_per_file', ' s')}"
        return f"over the {limit_text(self.limits, 'max_worker_mb', ' MB memory')}"


ENVIRONMENT = {"settle_seconds": "SELFEVAL_SETTLE_SECONDS"}


def _allowed(name: str) -> str:
    if name == "family":
        return "; allowed: " + ", ".join([AUTO, *family_names()])
    field = Settings.model_fields.get(name)
    if field is None:
        return "; allowed settings: " + ", ".join(Settings.model_fields)
    bounds = [m for m in field.metadata if hasattr(m, "ge") or hasattr(m, "gt") or hasattr(m, "le")]
    low = next((getattr(m, "ge", None) or getattr(m, "gt", None) for m in bounds
                if hasattr(m, "ge") or hasattr(m, "gt")), None)
    high = next((m.le for m in bounds if hasattr(m, "le")), None)
    return f"; allowed: {low} to {high}" if low is not None and high is not None else ""
