"""Plan constraints from loosely typed inputs (the CLI's ``--platform-mix``, pyfunc rows)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from matcher.api import PlanConstraints
from matcher.schemas import error_text

# pyfunc input columns of plan mode (``mode`` = "plan"); ``plan_budget_usd`` is the total
# campaign budget (the Brief's ``budget_usd`` stays the most one creator may cost)
PLAN_INPUT_COLUMNS: tuple[str, ...] = (
    "mode",
    "plan_budget_usd",
    "min_creators",
    "max_creators",
    "goal",
    "platform_mix",
)
MODES: tuple[str, ...] = ("match", "plan")


def _missing(v: Any) -> bool:
    return (
        v is None
        or (isinstance(v, float) and math.isnan(v))
        or (isinstance(v, str) and not v.strip())
    )


def parse_platform_mix(value: Any) -> dict[str, float] | None:
    """``{"instagram": 0.5}``, its JSON, or ``"instagram=0.5,tiktok=0.5"``; None/empty = no mix.
    Raises ValueError naming ``platform_mix`` for anything else."""
    if _missing(value):
        return None
    if isinstance(value, Mapping):
        items = dict(value)
    else:
        s = str(value).strip()
        if s.startswith("{"):
            try:
                items = json.loads(s)
            except json.JSONDecodeError as e:
                raise ValueError(f"platform_mix: not valid JSON ({e.msg})") from None
        else:
            items = {}
            for part in s.split(","):
                name, sep, share = part.partition("=")
                if not sep or not name.strip():
                    raise ValueError(
                        f"platform_mix: expected platform=share pairs separated by commas, got {part!r}"
                    )
                items[name.strip()] = share.strip()
    out = {}
    for k, v in items.items():
        try:
            out[str(k)] = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"platform_mix: share of {k} must be a number, got {v!r}") from None
    return out


def constraints_from(values: Mapping[str, Any]) -> PlanConstraints:
    """PlanConstraints from a row (pyfunc: ``plan_budget_usd``...) or options; ValueError naming the field."""
    data: dict[str, Any] = {}
    budget = values.get("plan_budget_usd", values.get("budget_usd"))
    if _missing(budget):
        raise ValueError("plan_budget_usd: a plan needs the total campaign budget")
    data["budget_usd"] = budget
    for f in ("min_creators", "max_creators", "goal"):
        v = values.get(f)
        if not _missing(v):
            data[f] = int(v) if f != "goal" and isinstance(v, float) and v == int(v) else v
    data["platform_mix"] = parse_platform_mix(values.get("platform_mix"))
    try:
        return PlanConstraints.model_validate(data)
    except ValidationError as e:
        raise ValueError(
            error_text(e).replace("budget_usd", "plan_budget_usd")
            if "plan_budget_usd" in values
            else error_text(e)
        ) from None
