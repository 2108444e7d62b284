"""CTC decoding (livekr.ctc): best path, collapsing, jamo composition, and the token table
of a real tokenizer; the module must stay free of torch and transformers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from livekr.ctc import TokenTable, greedy_decode, vocabulary_problem
from livekr.text import build_vocab
from trainer.scratch import build_processor

VOCAB = ["[PAD]", "[UNK]", "|", "ᄀ", "ᅡ", "ᆫ", "ᄂ", "가"]
FRAME_S = 0.02


def log_probs_for(ids: list[int], confidence: float = 0.9) -> np.ndarray:
    """Frames whose best token is ``ids[t]`` with probability ``confidence``."""
    rest = (1 - confidence) / (len(VOCAB) - 1)
    probs = np.full((len(ids), len(VOCAB)), rest)
    probs[np.arange(len(ids)), ids] = confidence
    return np.log(probs)


def test_greedy_decode_collapses_repeats_drops_blanks_and_composes_jamo() -> None:
    # ᄀ ᄀ _ ᅡ ᆫ | ᄂ ᅡ  → "간 나"
    lp = log_probs_for([3, 3, 0, 4, 5, 2, 6, 4])
    text, chars = greedy_decode(lp, VOCAB, blank_id=0, frame_s=FRAME_S)
    assert text == "간 나"
    assert [c.char for c in chars] == ["간", "나"]
    assert chars[0].start_s == 0.0 and chars[0].end_s == pytest.approx(5 * FRAME_S)
    assert chars[1].start_s == pytest.approx(6 * FRAME_S)
    assert chars[1].end_s == pytest.approx(8 * FRAME_S)


def test_blank_between_repeats_keeps_both() -> None:
    lp = log_probs_for([7, 0, 7, 7])
    assert greedy_decode(lp, VOCAB, 0, FRAME_S)[0] == "가가"


def test_syllable_confidence_is_the_weakest_jamo() -> None:
    lp = np.concatenate([log_probs_for([3], 0.9), log_probs_for([4], 0.4)])
    _, chars = greedy_decode(lp, VOCAB, 0, FRAME_S)
    assert chars[0].char == "가"
    assert chars[0].confidence == pytest.approx(0.4)


def test_special_tokens_and_edge_spaces_are_dropped() -> None:
    lp = log_probs_for([2, 1, 7, 2, 2, 0, 2])
    text, chars = greedy_decode(lp, VOCAB, 0, FRAME_S, skip_ids=frozenset({1}))
    assert text == "가"
    assert len(chars) == 1


def test_empty_input_decodes_to_nothing() -> None:
    assert greedy_decode(np.zeros((0, len(VOCAB))), VOCAB, 0, FRAME_S) == ("", ())


def test_token_table_of_a_real_tokenizer_keeps_word_spaces(tmp_path: Path) -> None:

    vocab = build_vocab(["가 나"], "jamo")
    tokens = TokenTable.from_tokenizer(build_processor(tmp_path, vocab, True).tokenizer)
    ids = [vocab[t] for t in ["ᄀ", "ᅡ", "|", "ᄂ", "ᅡ"]] + [vocab["[UNK]"], vocab["[PAD]"]]
    lp = np.log(np.full((len(ids), len(vocab)), 1e-3))
    lp[np.arange(len(ids)), ids] = 0.0
    assert tokens.decode(lp, FRAME_S)[0] == "가 나"
    assert tokens.decode_ids(np.array(ids)) == "가 나"


def test_importing_the_decoder_loads_neither_torch_nor_transformers() -> None:
    code = (
        "import sys, livekr.ctc; "
        "heavy = sorted(m for m in ('torch', 'transformers') if m in sys.modules); "
        "print(','.join(heavy))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""


def test_vocabulary_must_name_every_output_and_no_more_ordinary_tokens() -> None:
    table = TokenTable(tuple(VOCAB), blank_id=0, skip_ids=frozenset({1}), word_delimiter="|")
    assert vocabulary_problem(table, len(VOCAB)) is None
    assert vocabulary_problem(table, len(VOCAB) + 2) == "its vocabulary names 8 of the model's 10 outputs"
    assert "8 tokens (2 of them ordinary)" in str(vocabulary_problem(table, len(VOCAB) - 2))
    # special tokens a tokenizer adds past the head (<s>, </s>) are never emitted: allowed
    with_bos_eos = TokenTable((*VOCAB, "<s>", "</s>"), 0, frozenset({1, 8, 9}), "|")
    assert vocabulary_problem(with_bos_eos, len(VOCAB)) is None
    gap = TokenTable(("[PAD]", "", "ᄀ"), 0, frozenset(), "|")
    assert vocabulary_problem(gap, 3) == "its vocabulary names 2 of the model's 3 outputs"
