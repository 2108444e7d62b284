"""Choosing the decoder: beam search with the LM of the model's card and custom words, or
greedy with one line saying why; a greedy stream fed in blocks gives greedy's text."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from livekr.config import DecoderOptions
from livekr.ctc import GreedyStream, TokenTable
from livekr.decoder import load_decoder
from livekr.hotwords import Hotword
from livekr.text import build_vocab
from trainer.ngram import count, estimate, write_arpa

FRAME_S = 0.02


@pytest.fixture()
def model(tmp_path: Path) -> tuple[Path, TokenTable]:
    vocab = build_vocab(["오늘 날씨가 좋다", "내일 비가 온다"], "syllable")
    names = [""] * len(vocab)
    for tok, i in vocab.items():
        names[i] = tok
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    return folder, TokenTable(tuple(names), 0, frozenset({1}), "|")


def with_lm(folder: Path, sentences: list[list[str]]) -> None:
    write_arpa(folder / "lm.arpa", estimate(count(sentences, 3)))
    (folder / "livekr.json").write_text(json.dumps({"lm": {"file": "lm.arpa", "order": 3}}), encoding="utf-8")


def test_no_lm_and_no_custom_words_decode_greedily_and_say_so(model, caplog) -> None:
    folder, tokens = model
    with caplog.at_level(logging.INFO, logger="livekr.decoder"):
        decoder = load_decoder(tokens, FRAME_S, DecoderOptions(), str(folder))
    assert isinstance(decoder.begin(), GreedyStream)
    assert caplog.messages == [f"decoding greedily: no language model (none recorded in the card of {folder} "
                               "(build one: livekr-train lm)) and no custom words"]


def test_the_lm_in_the_card_turns_the_beam_on(model, caplog: pytest.LogCaptureFixture) -> None:
    folder, tokens = model
    with_lm(folder, [list("오늘|날씨가|좋다"), list("내일|비가|온다")])
    with caplog.at_level(logging.INFO, logger="livekr.decoder"):
        decoder = load_decoder(tokens, FRAME_S, DecoderOptions(), str(folder))
    assert decoder.uses_beam
    assert caplog.messages == [f"beam search (beam 16), 3-gram LM lm.arpa from the card of {folder} "
                               "(weight 1, bonus 2.5)"]
    greedy = load_decoder(tokens, FRAME_S, DecoderOptions(decoder="greedy"), str(folder))
    assert not greedy.uses_beam and greedy.description == "decoding greedily: --decoder greedy"
    none = load_decoder(tokens, FRAME_S, DecoderOptions(lm="none"), str(folder))
    assert not none.uses_beam and "--lm none" in none.description
    assert decoder.describe("en") == decoder.description
    assert decoder.describe("ko") == (f"빔 탐색(빔 16), 3-gram 언어 모델 {folder}의 카드에 기록된 lm.arpa"
                                      "(가중치 1, 보너스 2.5)")


def test_the_window_describes_the_decoder_in_its_language_without_flags(model) -> None:
    folder, tokens = model
    unnamed = load_decoder(tokens, FRAME_S, DecoderOptions(), str(folder))
    assert unnamed.describe("ko") == (f"그리디 디코딩: 언어 모델({folder}의 카드에 기록된 언어 모델이 "
                                      "없음)도 사용자 단어도 없습니다")
    assert unnamed.describe("en") == (f"decoding greedily: no language model (none recorded in the card of "
                                      f"{folder}) and no custom words")
    greedy = load_decoder(tokens, FRAME_S, DecoderOptions(decoder="greedy"), str(folder))
    assert greedy.describe("ko") == "그리디 디코딩: 디코더가 greedy로 설정되어 있습니다"
    assert greedy.describe("en") == "decoding greedily: the decoder option is greedy"
    none = load_decoder(tokens, FRAME_S, DecoderOptions(lm="none", hotwords=""), str(folder))
    assert "언어 모델이 none으로 설정됨" in none.describe("ko") and "--" not in none.describe("en")
    words = load_decoder(tokens, FRAME_S, DecoderOptions(lm="none"), str(folder), [Hotword("날씨")])
    assert words.describe("ko") == "빔 탐색(빔 16), 사용자 단어 1개"
    assert words.description == "beam search (beam 16), 1 custom words"


def test_a_damaged_lm_falls_back_to_greedy_with_a_warning(model, caplog: pytest.LogCaptureFixture) -> None:
    folder, tokens = model
    with_lm(folder, [list("오늘")])
    (folder / "lm.arpa").write_text("\\data\\\nngram 1=9\n\n\\1-grams:\n-1\t오\n\\end\\\n", encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="livekr.decoder"):
        decoder = load_decoder(tokens, FRAME_S, DecoderOptions(), str(folder))
    assert not decoder.uses_beam
    assert caplog.records[0].levelname == "WARNING"
    assert "language model not used" in caplog.messages[0] and "announces 9 1-grams" in caplog.messages[0]
    assert caplog.messages[1].startswith("decoding greedily: no language model (")


def test_an_lm_over_other_units_is_refused(model, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder, tokens = model
    words = tmp_path / "words.arpa"
    write_arpa(words, estimate(count([["오늘", "날씨가", "좋다"], ["내일", "비가", "온다"]], 2)))
    with caplog.at_level(logging.WARNING, logger="livekr.decoder"):
        decoder = load_decoder(tokens, FRAME_S, DecoderOptions(lm=str(words)), str(folder))
    assert not decoder.uses_beam
    assert "only 0% of its units are the model's (e.g. '날씨가')" in caplog.text


def test_a_custom_words_file_turns_the_beam_on_and_a_bad_one_is_reported(
    model, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder, tokens = model
    good = tmp_path / "words.txt"
    good.write_text("날씨\n비\t4\n눈사람\n", encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="livekr.decoder"):
        decoder = load_decoder(tokens, FRAME_S, DecoderOptions(hotwords=str(good)), str(folder))
    assert decoder.uses_beam and decoder.hotword_count == 2
    assert "custom word '눈사람' left out: this model cannot write '눈사람'" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="livekr.decoder"):
        options = DecoderOptions(hotwords=str(tmp_path / "no.txt"))
        decoder = load_decoder(tokens, FRAME_S, options, str(folder))
    assert not decoder.uses_beam
    assert "custom words not used: cannot read the custom words file" in caplog.text


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="beam_size must be at least 1"):
        DecoderOptions(beam_size=0)
    with pytest.raises(ValueError, match="decoder must be one of auto, greedy, beam"):
        DecoderOptions(decoder="fast")


def test_a_greedy_stream_in_blocks_gives_greedy_text(model) -> None:
    _, tokens = model
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (90, len(tokens.id_to_token))).astype(np.float32)
    lp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    stream = GreedyStream(tokens, FRAME_S)
    for start in range(0, 60, 7):
        stream.step(lp[start:min(start + 7, 60)])
    assert stream.partial(lp[60:]).text == tokens.decode(lp, FRAME_S)[0]
    result = stream.end(lp[60:])
    assert (result.text, result.chars) == tokens.decode(lp, FRAME_S)
