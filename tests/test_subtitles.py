"""livekr.subtitles: utterances cut into cues of at most two short lines, timed by their
characters."""

from __future__ import annotations

import pytest

from livekr.export import to_srt, to_vtt
from livekr.subtitles import Cue, CueOptions, cues, pieces, text_width
from livekr.transcript import CharSpan, Transcript, Utterance

NARROW = CueOptions(line_width=4.0)
"""Lines of four Hangul syllables: small cases that still need every rule."""


def spelled(text: str, times: list[tuple[float, float]]) -> tuple[CharSpan, ...]:
    """Character spans of ``text`` (spaces have none), times from the utterance start."""
    letters = "".join(text.split())
    assert len(letters) == len(times)
    return tuple(CharSpan(c, start, end, 0.9) for c, (start, end) in zip(letters, times, strict=True))


def every(step_s: float, n: int, length_s: float = 0.2) -> list[tuple[float, float]]:
    return [(i * step_s, i * step_s + length_s) for i in range(n)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("안녕", 2.0), ("AI", 1.0), ("안녕, AI!", 4.5), ("ㄱㄴ 123", 4.0), ("", 0.0)],
)
def test_text_width_counts_latin_spaces_and_punctuation_half(text: str, expected: float) -> None:
    assert text_width(text) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("가나다라마바사아", ["가나다라마바사아"]),  # twice the line: whole
        ("가나다라마바사아자", ["가나다라", "마바사아", "자"]),  # longer: cut at the line width
        ("ABCDEFGHIJKLMNOP", ["ABCDEFGHIJKLMNOP"]),  # Latin letters count half: 8 wide
        ("ABCDEFGHIJKLMNOPQ", ["ABCDEFGH", "IJKLMNOP", "Q"]),
    ],
)
def test_pieces_of_an_overlong_word(word: str, expected: list[str]) -> None:
    assert pieces(word, 4.0) == expected


CASES = [
    ("one short line",
     Utterance(0, 1.0, 2.0, "안녕하세요", 0.9), CueOptions(),
     [Cue(1.0, 2.0, ("안녕하세요",))]),
    ("two lines, broken at a space",
     Utterance(0, 0.0, 5.0, "대한민국은 민주공화국이다 대한민국의 주권은 국민에게 있고", 0.9), CueOptions(),
     [Cue(0.0, 5.0, ("대한민국은 민주공화국이다", "대한민국의 주권은 국민에게 있고"))]),
    ("two lines balanced, the lower one no shorter",
     Utterance(0, 0.0, 5.0, "오늘 날씨가 정말 좋아서 공원에 산책을 갔습니다", 0.9), CueOptions(),
     [Cue(0.0, 5.0, ("오늘 날씨가 정말 좋아서", "공원에 산책을 갔습니다"))]),
    ("cues timed by the characters",
     Utterance(0, 10.0, 13.0, "가나 다라 마바 사아", 0.9, spelled("가나다라마바사아", every(0.3, 8))), NARROW,
     [Cue(10.0, 11.2, ("가나", "다라")), Cue(11.2, 13.0, ("마바", "사아"))]),
    ("cues timed in proportion to the characters without spans (an edited text)",
     Utterance(0, 10.0, 13.0, "가나 다라 마바 사아", 0.9), NARROW,
     [Cue(10.0, 11.5, ("가나", "다라")), Cue(11.5, 13.0, ("마바", "사아"))]),
    ("spans that do not spell the text are not trusted",
     Utterance(0, 10.0, 13.0, "가나 다라 마바 사아", 0.9, spelled("가나다라마바사", every(0.3, 7))), NARROW,
     [Cue(10.0, 11.5, ("가나", "다라")), Cue(11.5, 13.0, ("마바", "사아"))]),
    ("a word wider than a line stays whole on a line of its own",
     Utterance(0, 0.0, 2.0, "가 나다라마바사 아", 0.9), NARROW,
     [Cue(0.0, 1.75, ("가", "나다라마바사")), Cue(1.75, 2.0, ("아",))]),
    ("a word wider than two lines is cut",
     Utterance(0, 0.0, 2.25, "가나다라마바사아자", 0.9), NARROW,
     [Cue(0.0, 2.0, ("가나다라", "마바사아")), Cue(2.0, 2.25, ("자",))]),
    ("Latin letters and spaces count half",
     Utterance(0, 0.0, 2.0, "AI 모델 가나", 0.9), NARROW,
     [Cue(0.0, 2.0, ("AI 모델", "가나"))]),
    ("a cue's words span at most max_cue_s",
     Utterance(0, 0.0, 3.0, "하나 둘 셋", 0.9,
               spelled("하나둘셋", [(0.0, 0.2), (0.3, 0.5), (1.5, 1.8), (2.5, 2.8)])),
     CueOptions(max_cue_s=2.0),
     [Cue(0.0, 2.5, ("하나 둘",)), Cue(2.5, 3.0, ("셋",))]),
    ("long speech becomes cues of at most 6 s by default",
     Utterance(0, 0.0, 16.0, " ".join(["가"] * 16), 0.9, spelled("가" * 16, every(1.0, 16, 0.5))),
     CueOptions(),
     [Cue(0.0, 6.0, (" ".join(["가"] * 6),)), Cue(6.0, 12.0, (" ".join(["가"] * 6),)),
      Cue(12.0, 16.0, (" ".join(["가"] * 4),))]),
]


@pytest.mark.parametrize(("utterance", "options", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_cues(utterance: Utterance, options: CueOptions, expected: list[Cue]) -> None:
    got = cues([utterance], options)
    assert [(c.lines, c.start_s, c.end_s) for c in got] == [
        (c.lines, pytest.approx(c.start_s), pytest.approx(c.end_s)) for c in expected]
    for cue in got:
        assert len(cue.lines) <= options.max_lines
        assert all(text_width(line) <= options.line_width or " " not in line for line in cue.lines)
    assert "".join("".join(c.text.split()) for c in got) == "".join(utterance.text.split())


def test_subtitle_files_number_the_cues_of_every_utterance() -> None:
    chars = spelled("가나다라마바사아", every(0.3, 8))
    t = Transcript([Utterance(0, 10.0, 13.0, "가나 다라 마바 사아", 0.9, chars),
                    Utterance(1, 14.0, 15.0, "자", 0.9)])
    assert to_srt(t, NARROW) == (
        "1\n00:00:10,000 --> 00:00:11,200\n가나\n다라\n\n"
        "2\n00:00:11,200 --> 00:00:13,000\n마바\n사아\n\n"
        "3\n00:00:14,000 --> 00:00:15,000\n자\n"
    )
    assert to_vtt(t, NARROW).startswith("WEBVTT\n\n00:00:10.000 --> 00:00:11.200\n가나\n다라\n\n")
