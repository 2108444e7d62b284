"""Custom words: the list format, the automaton's scores, and the beam writing a listed word
exactly where it was said and nowhere else."""

from __future__ import annotations

import numpy as np
import pytest

from livekr.config import DecoderOptions
from livekr.ctc import TokenTable
from livekr.decoder import Decoder
from livekr.hotwords import (
    Hotword,
    HotwordError,
    HotwordGraph,
    compile_hotwords,
    parse_hotwords,
    read_hotwords,
)
from livekr.text import build_vocab, normalize, to_units

FRAME_S = 0.02


def test_a_list_has_words_phrases_boosts_and_comments() -> None:
    words = parse_hotwords(["# names", "", "김철수\t3", "  카카오 톡 ", "Open AI\t1.5", "김철수"], "list.txt")
    assert words == [Hotword("카카오 톡"), Hotword("open ai", 1.5), Hotword("김철수")]


@pytest.mark.parametrize(("line", "message"), [
    ("김철수\tmany", "list.txt:2: the boost 'many' is not a number"),
    ("김철수\t-1", "list.txt:2: the boost must be above 0"),
    ("김철수\t500", "at most 50"),
])
def test_a_bad_boost_names_the_line(line: str, message: str) -> None:
    with pytest.raises(HotwordError, match=message):
        parse_hotwords(["가나", line], "list.txt")


def test_unreadable_lists_say_why(tmp_path) -> None:
    with pytest.raises(HotwordError, match="cannot read the custom words file"):
        read_hotwords(tmp_path / "absent.txt")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("café\n".encode("latin-1"))
    with pytest.raises(HotwordError, match="not UTF-8 text"):
        read_hotwords(latin1)
    bom = tmp_path / "bom.txt"
    bom.write_bytes("\ufeff김철수\t2\n".encode())
    assert read_hotwords(bom) == [Hotword("김철수", 2.0)]


def walk(graph: HotwordGraph, units: list[int]) -> float:
    state, total = 0, 0.0
    for unit in units:
        score, state = graph.step(state, unit)
        total += score
    return total + graph.finalize(state)


def test_a_whole_word_keeps_its_boost_a_part_gives_it_back() -> None:
    graph = HotwordGraph([([1, 2, 3], 3.0)])
    assert walk(graph, [1, 2, 3]) == pytest.approx(3.0)
    assert walk(graph, [5, 1, 2, 3, 5]) == pytest.approx(3.0)
    assert walk(graph, [1, 2]) == pytest.approx(0.0)
    assert walk(graph, [1, 2, 5, 3]) == pytest.approx(0.0)
    assert walk(graph, [1, 2, 1, 2, 3]) == pytest.approx(3.0)  # a restart inside the word
    assert walk(graph, [1, 2, 3, 1, 2, 3]) == pytest.approx(6.0)
    score, _ = graph.step(0, 1)
    assert score == pytest.approx(1.0)  # the boost is earned unit by unit, so the beam keeps the word


def test_overlapping_and_nested_words_all_count() -> None:
    graph = HotwordGraph([([1, 2], 2.0), ([2, 3], 4.0), ([1, 2, 3, 4], 8.0)])
    assert walk(graph, [1, 2, 3]) == pytest.approx(6.0)
    assert walk(graph, [1, 2, 3, 4]) == pytest.approx(14.0)
    assert graph.words == 3
    assert all(graph.step(s, u)[0] <= graph.max_gain[s] + 1e-9 for s in range(6) for u in range(6))


def test_words_a_model_cannot_write_are_left_out_with_a_reason() -> None:
    ids = {"|": 2, "가": 3, "나": 4}
    graph, problems = compile_hotwords([Hotword("가나"), Hotword("가 다"), Hotword("abc")], ids, "syllable",
                                       "|", 1.0)
    assert graph.words == 1
    assert problems == ["custom word '가 다' left out: this model cannot write '다'",
                        "custom word 'abc' left out: this model cannot write 'abc'"]


