"""Beam search (livekr.beam via livekr.decoder): incremental = whole, the LM repairs what the
acoustics leave ambiguous, unknown units, jamo vocabularies give whole syllables, timings."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livekr.config import DecoderOptions
from livekr.ctc import TokenTable
from livekr.decoder import Decoder
from livekr.lm import read_arpa
from livekr.text import build_vocab, normalize, to_units
from trainer.ngram import count, estimate, write_arpa

FRAME_S = 0.02
TEXT = ["오늘 날씨가 좋다", "내일 날씨가 좋다", "오늘 바람이 분다", "내일 비가 온다", "날씨가 좋아서 간다",
        "오늘은 비가 온다", "바다가 좋다"]


def table_of(vocab: dict[str, int]) -> TokenTable:
    names = [""] * len(vocab)
    for tok, i in vocab.items():
        names[i] = tok
    return TokenTable(tuple(names), 0, frozenset({1}), "|")


def spell(text: str, vocab: dict[str, int], kind: str = "syllable") -> list[int]:
    return [vocab["|" if ch == " " else ch] for ch in to_units(normalize(text), kind)]  # type: ignore[arg-type]


def frames(plan: list[dict[int, float]], classes: int) -> np.ndarray:
    """One frame per dict (class → probability); the rest of the mass spread evenly."""
    rows = np.full((len(plan), classes), 1e-9)
    for row, probs in zip(rows, plan, strict=True):
        rest = (1.0 - sum(probs.values())) / classes
        row += rest
        for i, p in probs.items():
            row[i] += p
    return np.log(rows / rows.sum(axis=1, keepdims=True)).astype(np.float32)


def spoken(ids: list[int], classes: int, confusions: dict[int, int] | None = None) -> np.ndarray:
    """Each unit for one frame then a blank frame; ``confusions`` maps a position to the unit
    that wins there (the spoken one comes second)."""
    plan: list[dict[int, float]] = [{0: 0.95}]
    for k, unit in enumerate(ids):
        if confusions and k in confusions:
            plan.append({confusions[k]: 0.55, unit: 0.4})
        else:
            plan.append({unit: 0.9})
        plan.append({0: 0.9})
    return frames(plan, classes)


@pytest.fixture(scope="module")
def syllables() -> dict[str, int]:
    return build_vocab([*TEXT, "쀍"], "syllable")


@pytest.fixture(scope="module")
def lm_path(tmp_path_factory: pytest.TempPathFactory, syllables: dict[str, int]):
    path = tmp_path_factory.mktemp("lm") / "lm.arpa"
    write_arpa(path, estimate(count([["|" if c == " " else c for c in s] for s in TEXT], 4)))
    return path


def beam(vocab: dict[str, int], lm_path=None, **options) -> Decoder:
    lm = read_arpa(lm_path) if lm_path else None
    return Decoder(table_of(vocab), FRAME_S, DecoderOptions(decoder="beam", **options), lm, "test")


def test_the_lm_repairs_a_confusion_greedy_keeps(syllables: dict[str, int], lm_path) -> None:
    ids = spell("오늘 날씨가 좋다", syllables)
    lp = spoken(ids, len(syllables), {4: syllables["바"]})  # 씨 heard as 바 (a weak second)
    greedy = Decoder(table_of(syllables), FRAME_S, DecoderOptions(decoder="greedy"))
    assert greedy.decode(lp).text == "오늘 날바가 좋다"
    assert beam(syllables).decode(lp).text == "오늘 날바가 좋다"  # no LM: the acoustics win
    assert beam(syllables, lm_path).decode(lp).text == "오늘 날씨가 좋다"


@pytest.mark.parametrize("blocks", [[1], [7, 3, 50], [2] * 40, [13, 1, 1, 100]])
def test_incremental_decoding_equals_the_whole(syllables: dict[str, int], lm_path, blocks: list[int]) -> None:
    rng = np.random.default_rng(3)
    ids = spell("오늘 바람이 분다 내일 비가 온다", syllables)
    lp = spoken(ids, len(syllables), {2: syllables["날"], 9: syllables["다"]})
    lp = (lp + rng.normal(0, 0.5, lp.shape)).astype(np.float32)
    lp -= np.log(np.exp(lp).sum(axis=1, keepdims=True))
    decoder = beam(syllables, lm_path)
    whole = decoder.decode(lp)
    stream, start = decoder.begin(), 0
    for size in blocks * 100:
        if start >= len(lp):
            break
        stream.step(lp[start:start + size])
        start += size
    assert stream.end() == whole
    stream = decoder.begin()
    stream.step(lp[:20])
    assert stream.partial(lp[20:]).text == whole.text  # a peek with the rest, then the rest for real
    assert stream.end(lp[20:]) == whole


def test_times_and_confidences_follow_the_frames(syllables: dict[str, int]) -> None:
    a, b, blank = syllables["오"], syllables["늘"], 0
    lp = frames([{blank: 0.9}, {a: 0.8}, {a: 0.6}, {blank: 0.9}, {blank: 0.9}, {b: 0.7}], len(syllables))
    result = beam(syllables).decode(lp)
    greedy = table_of(syllables).decode(lp, FRAME_S)
    assert result.text == greedy[0] == "오늘"
    assert [(c.char, c.start_s, c.end_s) for c in result.chars] == [
        ("오", pytest.approx(0.02), pytest.approx(0.06)), ("늘", pytest.approx(0.10), pytest.approx(0.12))]
    assert result.chars[0].confidence == pytest.approx(greedy[1][0].confidence, abs=0.01)
    assert 0 < result.confidence <= 1


def test_a_unit_the_lm_never_saw_is_still_written(syllables: dict[str, int], lm_path) -> None:
    lp = spoken(spell("오늘 쀍", syllables), len(syllables))
    assert beam(syllables, lm_path).decode(lp).text == "오늘 쀍"


def test_special_tokens_and_silence(syllables: dict[str, int], lm_path) -> None:
    decoder = beam(syllables, lm_path)
    assert decoder.decode(np.zeros((0, len(syllables)), np.float32)).text == ""
    assert decoder.decode(frames([{0: 0.99}] * 5, len(syllables))).text == ""
    unk = frames([{1: 0.95}, {0: 0.9}], len(syllables))  # [UNK] is never written
    assert decoder.decode(unk).text == ""


# -- jamo ------------------------------------------------------------------------------------

JAMO_TEXT = ["가방을 들고 간다", "그림을 그린다", "이 방은 밝다"]


@pytest.fixture(scope="module")
def jamo() -> dict[str, int]:
    return build_vocab(JAMO_TEXT, "jamo")


def is_lone_jamo(ch: str) -> bool:
    return 0x3131 <= ord(ch) <= 0x318E or 0x1100 <= ord(ch) <= 0x11FF


def test_jamo_beam_writes_whole_syllables_where_greedy_leaves_lone_jamo(jamo: dict[str, int]) -> None:
    ids = spell("그림을 그린다", jamo, "jamo")
    # the initial of 을 (ᄋ) lost to a blank-ish frame: greedy writes "ㅡㄹ"
    lost = ids.index(jamo["ᄋ"])
    lp = spoken(ids, len(jamo), {lost: 0})
    greedy = Decoder(table_of(jamo), FRAME_S, DecoderOptions(decoder="greedy")).decode(lp).text
    assert any(is_lone_jamo(ch) for ch in greedy)
    text = beam(jamo).decode(lp).text
    assert not any(is_lone_jamo(ch) for ch in text), text
    assert text.replace(" ", "").startswith("그림")


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(5, 60))
def test_jamo_beam_never_writes_a_lone_jamo(seed: int, length: int) -> None:
    vocab = build_vocab(JAMO_TEXT, "jamo")
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 3, (length, len(vocab))).astype(np.float32)
    lp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    decoded = beam(vocab, beam_size=4).decode(lp)
    assert not any(is_lone_jamo(ch) for ch in decoded.text), decoded.text
    assert len(decoded.chars) == len(decoded.text.replace(" ", ""))


def test_jamo_incremental_equals_whole_on_a_random_model(jamo: dict[str, int]) -> None:
    rng = np.random.default_rng(7)
    logits = rng.normal(0, 2, (120, len(jamo))).astype(np.float32)
    lp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    decoder = beam(jamo)
    stream = decoder.begin()
    for start in range(0, 120, 17):
        stream.step(lp[start:start + 17])
    assert stream.end() == decoder.decode(lp)


# -- pruning is exact -------------------------------------------------------------------------


def reference_search(scorer, lp: np.ndarray) -> dict[tuple[int, ...], float]:
    """Prefix beam search that builds every candidate extension before pruning (no bounds):
    the units and scores of the final beam."""
    from livekr.beam import (
        BEAM_THRESHOLD,
        CANDIDATE_MIN_LOG_PROB,
        MAX_CANDIDATES,
        START,
        Prefix,
    )

    def lse(a: float, b: float) -> float:
        return float(np.logaddexp(a, b))

    excluded, silent_ids = scorer.masks(lp.shape[1])
    root = Prefix(None, -1, 0.0, scorer.lm.begin() if scorer.lm else (), 0, START)
    beam = {root: (0.0, float("-inf"))}
    for row in lp:
        blank = float(np.logaddexp.reduce(row[silent_ids]))
        ids = np.flatnonzero(row + excluded >= CANDIDATE_MIN_LOG_PROB)
        ids = ids[np.argsort(-row[ids], kind="stable")[:MAX_CANDIDATES]].tolist()
        new = {}
        for p, (pb, pnb) in beam.items():
            new[p] = [lse(pb, pnb) + blank, pnb + float(row[p.unit]) if p.unit >= 0 else float("-inf")]
        for p, entry in new.items():
            if p.parent in beam:
                pb, pnb = beam[p.parent]
                via = (pb if p.unit == p.parent.unit else lse(pb, pnb)) + float(row[p.unit])
                entry[1] = lse(entry[1], via)
        for p, (pb, pnb) in beam.items():
            for c in ids:
                child = p.children[c] if c in p.children else scorer.child(p, c)
                if child is not None and child not in new:
                    new[child] = [float("-inf"), (pb if c == p.unit else lse(pb, pnb)) + float(row[c])]
        ranked = sorted(new.items(), key=lambda kv: lse(*kv[1]) + kv[0].extra, reverse=True)
        top = lse(*ranked[0][1]) + ranked[0][0].extra
        beam = {p: tuple(e) for p, e in ranked[: scorer.settings.beam_size]
                if lse(*e) + p.extra >= top - BEAM_THRESHOLD}
    return {units_of(p): lse(*e) + p.extra for p, e in beam.items()}


def units_of(prefix) -> tuple[int, ...]:
    units = []
    while prefix.unit >= 0:
        units.append(prefix.unit)
        prefix = prefix.parent
    return tuple(units[::-1])


@pytest.mark.parametrize("seed", range(12))
def test_pruning_bounds_give_the_result_of_building_every_extension(seed: int, lm_path) -> None:
    from livekr.hotwords import Hotword

    vocab = build_vocab([*TEXT, "쀍"], "syllable")
    rng = np.random.default_rng(seed)
    ids = spell(TEXT[seed % len(TEXT)], vocab)
    lp = spoken(ids, len(vocab), {1: vocab["다"], 3: vocab["가"]})
    lp = (lp + rng.normal(0, 1.0, lp.shape)).astype(np.float32)
    lp -= np.log(np.exp(lp).sum(axis=1, keepdims=True))
    decoder = beam(vocab, lm_path, beam_size=2 + seed % 3)
    decoder.set_hotwords([Hotword("날씨"), Hotword("바람이 분다"), Hotword("내일")])
    expected = reference_search(decoder._scorer, lp)
    stream = decoder.begin()
    stream.step(lp)
    found = {units_of(p): score for p, score in ((p, float(np.logaddexp(e[0], e[1])) + p.extra)
                                                 for p, e in stream._beam.items())}
    assert found.keys() == expected.keys()
    for units, score in expected.items():
        assert found[units] == pytest.approx(score, abs=1e-4)
