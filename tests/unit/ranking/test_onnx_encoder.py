"""The ONNX Runtime glue: pooling, the folder's layout and tokenisation, with known answers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from matcher.config import EncoderConfig
from matcher.ranking.onnx_encoder import ModelLayout, OnnxTokenizer, pool, read_layout

PACKAGED = Path(EncoderConfig().resolved_model_path())


def test_mean_pooling_ignores_padding() -> None:
    tokens = np.array(
        [[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]], [[5.0, 6.0], [7.0, 8.0], [9.0, 10.0]]],
        dtype=np.float32,
    )
    mask = np.array([[1, 1, 0], [1, 1, 1]])
    np.testing.assert_allclose(pool(tokens, mask, "mean"), [[2.0, 3.0], [7.0, 8.0]])
    np.testing.assert_allclose(pool(tokens, mask, "cls"), [[1.0, 2.0], [5.0, 6.0]])
    np.testing.assert_allclose(pool(tokens, mask, "max"), [[3.0, 4.0], [9.0, 10.0]])


def test_mean_pooling_of_an_all_padding_row_is_zero_not_nan() -> None:
    got = pool(np.ones((1, 2, 3), np.float32), np.zeros((1, 2), np.int64), "mean")
    assert np.all(got == 0.0)


def test_pooling_rejects_bad_shapes_and_modes() -> None:
    with pytest.raises(ValueError, match="attention_mask"):
        pool(np.ones((2, 3, 4), np.float32), np.ones((2, 4), np.int64), "mean")
    with pytest.raises(ValueError, match="pooling mode"):
        pool(np.ones((1, 1, 1), np.float32), np.ones((1, 1), np.int64), "weightedmean")


def test_packaged_minilm_layout() -> None:
    assert read_layout(PACKAGED) == ModelLayout(
        max_seq_length=256, do_lower_case=False, pooling="mean", normalize=True
    )


def _folder(tmp_path: Path, modules: list[str], pooling: dict[str, bool]) -> Path:
    (tmp_path / "1_Pooling").mkdir(parents=True)
    paths = {"Transformer": "", "Pooling": "1_Pooling", "Normalize": "2_Normalize"}
    (tmp_path / "modules.json").write_text(
        json.dumps(
            [
                {"idx": i, "path": paths.get(m, m), "type": f"sentence_transformers.models.{m}"}
                for i, m in enumerate(modules)
            ]
        )
    )
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    (tmp_path / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": 8, "do_lower_case": True})
    )
    return tmp_path


def test_layout_reads_cls_pooling_without_normalize(tmp_path: Path) -> None:
    got = read_layout(
        _folder(tmp_path, ["Transformer", "Pooling"], {"pooling_mode_cls_token": True})
    )
    assert got == ModelLayout(max_seq_length=8, do_lower_case=True, pooling="cls", normalize=False)


@pytest.mark.parametrize(
    ("modules", "pooling", "message"),
    [
        (
            ["Transformer", "Pooling"],
            {"pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": True},
            "exactly one",
        ),
        (["Transformer", "Pooling"], {"pooling_mode_weightedmean_tokens": True}, "exactly one"),
        (["Transformer", "Pooling", "Dense"], {"pooling_mode_mean_tokens": True}, "Dense"),
        (["Pooling"], {"pooling_mode_mean_tokens": True}, "Transformer -> Pooling"),
    ],
)
def test_layout_refuses_what_it_cannot_reproduce(
    tmp_path: Path, modules: list[str], pooling: dict[str, bool], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        read_layout(_folder(tmp_path, modules, pooling))


def test_layout_needs_a_sentence_transformers_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no modules.json"):
        read_layout(tmp_path)


def test_tokenizer_matches_the_vocabulary_pads_and_truncates() -> None:
    layout = ModelLayout(max_seq_length=5, do_lower_case=False, pooling="mean", normalize=True)
    tok = OnnxTokenizer(PACKAGED, layout)
    got = tok(["  Hello world ", "one two three four five six", ""])
    # [CLS] hello world [SEP] (the tokenizer lower-cases; surrounding spaces stripped), padded
    assert got["input_ids"].tolist() == [
        [101, 7592, 2088, 102, 0],
        [101, 2028, 2048, 2093, 102],  # truncated to max_seq_length, [SEP] kept
        [101, 102, 0, 0, 0],
    ]
    assert got["attention_mask"].tolist() == [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1], [1, 1, 0, 0, 0]]
    assert got["token_type_ids"].sum() == 0 and got["input_ids"].dtype == np.int64


def test_tokenizer_strips_and_lower_cases_what_it_passes_on_when_the_folder_says_so() -> None:
    seen: list[list[str]] = []

    class Recorder:
        def encode_batch(self, texts: list[str]) -> list[object]:
            seen.append(texts)
            return []

    for lower in (True, False):
        layout = ModelLayout(max_seq_length=16, do_lower_case=lower, pooling="mean", normalize=True)
        tok = OnnxTokenizer(PACKAGED, layout)
        tok._tok = Recorder()  # type: ignore[assignment]
        tok([" Vegan PROTEIN\n"])
    assert seen == [["vegan protein"], ["Vegan PROTEIN"]]
