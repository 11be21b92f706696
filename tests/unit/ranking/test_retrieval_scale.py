"""Per-request filters without passes over every creator: same answers as the plain numpy
rules they replace (``reference_filter`` below is the code before issue 12), known cases."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.config import RetrievalConfig
from matcher.ranking.lexical import LexicalIndex
from matcher.ranking.retrieval import (
    CountryShares,
    HandleRows,
    derived,
    forget_derived,
    hard_filter,
    in_codes,
)
from matcher.schemas import COUNTRIES, COUNTRY_INDEX, PLATFORM_INDEX, Brief


def reference_filter(brief, cat, costs, config):
    mask = (cat.followers >= brief.min_followers) & (cat.followers <= brief.max_followers)
    if brief.platforms:
        mask &= np.isin(cat.platform_codes, [PLATFORM_INDEX[p] for p in brief.platforms])
    if brief.target_countries:
        cols = [COUNTRY_INDEX[c] for c in brief.target_countries]
        own = np.isin(cat.country_codes, cols)
        share = np.nan_to_num(cat.aud_countries[:, cols].sum(axis=1), nan=0.0)
        mask &= own | (share >= config.min_audience_share) | cat.location_unknown
    if brief.excluded_handles:
        excluded = set(brief.excluded_handles)
        mask &= ~np.fromiter((h in excluded for h in cat.handles_normalised), bool, len(cat))
    if brief.budget_usd is not None:
        mask &= ~(costs > brief.budget_usd * config.budget_slack)
    return mask


@pytest.fixture
def cat(tiny_pipeline):
    """The tiny market's catalogue with audiences spread over a few countries, some unknown."""
    c = tiny_pipeline.catalogue
    rng = np.random.default_rng(0)
    aud = np.zeros((len(c), len(COUNTRIES)), np.float32)
    for i in range(len(c)):
        cols = rng.choice(len(COUNTRIES), 3, replace=False)
        aud[i, cols] = rng.dirichlet(np.ones(3)).astype(np.float32)
    aud[::7] = np.nan  # no audience data
    c.aud_countries = aud
    c.__dict__.pop("location_unknown", None)
    return c


BRIEFS = [
    Brief(text="x"),
    Brief(text="x", platforms=["instagram"], min_followers=5_000, max_followers=60_000),
    Brief(text="x", target_countries=["US"]),
    Brief(text="x", target_countries=["GB", "DE", "FR"], platforms=["tiktok", "youtube"]),
    Brief(text="x", target_countries=list(COUNTRIES[:9])),  # 9 countries: numpy's own sum
    Brief(text="x", excluded_handles=["@bak00", "RUN03", "nobody", "x" * 90], budget_usd=300),
]


@pytest.mark.parametrize("brief", BRIEFS)
def test_hard_filter_equals_the_plain_rules(cat, tiny_pipeline, brief):
    config = RetrievalConfig(min_audience_share=0.3)
    got = hard_filter(brief, cat, tiny_pipeline.costs, config)
    want = reference_filter(brief, cat, tiny_pipeline.costs, config)
    np.testing.assert_array_equal(got, want)
    assert 0 < got.sum() <= len(cat)
    if brief.excluded_handles:  # the handles are in the catalogue: two creators dropped
        kept = hard_filter(
            brief.model_copy(update={"excluded_handles": []}), cat, tiny_pipeline.costs, config
        )
        assert kept.sum() - got.sum() == 2


def test_country_shares_sum_the_matrix_columns(cat):
    shares = CountryShares.build(cat)
    assert len(shares.rows) == int((np.nan_to_num(cat.aud_countries) > 0).sum())
    for cols in ([0], [3, 1], [5, 5, 2]):
        want = np.nan_to_num(cat.aud_countries[:, cols].sum(axis=1), nan=0.0)
        np.testing.assert_array_equal(shares.share(cols, len(cat)), want)


def test_handle_rows_find_every_creator_with_the_handle(cat):
    cat.handles = np.array(["@Same"] * 2 + [f"@h{i}" for i in range(len(cat) - 2)], dtype=object)
    forget_derived(cat)
    rows = HandleRows.build(cat)
    assert sorted(rows.rows_of(["same"]).tolist()) == [0, 1]
    assert rows.rows_of(["h5"]).tolist() == [7]
    assert rows.rows_of(["nobody", "", "h5" + "x" * 200]).tolist() == []


def test_derived_is_rebuilt_when_its_source_is_replaced(cat):
    calls = []

    def build(c):
        calls.append(1)
        return len(calls)

    assert derived(cat, "probe", build, cat.followers) == 1
    assert derived(cat, "probe", build, cat.followers) == 1  # cached
    cat.followers = cat.followers.copy()
    assert derived(cat, "probe", build, cat.followers) == 2  # a new array: rebuilt
    forget_derived(cat)
    assert derived(cat, "probe", build, cat.followers) == 3


def test_lexical_scores_are_computed_once_per_query_and_stay_correct():
    docs = ["kombucha brewing", "bread baking", "kombucha and bread", ""]
    index = LexicalIndex().fit(docs)
    first = index.scores("kombucha bread")
    again = index.scores("kombucha bread")
    np.testing.assert_array_equal(first, again)
    first[0] = -1.0  # a caller's copy: the cached scores are not touched
    assert index.scores("kombucha bread")[0] > 0
    rows, sims = index.search("kombucha bread", 5, np.array([True, True, False, True]))
    assert rows.tolist() == [0, 1] or rows.tolist() == [1, 0]
    assert (sims > 0).all()
    assert index.search("kombucha", 5)[0].tolist()[0] in (0, 2)
    assert index.search("unknownword", 5)[0].tolist() == []
    for _ in range(6):  # more queries than are kept: older ones are recomputed, same values
        index.scores(f"bread {_}")
    np.testing.assert_array_equal(index.scores("kombucha bread"), again)


def test_prepare_catalogue_builds_every_table_up_front(cat):
    from matcher.ranking import retrieval
    from matcher.ranking.signals import prepare_catalogue

    forget_derived(cat)
    prepare_catalogue(cat)
    assert {"shares", "handles", "safety"} <= set(retrieval._DERIVED[id(cat)])


@pytest.mark.parametrize("n_wanted", [1, 3, 6, 7, 20])
def test_in_codes_equals_isin_by_comparisons_or_table(n_wanted):
    """Few codes by comparisons, many by a table gather: both as np.isin; -1 (unknown) never in."""
    rng = np.random.default_rng(n_wanted)
    values = rng.integers(-1, 45, 5_000).astype(np.int16)
    wanted = rng.choice(45, n_wanted, replace=False).tolist()
    got = in_codes(values, 45, [*wanted, wanted[0]])  # a repeat changes nothing
    np.testing.assert_array_equal(got, np.isin(values, wanted))
    assert not got[values == -1].any() and got.any()
