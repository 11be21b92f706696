"""The brief form: HTML form fields -> ``Brief`` with the API's rules, errors per field.

The same pydantic model (``matcher.schemas.Brief``) validates the form and the API, so the two
cannot disagree; this module only turns form strings into the model's types (comma lists,
numbers) and pydantic's errors into one message per form field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from matcher.schemas import MAX_K, Brief

LIST_FIELDS = (
    "target_countries",
    "excluded_handles",
    "excluded_keywords",
    "interests",
    "excluded_interests",
    "excluded_categories",
    "like",
)
MULTI_FIELDS = ("platforms", "target_ages")  # checkboxes: one form value each
INT_FIELDS = ("min_followers", "max_followers")
DEFAULT_K = 20
_SPLIT = re.compile(r"[,\n;]+")


class FormErrors(ValueError):
    """Field -> message; ``values`` echoes what the brand typed so the form can be shown again."""

    def __init__(self, errors: dict[str, str], values: dict[str, Any]) -> None:
        self.errors = errors
        self.values = values
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def split_list(text: str) -> list[str]:
    """``"US, GB; DE"`` -> ``["US", "GB", "DE"]`` (commas, semicolons or new lines)."""
    return [s.strip() for s in _SPLIT.split(text or "") if s.strip()]


def form_values(form: Mapping[str, Any], getlist: Any) -> dict[str, Any]:
    """What the brand typed, as strings/lists, for re-rendering the form."""
    vals: dict[str, Any] = {
        k: str(form.get(k, "") or "")
        for k in ("text", *LIST_FIELDS, *INT_FIELDS, "budget_usd", "target_gender", "language", "k")
    }
    for k in MULTI_FIELDS:
        vals[k] = [str(v) for v in getlist(k)]
    vals["strict_interests"] = str(form.get("strict_interests", "")).lower() in ("on", "true", "1")
    return vals


def parse_brief(values: dict[str, Any], brand_id: str) -> tuple[Brief, int]:
    """Build the brief (the brand is the signed-in one, never a form field) and ``k``; raise
    ``FormErrors`` naming every bad field at once."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {
        "text": values.get("text", ""),
        "brand_id": brand_id,
        "target_gender": values.get("target_gender") or "any",
        "strict_interests": bool(values.get("strict_interests")),
    }
    for name in LIST_FIELDS:
        data[name] = split_list(values.get(name, ""))
    for name in MULTI_FIELDS:
        data[name] = list(values.get(name) or [])
    for name in (*INT_FIELDS, "budget_usd"):
        raw = str(values.get(name) or "").replace(",", "").replace("_", "").strip()
        if not raw:
            continue
        try:
            data[name] = int(raw) if name in INT_FIELDS else float(raw)
        except ValueError:
            errors[name] = (
                f"{name}: enter a {'whole ' if name in INT_FIELDS else ''}number, got {raw!r}"
            )
    if values.get("language"):
        data["language"] = values["language"]
    k = DEFAULT_K
    raw_k = str(values.get("k") or "").strip()
    if raw_k:
        try:
            k = int(raw_k)
            if not 1 <= k <= MAX_K:
                raise ValueError
        except ValueError:
            errors["k"] = (
                f"k: number of matches must be a whole number from 1 to {MAX_K}, got {raw_k!r}"
            )
    try:
        brief = Brief.model_validate(data)
    except ValidationError as e:
        for err in e.errors():
            field = str(err["loc"][0]) if err["loc"] else "text"
            if field in ("min_followers", "max_followers") or not err["loc"]:
                field = "max_followers" if "max_followers" in err["msg"] else field
            if field not in errors:
                errors[field] = f"{field}: {err['msg'].removeprefix('Value error, ')}"
        raise FormErrors(errors, values) from None
    if errors:
        raise FormErrors(errors, values)
    return brief, k


def brief_values(brief: Mapping[str, Any], k: int | None = None) -> dict[str, Any]:
    """A logged brief (its JSON) as form values: reopening a past brief fills the form."""
    vals: dict[str, Any] = {
        "text": brief.get("text", ""),
        "target_gender": brief.get("target_gender") or "any",
        "language": brief.get("language") or "",
        "strict_interests": bool(brief.get("strict_interests")),
        "k": str(k or DEFAULT_K),
    }
    for f in LIST_FIELDS:
        vals[f] = ", ".join(brief.get(f) or [])
    for f in MULTI_FIELDS:
        vals[f] = list(brief.get(f) or [])
    for f in (*INT_FIELDS, "budget_usd"):
        v = brief.get(f)
        vals[f] = (
            ""
            if v is None
            else (str(int(v)) if f in INT_FIELDS or float(v).is_integer() else str(v))
        )
    return vals
