"""How a ``MatchPipeline`` is written to and read from a folder (format 3, docs/catalogue.md):
the model files with their manifest, and the catalogue as an immutable version folder
(``ranking.catalogue_files``) that ``CATALOGUE`` names, with the arrays derived from the
catalogue and the models precomputed. Older formats are read through ``ranking.migrations``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher.config import EncoderConfig, TrainConfig
from matcher.ranking.catalogue import Catalogue
from matcher.ranking.catalogue_files import (
    LoadedCatalogue,
    current_version,
    load_catalogue,
    new_version_name,
    publish_version,
    save_catalogue,
    version_dir,
)
from matcher.ranking.embeddings import TextEncoder, encoder_from_spec
from matcher.ranking.estimator import Stateful
from matcher.ranking.features import PairFeaturizer
from matcher.ranking.history import History
from matcher.ranking.lexical import LexicalIndex
from matcher.ranking.manifest import CorruptModelError, write_manifest
from matcher.ranking.migrations import FORMAT_VERSION, open_saved
from matcher.ranking.models import CostModel, EngagementModel
from matcher.ranking.ranker import FitRanker
from matcher.ranking.topic_index import TopicIndex

if TYPE_CHECKING:
    from matcher.ranking.pipeline import MatchPipeline

logger = logging.getLogger(__name__)

# FORMAT_VERSION (of a saved folder) and the migrations from older ones: ranking.migrations
# the model files ``save`` writes (and ``load`` reads), relative to the folder, listed in its
# manifest; the catalogue is a version folder with its own manifest (``ranking.catalogue_files``)
PIPELINE_FILES: tuple[str, ...] = (
    "pipeline.json",
    "ranker.json",
    "engagement.json",
    "cost.json",
    "topics.npz",
    "history.parquet",
)
# format 2 and older: the catalogue in one npz and the lexical index next to the model files
LEGACY_CATALOGUE = "catalogue.npz"
LEGACY_FILES: tuple[str, ...] = (*PIPELINE_FILES, LEGACY_CATALOGUE)
LEXICAL_DIR = "lexical"
# arrays ``_set_catalogue`` derives from the catalogue and the models, saved with the version
DERIVED = ("costs", "typical_er")


def write_pipeline(pipe: MatchPipeline, path: Path) -> Path:
    """One folder (format 3): ``pipeline.json`` (config, metadata, encoder spec, featurizer
    state), one JSON file per model, the topics and the history table, listed with their
    sha256 in ``manifest.json`` (checked by ``load``: ``ranking.manifest``); the catalogue as
    an immutable version under ``catalogues/`` that ``CATALOGUE`` names
    (``ranking.catalogue_files``, with the costs and typical engagement rates precomputed).
    Saving again to the folder the catalogue was loaded from reuses its version."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    state = {
        "format_version": FORMAT_VERSION,
        "config": pipe.config.model_dump(),
        "metadata": pipe.metadata,
        "encoder": pipe.encoder.spec(),
        "featurizer": pipe.featurizer.state(),
    }
    (path / "pipeline.json").write_text(json.dumps(state, indent=2, default=str))
    models: dict[str, Stateful] = {
        "ranker": pipe.ranker,
        "engagement": pipe.engagement,
        "cost": pipe.cost_model,
    }
    for name, model in models.items():
        (path / f"{name}.json").write_text(json.dumps(model.state()))
    np.savez(path / "topics.npz", allow_pickle=True, **pipe.topics.state())
    pipe.history.to_frame().to_parquet(path / "history.parquet")
    # a folder saved before in format 2: its catalogue files would be unlisted pipeline files
    (path / LEGACY_CATALOGUE).unlink(missing_ok=True)
    shutil.rmtree(path / LEXICAL_DIR, ignore_errors=True)
    key = derived_key(path)
    version = _reusable_version(pipe, path, key)
    if version is None:
        version = new_version_name()
        save_catalogue(
            pipe.catalogue,
            version_dir(path, version),
            lexical=pipe.lexical,
            index=pipe.index,
            hashes=pipe.catalogue_hashes,
            meta={
                "parent": pipe.catalogue_version,
                "encoder": pipe.encoder.spec(),
                "derived_key": key,
            },
            extra={"costs": np.asarray(pipe.costs), "typical_er": np.asarray(pipe.typical_er)},
        )
    publish_version(path, version)
    write_manifest(path, PIPELINE_FILES)
    pipe.catalogue_version = version
    return path


