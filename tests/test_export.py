"""livekr.export: subtitle and JSON formats, format choice and saving by extension."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from livekr import export, fileio
from livekr.export import (
    TranscriptFormatError,
    format_for_path,
    from_json,
    render,
    save,
    to_json,
    to_srt,
    to_txt,
    to_vtt,
)
from livekr.transcript import CharSpan, Transcript, Utterance


def make_transcript() -> Transcript:
    chars = (CharSpan("안", 0.0, 0.12, 0.91), CharSpan("녕", 0.12, 0.3, 0.5))
    return Transcript(
        utterances=[
            Utterance(0, 1.2, 3.4567, "안녕", 0.7, chars),
            Utterance(1, 4.0, 5.0, "   ", 0.0),  # nothing recognised: no cue
            Utterance(2, 3723.0004, 3725.9996, "한 시간 뒤", 0.8),
        ],
        model="folder/ckpt-1",
    )


def test_srt() -> None:
    assert to_srt(make_transcript()) == (
        "1\n00:00:01,200 --> 00:00:03,457\n안녕\n\n2\n01:02:03,000 --> 01:02:06,000\n한 시간 뒤\n"
    )


def test_vtt() -> None:
    assert to_vtt(make_transcript()) == (
        "WEBVTT\n\n00:00:01.200 --> 00:00:03.457\n안녕\n\n01:02:03.000 --> 01:02:06.000\n한 시간 뒤\n"
    )


def test_txt_and_text_skip_empty_utterances() -> None:
    t = make_transcript()
    assert to_txt(t) == "안녕\n한 시간 뒤\n"
    assert to_txt(Transcript()) == ""
    assert to_srt(Transcript()) == ""
    assert to_vtt(Transcript()) == "WEBVTT\n"


@pytest.mark.parametrize(
    ("seconds", "srt", "vtt"),
    [
        (0.0, "00:00:00,000", "00:00:00.000"),
        (-0.25, "00:00:00,000", "00:00:00.000"),  # clamped, never negative
        (0.0014, "00:00:00,001", "00:00:00.001"),
        (0.0016, "00:00:00,002", "00:00:00.002"),  # rounded, not truncated
        (59.9996, "00:01:00,000", "00:01:00.000"),  # rounding carries into minutes
        (3599.9999, "01:00:00,000", "01:00:00.000"),  # ... and into hours
        (36_000 + 61.5, "10:01:01,500", "10:01:01.500"),
    ],
)
def test_timestamps(seconds: float, srt: str, vtt: str) -> None:
    t = Transcript([Utterance(0, seconds, seconds, "가", 1.0)])
    assert to_srt(t).splitlines()[1] == f"{srt} --> {srt}"
    assert to_vtt(t).splitlines()[2] == f"{vtt} --> {vtt}"


def test_json_round_trip() -> None:
    t = make_transcript()
    text = to_json(t)
    assert "안녕" in text  # UTF-8, not \u escapes
    back = from_json(text)
    assert back == t
    assert isinstance(back.utterances[0].chars, tuple)
    assert back.utterances[0].chars[1] == CharSpan("녕", 0.12, 0.3, 0.5)
    assert back.utterances[1].text == "   "  # JSON keeps every utterance


def test_from_json_defaults() -> None:
    back = from_json('{"version": 1, "utterances": [{"index": 3, "start_s": 1, "end_s": 2, "text": "가"}]}')
    assert back == Transcript([Utterance(3, 1.0, 2.0, "가", 1.0, ())], model="")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"version": 2, "utterances": []}', r"^transcript version 2 was written by a newer livekr; "
         r"this one reads versions up to 1: update livekr$"),
        ('{"utterances": []}', r"it has no \"version\" field"),
        ('{"version": "1", "utterances": []}', r"^invalid transcript version '1'; expected a whole number"),
        ('{"version": 0, "utterances": []}', r"^invalid transcript version 0"),
        ('{"version": 1.5, "utterances": []}', r"^invalid transcript version 1\.5"),
        ('{"version": true, "utterances": []}', r"^invalid transcript version True"),
        ('[1, 2]', r"expected an object at the top"),
        ('{"version": 1, "utt', r"^not a livekr JSON transcript: "),
        ('{"version": 1}', r"^malformed utterances in the JSON transcript \(KeyError"),
        ('{"version": 1, "utterances": [{"index": 0}]}', r"^malformed utterances .*KeyError"),
        ('{"version": 1, "utterances": [{"index": "x", "start_s": 0, "end_s": 1, "text": ""}]}',
         r"^malformed utterances .*ValueError"),
    ],
    ids=["newer", "missing", "string", "zero", "float", "bool", "array", "not-json", "no-utterances",
         "utterance-without-fields", "utterance-bad-index"],
)
def test_from_json_checks_the_version_and_shape(text: str, message: str) -> None:
    with pytest.raises(TranscriptFormatError, match=message):
        from_json(text)


def test_from_json_error_is_a_value_error() -> None:
    # Callers that already catch ValueError (the window's open and recovery paths) keep working.
    assert issubclass(TranscriptFormatError, ValueError)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("out.srt", "srt"),
        ("OUT.VTT", "vtt"),
        ("dir.json/out.json", "json"),
        ("a/b/notes.txt", "txt"),
        ("notes", "txt"),
        ("notes.srt.bak", "txt"),
        (Path("x.Json"), "json"),
    ],
)
def test_format_for_path(path: str | Path, expected: str) -> None:
    assert format_for_path(path) == expected


def test_format_for_path_default() -> None:
    assert format_for_path("notes", default="json") == "json"
    assert format_for_path("notes.srt", default="json") == "srt"


TXT = "안녕\n한 시간 뒤\n"
SRT = "1\n00:00:01,200 --> 00:00:03,457\n안녕\n\n2\n01:02:03,000 --> 01:02:06,000\n한 시간 뒤\n"
VTT = "WEBVTT\n\n00:00:01.200 --> 00:00:03.457\n안녕\n\n01:02:03.000 --> 01:02:06.000\n한 시간 뒤\n"
JSON = {
    "version": 1,
    "model": "folder/ckpt-1",
    "utterances": [
        {"index": 0, "start_s": 1.2, "end_s": 3.4567, "text": "안녕", "confidence": 0.7, "chars": [
            {"char": "안", "start_s": 0.0, "end_s": 0.12, "confidence": 0.91},
            {"char": "녕", "start_s": 0.12, "end_s": 0.3, "confidence": 0.5},
        ], "edited": False},
        {"index": 1, "start_s": 4.0, "end_s": 5.0, "text": "   ", "confidence": 0.0, "chars": [],
         "edited": False},
        {"index": 2, "start_s": 3723.0004, "end_s": 3725.9996, "text": "한 시간 뒤", "confidence": 0.8,
         "chars": [], "edited": False},
    ],
}


@pytest.mark.parametrize(
    ("name", "expected"),
    [("t.txt", TXT), ("t.srt", SRT), ("T.VTT", VTT), ("t.md", TXT), ("notes", TXT), ("t.srt.bak", TXT)],
)
def test_save_picks_format_by_extension(tmp_path: Path, name: str, expected: str) -> None:
    path = tmp_path / name
    save(make_transcript(), path)
    assert path.read_text(encoding="utf-8") == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_save_json_by_extension(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    save(make_transcript(), path)
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == JSON
    assert "안녕" in text and text.endswith("}\n")


def test_save_explicit_format_wins(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    save(make_transcript(), path, fmt="vtt")
    assert path.read_text(encoding="utf-8").startswith("WEBVTT\n")


def test_unknown_format(tmp_path: Path) -> None:
    message = r"unknown format 'docx'; choose one of txt, srt, vtt, json"
    with pytest.raises(ValueError, match=message):
        render(make_transcript(), "docx")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown format"):
        save(make_transcript(), tmp_path / "t.txt", fmt="docx")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


OLD = "old content\n"


def _fail(*args: object, **kwargs: object) -> None:
    raise OSError("disk on fire")


@pytest.mark.parametrize("stage", ["render", "fsync", "replace"])
def test_save_failure_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str) -> None:
    path = tmp_path / "t.srt"
    path.write_text(OLD, encoding="utf-8")
    if stage == "render":
        monkeypatch.setitem(export._RENDERERS, "srt", _fail)
    else:
        monkeypatch.setattr(fileio.os, stage, _fail)
    with pytest.raises(OSError, match="disk on fire"):
        save(make_transcript(), path)
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["t.srt"]  # no temporary file left


def test_json_is_readable_and_files_of_earlier_releases_still_read() -> None:
    text = to_json(make_transcript())
    assert '\n  "utterances": [\n    {\n      "index": 0,' in text and '"text": "한 시간 뒤"' in text
    earlier = (  # as livekr wrote it before edits: one-space indent, no "edited"
        '{\n "version": 1,\n "model": "m",\n "utterances": [\n  {\n   "index": 0,\n   "start_s": 1.2,\n'
        '   "end_s": 3.4,\n   "text": "안녕",\n   "confidence": 0.7,\n   "chars": []\n  }\n ]\n}\n'
    )
    assert from_json(earlier) == Transcript([Utterance(0, 1.2, 3.4, "안녕", 0.7)], model="m")
    assert not from_json(earlier).utterances[0].edited


def test_txt_heads_each_file_section_and_json_keeps_the_source() -> None:
    transcript = Transcript(utterances=[
        Utterance(0, 0.0, 1.0, "말한 것", 0.9),
        Utterance(1, 2.0, 3.0, "첫째", 0.9, source="/audio/a.wav"),
        Utterance(2, 3.0, 4.0, "   ", 0.0, source="/audio/b.wav"),  # no text: no section of its own
        Utterance(3, 4.0, 5.0, "둘째", 0.9, source="/audio/a.wav"),
        Utterance(4, 6.0, 7.0, "다시 말함", 0.9),
    ])
    assert to_txt(transcript) == "말한 것\n\n[a.wav]\n첫째\n둘째\n\n[dictation]\n다시 말함\n"
    assert to_srt(transcript).count(" --> ") == 4 and "a.wav" not in to_srt(transcript)
    assert from_json(to_json(transcript)).utterances == transcript.utterances
    assert '"source"' not in to_json(Transcript([Utterance(0, 0.0, 1.0, "말", 0.9)]))