# -- in the beam ------------------------------------------------------------------------------

SENTENCES = ["오늘 김 철수 씨가 왔다", "오늘 김 철호 씨가 왔다", "어제 박 영희 씨가 갔다"]
NAME = "김 철수"


@pytest.fixture(scope="module", params=["syllable", "jamo"])
def setup(request: pytest.FixtureRequest) -> tuple[str, dict[str, int], TokenTable]:
    kind = request.param
    vocab = build_vocab(SENTENCES, kind)
    names = [""] * len(vocab)
    for tok, i in vocab.items():
        names[i] = tok
    return kind, vocab, TokenTable(tuple(names), 0, frozenset({1}), "|")


def heard(text: str, kind: str, vocab: dict[str, int], confuse: dict[str, str]) -> np.ndarray:
    """Posteriors of ``text`` where each unit in ``confuse`` loses narrowly to another one."""
    units = ["|" if u == " " else u for u in to_units(normalize(text), kind)]  # type: ignore[arg-type]
    rows = [{0: 0.95}]
    for unit in units:
        rival = confuse.get(unit)
        rows.append({vocab[rival]: 0.5, vocab[unit]: 0.42} if rival else {vocab[unit]: 0.9})
        rows.append({0: 0.9})
    lp = np.full((len(rows), len(vocab)), 1e-4)
    for row, probs in zip(lp, rows, strict=True):
        for i, p in probs.items():
            row[i] = p
    return np.log(lp / lp.sum(axis=1, keepdims=True)).astype(np.float32)


def confusion(kind: str) -> tuple[dict[str, str], str]:
    """What to confuse so that 철수 is heard as another name, and what greedy then writes."""
    if kind == "syllable":
        return {"수": "호"}, "오늘 김 철호 씨가 왔다"
    return {"ᅮ": "ᅩ"}, "오늘 김 철소 씨가 왔다"


def test_a_listed_name_with_a_space_comes_out_exactly(setup) -> None:
    kind, vocab, tokens = setup
    confused, misheard = confusion(kind)
    lp = heard("오늘 김 철수 씨가 왔다", kind, vocab, confused)
    plain = Decoder(tokens, FRAME_S, DecoderOptions(decoder="beam"))
    assert plain.decode(lp).text == misheard
    listed = Decoder(tokens, FRAME_S, DecoderOptions())
    listed.set_hotwords([Hotword(NAME), Hotword("박 영희")])
    assert listed.decode(lp).text == "오늘 김 철수 씨가 왔다"


def test_a_listed_name_is_not_invented_where_another_was_said(setup) -> None:
    kind, vocab, tokens = setup
    decoder = Decoder(tokens, FRAME_S, DecoderOptions())
    decoder.set_hotwords([Hotword(NAME)])
    clear = heard("오늘 김 철호 씨가 왔다", kind, vocab, {})
    assert decoder.decode(clear).text == "오늘 김 철호 씨가 왔다"
    other = heard("어제 박 영희 씨가 갔다", kind, vocab, {})
    assert decoder.decode(other).text == "어제 박 영희 씨가 갔다"


def test_custom_words_switch_greedy_to_beam_from_the_next_utterance(setup, caplog) -> None:
    kind, vocab, tokens = setup
    decoder = Decoder(tokens, FRAME_S, DecoderOptions())
    assert not decoder.uses_beam and decoder.description.startswith("decoding greedily")
    confused, misheard = confusion(kind)
    lp = heard("오늘 김 철수 씨가 왔다", kind, vocab, confused)
    running = decoder.begin()
    with caplog.at_level("INFO"):
        decoder.set_hotwords([Hotword(NAME)])
    assert "beam search (beam 16), 1 custom words" in caplog.text
    assert running.end(lp).text == misheard  # the utterance under way keeps its decoder
    assert decoder.decode(lp).text == "오늘 김 철수 씨가 왔다"
    decoder.set_hotwords([])
    assert not decoder.uses_beam
