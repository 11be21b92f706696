"""Thin entry point for retraining outside the CLI: parse flags, then call the library.

    python -m training.train --config training/configs/default.yaml --set ranker.learning_rate=0.1

Everything that computes lives in ``matcher.training.run`` (the same call as ``matcher train``).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from matcher.online.to_training import load_training_tables
from matcher.training.run import build_config, run

DEFAULT_CONFIG = Path(__file__).parent / "configs" / "default.yaml"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--config", default=str(DEFAULT_CONFIG), help="YAML training config")
    ap.add_argument("--set", action="append", default=[], help="override key.sub=value")
    ap.add_argument("--data", help="market folder (overrides data_dir)")
    ap.add_argument("--out", help="where to save the pipeline (overrides out_dir)")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--no-track", action="store_true", help="do not log to MLflow or register")
    ap.add_argument("--feedback", help="serving request log whose feedback is merged into outcomes")
    a = ap.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    cfg = build_config(a.config, a.set, a.data, a.out, a.seed)
    tables, stats = load_training_tables(cfg.data_dir, a.feedback)
    res = run(cfg, track=not a.no_track, tables=tables, data_stats=stats)
    for view in ("logged", "catalogue"):
        table = res.evaluation.table(view)
        if not table.empty:
            print(f"{view}:\n{table.round(3).to_string()}")


if __name__ == "__main__":
    main()
