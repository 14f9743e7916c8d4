"""The run's settings, validated when built: a bad one is named with the values allowed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from extractors.exceptions import SettingsError
from extractors.family import AUTO, family_names, load_family
from extractors.indicators import MAX_SHIFT


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    inbox: Path = Path("inbox")
    warehouse: Path = Path("warehouse")
    family: str = AUTO  # each form's family recognised from its title and labels, or one forced
    workers: int = Field(2, ge=1, le=64, description="files processed at once")
    max_shift: int = Field(MAX_SHIFT, ge=0, le=6, description="columns a row may have slid sideways")

    @field_validator("family")
    @classmethod
    def _family_exists(cls, name: str) -> str:
        if name != AUTO:
            load_family(name)
        return name

    @classmethod
    def build(cls, **values: Any) -> Settings:
        """Settings from keyword values; None means the default."""
        try:
            return cls(**{k: v for k, v in values.items() if v is not None})
        except ValidationError as exc:
            error = exc.errors()[0]
            name = ".".join(str(p) for p in error["loc"])
            allowed = _allowed(name)
            raise SettingsError(f"bad setting {name}={error.get('input')!r}: {error['msg']}{allowed}",
                                field=name) from None
        except SettingsError as exc:
            raise SettingsError(exc.reason, field="family") from None


def _allowed(name: str) -> str:
    if name == "family":
        return "; allowed: " + ", ".join([AUTO, *family_names()])
    field = Settings.model_fields.get(name)
    if field is None:
        return "; allowed settings: " + ", ".join(Settings.model_fields)
    bounds = [m for m in field.metadata if hasattr(m, "ge") or hasattr(m, "le")]
    low = next((m.ge for m in bounds if hasattr(m, "ge")), None)
    high = next((m.le for m in bounds if hasattr(m, "le")), None)
    return f"; allowed: {low} to {high}" if low is not None and high is not None else ""