def _reusable_version(pipe: MatchPipeline, path: Path, key: str) -> str | None:
    """The loaded catalogue's version when ``path`` already holds it, with derived arrays
    of these models (re-saving a loaded model must not copy gigabytes of vectors)."""
    v = pipe.catalogue_version
    if v is None or not (version_dir(path, v) / "catalogue.json").is_file():
        return None
    try:
        meta = json.loads((version_dir(path, v) / "catalogue.json").read_text())
    except (OSError, ValueError):
        return None
    same = meta.get("derived_key") == key and meta.get("n_creators") == len(pipe.catalogue)
    return v if same else None


def read_pipeline(
    cls: type[MatchPipeline],
    path: Path,
    encoder_config: EncoderConfig | None = None,
    encoder: TextEncoder | None = None,
    *,
    mmap: bool = True,
) -> MatchPipeline:
    """A folder written by ``save``, of this format or an older one (migrated in memory with
    a WARNING; ``matcher export --model DIR`` rewrites it): ``ranking.migrations``.
    ``mmap``: the catalogue's arrays stay memory-mapped (shared by every worker process)."""
    f = path / "pipeline.json"
    if not f.exists():
        raise FileNotFoundError(f"{path} is not a saved MatchPipeline (no pipeline.json)")
    # manifest checked (CorruptModelError), format read and older ones migrated in memory
    # (UnsupportedFormatError for a newer one): ranking.migrations
    saved = open_saved(path, LEGACY_FILES, [LEXICAL_DIR])
    state = saved.state
    config = TrainConfig.model_validate(state["config"])
    enc = encoder or encoder_from_spec(state["encoder"], encoder_config or config.encoder)

    def model_state(name: str) -> dict[str, Any]:
        return json.loads((path / f"{name}.json").read_text())

    topics = None  # a pipeline saved before interests existed: embedded again from the encoder
    if (path / "topics.npz").exists():
        with np.load(path / "topics.npz", allow_pickle=False) as z:
            topics = TopicIndex.from_state({k: z[k] for k in z.files})
    loaded = _read_catalogue(path, saved.from_version, mmap=mmap)
    derived: dict[str, NDArray[Any]] = {}
    if loaded.meta.get("derived_key") == derived_key(path):
        derived = {k: v for k, v in loaded.arrays.items() if k in DERIVED}

    pipe = cls(
        config=config,
        encoder=enc,
        catalogue=loaded.catalogue,
        featurizer=PairFeaturizer.from_state(state["featurizer"]),
        ranker=FitRanker.from_state(model_state("ranker")),
        engagement=EngagementModel.from_state(model_state("engagement")),
        cost_model=CostModel.from_state(model_state("cost")),
        history=History.from_frame(pd.read_parquet(path / "history.parquet")),
        metadata=state.get("metadata", {}),
        topics=topics,
        lexical=loaded.lexical,
        index=loaded.index,
        derived=derived,
    )
    pipe.catalogue_version = loaded.meta.get("version")
    if pipe.catalogue_version is not None:
        pipe._catalogue_source = version_dir(path, pipe.catalogue_version)
    return pipe


def derived_key(path: Path) -> str:
    """What the saved costs and typical engagement rates depend on besides the catalogue: the
    cost model and the featurizer's state (as written to ``path``)."""
    h = hashlib.sha256((path / "cost.json").read_bytes())
    featurizer = json.loads((path / "pipeline.json").read_text()).get("featurizer")
    h.update(json.dumps(featurizer, sort_keys=True).encode())
    return h.hexdigest()


def _read_catalogue(path: Path, from_version: int, *, mmap: bool) -> LoadedCatalogue:
    """The current catalogue version of a format-3 folder, or the ``catalogue.npz`` (+
    ``lexical/``) of an older one, read into memory (its manifest was checked by ``open_saved``)."""
    if from_version >= 3:
        version = current_version(path)
        if version is None:
            raise CorruptModelError(
                f"model {path.name} has format {from_version} but no CATALOGUE pointer"
            )
        try:
            return load_catalogue(version_dir(path, version), mmap=mmap, hashes=False)
        except CorruptModelError as e:  # name the file from the model folder
            raise CorruptModelError(f"catalogue {version}: {e}") from None
    with np.load(path / LEGACY_CATALOGUE, allow_pickle=False) as z:
        cat = Catalogue.from_arrays({k: z[k] for k in z.files})
    lexical = LexicalIndex.load(path / LEXICAL_DIR) if (path / LEXICAL_DIR).is_dir() else None
    return LoadedCatalogue(cat, lexical, None, None, {})
