"""Writers of the saved-pipeline layouts of earlier formats, as those versions wrote them, so
the migrations are tested on real old folders (``ranking.migrations`` describes each format)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from matcher.ranking.manifest import MANIFEST, write_manifest
from matcher.ranking.pipeline import (
    LEGACY_CATALOGUE,
    LEGACY_FILES,
    LEXICAL_DIR,
    MatchPipeline,
)

VECTORS = ("bio_emb", "profile", "post_emb")


def write_format2(pipe: MatchPipeline, folder: Path, *, manifest: bool = True) -> Path:
    """The format-2 layout: the model files, ``catalogue.npz`` (float32 vectors, string arrays),
    ``lexical/`` and a ``manifest.json`` over all of them."""
    folder.mkdir(parents=True, exist_ok=True)
    state = {
        "format_version": 2,
        "config": pipe.config.model_dump(),
        "metadata": pipe.metadata,
        "encoder": pipe.encoder.spec(),
        "featurizer": pipe.featurizer.state(),
    }
    (folder / "pipeline.json").write_text(json.dumps(state, indent=2, default=str))
    for name, model in (("ranker", pipe.ranker), ("engagement", pipe.engagement)):
        (folder / f"{name}.json").write_text(json.dumps(model.state()))
    (folder / "cost.json").write_text(json.dumps(pipe.cost_model.state()))
    arrays = pipe.catalogue.to_arrays()
    for name in VECTORS:
        arrays[name] = np.asarray(arrays[name], dtype=np.float32)
    np.savez(folder / LEGACY_CATALOGUE, allow_pickle=True, **arrays)
    np.savez(folder / "topics.npz", allow_pickle=True, **pipe.topics.state())
    pipe.lexical.save(folder / LEXICAL_DIR)
    pipe.history.to_frame().to_parquet(folder / "history.parquet")
    if manifest:
        write_manifest(folder, LEGACY_FILES, [LEXICAL_DIR])
    return folder


def write_format1(pipe: MatchPipeline, folder: Path) -> Path:
    """Format 1: format 2 without ``manifest.json``."""
    write_format2(pipe, folder, manifest=False)
    state = json.loads((folder / "pipeline.json").read_text())
    (folder / "pipeline.json").write_text(json.dumps({**state, "format_version": 1}, indent=2))
    assert not (folder / MANIFEST).exists()
    return folder
