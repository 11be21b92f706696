"""The served model through BentoML's model store, so a Bento carries it as a model (listed by
``bentoml get``, versioned, shared between Bentos) rather than as source files.

    python -m serving.bento_model models/champion           # an exported folder (`matcher export`)
    python -m serving.bento_model --registry champion       # a registered version (alias or number)
    PIP_NO_INDEX=1 bentoml build -f serving/bentofile.yaml .  # packs matcher:latest (bentofile `models:`)

An import stores the pipeline folder (``pipeline.json``, ranker, catalogue, ``MODEL_INFO.json``)
as the BentoML model ``matcher:<generated version>``, labelled with matcher's model version and
carrying ``MODEL_INFO.json`` as metadata. From the registry, the version is first exported with
``matcher.lifecycle.registry.export_model`` (the same copy ``matcher export`` writes): the
service loads a pipeline folder, not the MLflow pyfunc, so the folder is what is stored.

At run time ``MATCHER_MODEL`` / ``MATCHER_MODEL_FALLBACK`` may name a stored model as
``bento:matcher:latest`` (or ``bento:matcher:<version>``): ``store_path`` turns it into the
model's folder (inside a Bento: the Bento's own copy).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

BENTO_PREFIX = "bento:"
MODEL_NAME = "matcher"
REQUIRED_FILES = ("pipeline.json",)


def store_path(ref: str | None, strict: bool = True) -> str | None:
    """The folder of ``bento:<tag>`` in the BentoML model store; any other ref unchanged. A tag
    the store lacks raises ``FileNotFoundError``, or with ``strict=False`` comes back unchanged
    (a folder that does not exist: the fallback then reports it as missing)."""
    if ref is None or not ref.startswith(BENTO_PREFIX):
        return ref
    import bentoml
    from bentoml.exceptions import NotFound

    tag = ref[len(BENTO_PREFIX) :] or f"{MODEL_NAME}:latest"
    try:
        return str(bentoml.models.get(tag).path)
    except (NotFound, ValueError) as e:
        if not strict:
            return ref
        raise FileNotFoundError(f"no model {tag!r} in the BentoML model store: {e}") from e


def import_folder(folder: str | Path, name: str = MODEL_NAME) -> Any:
    """Store an exported pipeline folder as BentoML model ``name``; returns the ``bentoml.Model``."""
    import bentoml

    src = Path(folder)
    missing = [f for f in REQUIRED_FILES if not (src / f).is_file()]
    if not src.is_dir() or missing:
        raise FileNotFoundError(
            f"{src} is not an exported matcher model (missing {', '.join(missing) or 'folder'}; "
            "run `matcher export`)"
        )
    info_file = src / "MODEL_INFO.json"
    info: dict[str, Any] = json.loads(info_file.read_text()) if info_file.is_file() else {}
    labels = {"project": "matcher", "matcher_version": str(info.get("version", "unknown"))}
    metadata = {
        k: v for k, v in info.items() if isinstance(v, str | int | float | bool) or v is None
    }
    with bentoml.models.create(
        name, labels=labels, metadata=metadata, module="serving.bento_model"
    ) as model:
        shutil.copytree(src, model.path, dirs_exist_ok=True)
    return model


def import_registered(alias_or_version: str, name: str = MODEL_NAME) -> Any:
    """Export a registered MLflow version (``champion`` or ``3``) and store it as ``name``."""
    from matcher.lifecycle.registry import export_model

    with tempfile.TemporaryDirectory(prefix="matcher-bento-") as tmp:
        if alias_or_version.isdigit():
            folder = export_model(tmp, alias=None, version=alias_or_version)
        else:
            folder = export_model(tmp, alias=alias_or_version)
        return import_folder(folder, name)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "folder", nargs="?", type=Path, help="an exported model folder (e.g. models/champion)"
    )
    src.add_argument(
        "--registry", metavar="ALIAS_OR_VERSION", help="a registered version: alias or number"
    )
    ap.add_argument("--name", default=MODEL_NAME, help="BentoML model name (default %(default)s)")
    a = ap.parse_args(argv)
    try:
        model = (
            import_registered(a.registry, a.name) if a.registry else import_folder(a.folder, a.name)
        )
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f"error: {e}") from None
    print(model.tag)


if __name__ == "__main__":
    main()
