"""Fixtures over the tiny market of ``tests/helpers.py`` (known answers; fast hashing encoder)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.helpers import make_tiny_market, tiny_config, tiny_tables_from
from tests.integration.postgres import backend, postgres_server, postgres_url  # noqa: F401 (fixtures)


@pytest.fixture
def tiny_market() -> dict[str, pd.DataFrame]:
    return make_tiny_market()


@pytest.fixture
def tiny_market_dir(tmp_path, tiny_market):
    d = tmp_path / "market"
    d.mkdir()
    for name, df in tiny_market.items():
        df.to_csv(d / f"{name}.csv", index=False)
    return d


@pytest.fixture
def tiny_tables(tiny_market):
    return tiny_tables_from(tiny_market)


@pytest.fixture(scope="session")
def tiny_pipeline_dir(tmp_path_factory):
    """A pipeline trained on the tiny market with the fast hashing encoder, saved once per session."""
    from matcher.ranking.embeddings import HashingEncoder
    from matcher.training.trainer import fit_pipeline

    tables = tiny_tables_from(make_tiny_market())
    pipe, _ = fit_pipeline(tables, tiny_config(), encoder=HashingEncoder(), progress=False)
    return pipe.save(tmp_path_factory.mktemp("tiny_pipeline"))


@pytest.fixture
def tiny_pipeline(tiny_pipeline_dir):
    from matcher.ranking.pipeline import MatchPipeline

    return MatchPipeline.load(tiny_pipeline_dir)
