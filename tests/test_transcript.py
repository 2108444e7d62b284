"""livekr.transcript: the utterance and transcript data types."""

from __future__ import annotations

import pytest

from livekr.transcript import CharSpan, Transcript, Utterance


def test_utterance_dict_round_trip_keeps_chars_as_tuple() -> None:
    u = Utterance(4, 1.5, 2.25, "안녕", 0.75, (CharSpan("안", 0.0, 0.1, 0.9), CharSpan("녕", 0.1, 0.3, 0.6)))
    data = u.to_dict()
    assert list(data["chars"]) == [
        {"char": "안", "start_s": 0.0, "end_s": 0.1, "confidence": 0.9},
        {"char": "녕", "start_s": 0.1, "end_s": 0.3, "confidence": 0.6},
    ]
    back = Utterance.from_dict(data)
    assert back == u
    assert isinstance(back.chars, tuple)


def test_utterance_from_dict_converts_types_and_defaults() -> None:
    back = Utterance.from_dict({"index": "3", "start_s": 1, "end_s": "2.5", "text": "가"})
    assert back == Utterance(3, 1.0, 2.5, "가", 1.0, ())
    assert isinstance(back.start_s, float)


def test_utterance_from_dict_missing_field() -> None:
    with pytest.raises(KeyError, match="text"):
        Utterance.from_dict({"index": 0, "start_s": 0, "end_s": 1})


def test_transcript_text_skips_empty_utterances() -> None:
    t = Transcript(model="m")
    assert t.text == ""
    t.add(Utterance(0, 0.0, 1.0, "하나", 1.0))
    t.add(Utterance(1, 1.0, 2.0, "", 0.0))
    t.add(Utterance(2, 2.0, 3.0, "둘", 1.0))
    assert t.text == "하나\n둘"
    assert [u.index for u in t.utterances] == [0, 1, 2]


def test_an_edited_utterance_keeps_its_times_and_drops_its_character_spans() -> None:
    u = Utterance(2, 1.0, 2.5, "안년", 0.6, (CharSpan("안", 0.0, 0.1, 0.9), CharSpan("년", 0.1, 0.3, 0.3)))
    edited = u.with_text("안녕")
    assert edited == Utterance(2, 1.0, 2.5, "안녕", 0.6, (), edited=True)
    assert Utterance.from_dict(edited.to_dict()) == edited
    assert Utterance.from_dict({"index": 0, "start_s": 0, "end_s": 1, "text": "가"}).edited is False


def test_transcript_edit_by_index() -> None:
    t = Transcript([Utterance(5, 0.0, 1.0, "하나", 0.9), Utterance(6, 1.0, 2.0, "둘", 0.9)])
    assert t.edit(5, "") == Utterance(5, 0.0, 1.0, "", 0.9, (), edited=True)
    assert t.text == "둘"  # an emptied utterance stays, out of the text
    same = t.utterances[1]
    assert t.edit(6, "둘") is same  # the same text changes nothing
    with pytest.raises(KeyError, match="no utterance 7"):
        t.edit(7, "셋")
    assert t.position(6) == 1
