"""Finals shaped into the text inserted into other programs (livekr.insert.text)."""

from __future__ import annotations

import pytest

from livekr.insert.text import InsertOptions, Shaper, add_full_stop

PLAIN = InsertOptions()
SPOKEN = InsertOptions(spoken_punctuation=True)
STOP = InsertOptions(full_stop=True)
BOTH = InsertOptions(full_stop=True, spoken_punctuation=True)

CASES = [
    # (options, the finals in order, what each one inserts)
    (PLAIN, ["안녕하세요", "반갑습니다"], ["안녕하세요", " 반갑습니다"]),
    (PLAIN, ["오늘  날씨가   좋습니다 "], ["오늘 날씨가 좋습니다"]),
    (PLAIN, ["", "안녕", "", "   ", "잘 가"], ["", "안녕", "", "", " 잘 가"]),
    (PLAIN, ["마침표 쉼표 줄바꿈"], ["마침표 쉼표 줄바꿈"]),  # commands only when asked
    (SPOKEN, ["안녕하세요 쉼표 반갑습니다 마침표"], ["안녕하세요, 반갑습니다."]),
    (SPOKEN, ["정말요 물음표", "대단해요 느낌표"], ["정말요?", " 대단해요!"]),
    (SPOKEN, ["첫째 줄 줄바꿈 둘째 줄"], ["첫째 줄\n둘째 줄"]),
    (SPOKEN, ["끝 줄바꿈", "다음 줄"], ["끝\n", "다음 줄"]),  # no space after a line break
    (SPOKEN, ["첫 문단 새 문단 둘째 문단"], ["첫 문단\n\n둘째 문단"]),
    (SPOKEN, ["하나 새문단 둘"], ["하나\n\n둘"]),
    (SPOKEN, ["안녕", "마침표 그리고"], ["안녕", ". 그리고"]),  # a command at the start
    (SPOKEN, ["줄바꿈 시작합니다"], ["\n시작합니다"]),  # a break first: nothing before it
    (SPOKEN, ["좋아요 마침표 줄바꿈 다음"], ["좋아요.\n다음"]),  # two commands in a row
    (SPOKEN, ["왜 물음표 느낌표"], ["왜?!"]),
    (SPOKEN, ["마침표시 쉼표들 줄바꿈은"], ["마침표시 쉼표들 줄바꿈은"]),  # part of a longer word
    (SPOKEN, ["새 문단을 시작"], ["새 문단을 시작"]),
    (SPOKEN, ["새", "문단"], ["새", " 문단"]),  # a two-word command only within one final
    (SPOKEN, ["마침표"], ["."]),
    (STOP, ["안녕하세요", "반갑습니다"], ["안녕하세요.", " 반갑습니다."]),
    (STOP, ["", "네"], ["", "네."]),
    (BOTH, ["정말요 물음표", "네"], ["정말요?", " 네."]),
    (BOTH, ["안녕 줄바꿈", "다음"], ["안녕.\n", "다음."]),  # the stop goes before the break
    (BOTH, ["줄바꿈"], ["\n"]),
    (BOTH, ["하나 쉼표"], ["하나,"]),
]


@pytest.mark.parametrize(("options", "finals", "inserted"), CASES)
def test_shaping(options: InsertOptions, finals: list[str], inserted: list[str]) -> None:
    shaper = Shaper(options)
    assert [shaper.shape(text) for text in finals] == inserted


@pytest.mark.parametrize(
    ("text", "expected"),
    [("네", "네."), ("네.", "네."), ("네?", "네?"), ("네\n\n", "네.\n\n"), ("", ""), ("\n", "\n"),
     ("“네”", "“네”"), ("(네)", "(네)"), ("네,", "네,")],
)
def test_full_stop(text: str, expected: str) -> None:
    assert add_full_stop(text) == expected


def test_options_are_command_line_flags() -> None:
    import argparse

    from livekr.options import add_arguments, from_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser, InsertOptions)
    options = from_arguments(InsertOptions, parser.parse_args(["--full-stop", "--spoken-punctuation"]))
    assert options == BOTH
