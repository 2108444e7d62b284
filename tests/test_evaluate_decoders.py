"""livekr-eval with a language model: greedy and beam side by side from one forward pass,
space-insensitive CER, and scores kept in the card with their decoder settings; the beam
on a real (tiny, random) checkpoint fed window by window."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from livekr.card import describe_card, read_card
from livekr.config import SAMPLE_RATE, DecoderOptions
from livekr.decoder import load_decoder
from trainer.evaluate import space_free_cer


@pytest.mark.parametrize(
    ("refs", "hyps", "expected"),
    [
        (["오늘 날씨"], ["오늘날씨"], 0.0),
        (["오늘날씨"], ["오 늘 날 씨"], 0.0),
        (["오늘 날씨"], ["오늘 날시"], 0.25),
        (["오늘 날씨", ""], ["오늘날씨", "아무거나"], 0.0),  # empty references have no rate
        (["가나다라"], [""], 1.0),
    ],
)
def test_space_free_cer(refs: list[str], hyps: list[str], expected: float) -> None:
    assert space_free_cer(refs, hyps) == pytest.approx(expected)


@pytest.fixture()
def checkpoint_with_lm(tiny_wav2vec2: Path, tmp_path: Path) -> Path:
    import shutil

    from trainer.cli import main as train_main

    folder = tmp_path / "model"
    shutil.copytree(tiny_wav2vec2, folder)
    text = tmp_path / "ko.txt"
    text.write_text("안녕하세요 반갑습니다\n오늘 날씨가 좋습니다\n대한민국은 민주공화국이다\n",
                    encoding="utf-8")
    assert train_main(["lm", "--model", str(folder), str(text), "--order", "3"]) == 0
    return folder


@pytest.mark.slow
def test_livekr_eval_scores_greedy_and_beam_and_keeps_both_in_the_card(
    checkpoint_with_lm: Path, speak, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import soundfile

    from trainer.evaluate import main

    rows = []
    for i, text in enumerate(["안녕하세요 반갑습니다", "오늘 날씨가 좋습니다"]):
        path = tmp_path / f"{i}.wav"
        soundfile.write(path, speak(text), SAMPLE_RATE)
        rows.append(json.dumps({"audio": str(path), "text": text}, ensure_ascii=False))
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["--model", str(checkpoint_with_lm), "--manifest", str(manifest), "--events",
                 "--beam-size", "4", "--lm-weight", "0.7"]) == 0
    *events, summary = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert all("beam_hypothesis" in e and "beam_cer" in e for e in events)
    assert {"cer", "cer_nospace", "wer"} <= summary.keys()
    beam = summary["beam"]
    assert beam["decoder"]["kind"] == "beam" and beam["decoder"]["beam_size"] == 4
    assert beam["decoder"]["lm_weight"] == 0.7 and beam["decoder"]["lm_order"] == 3
    assert beam["decoder"]["lm"] == str((checkpoint_with_lm / "lm.arpa").resolve())
    refs = [e["reference"] for e in events]
    beams = [e["beam_hypothesis"] for e in events]
    assert beam["cer_nospace"] == pytest.approx(100 * space_free_cer(refs, beams), abs=0.01)
    card = read_card(checkpoint_with_lm)
    assert [s["decoder"]["kind"] for s in card["scores"]] == ["greedy", "beam"]
    assert card["scores"][1]["cer"] == beam["cer"] and card["scores"][0]["cer"] == summary["cer"]
    assert "lm" in card  # the LM entry is kept
    lines = describe_card(card)
    assert any(line.startswith("CER (beam 4 + 3-gram LM (0.7), m.jsonl): ") for line in lines)
    assert any(line.startswith("language model: 3-gram over jamo units") for line in lines)

    # the same decoder settings again replace their scores; --decoder greedy scores greedy alone
    assert main(["--model", str(checkpoint_with_lm), "--manifest", str(manifest), "--beam-size", "4",
                 "--lm-weight", "0.7"]) == 0
    assert main(["--model", str(checkpoint_with_lm), "--manifest", str(manifest), "--decoder", "greedy"]) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert "beam" not in summary
    assert len(read_card(checkpoint_with_lm)["scores"]) == 2


@pytest.mark.slow
def test_beam_fed_window_by_window_equals_the_whole_on_a_real_model(
    checkpoint_with_lm: Path, speak
) -> None:
    from livekr.recognizer import load_recognizer
    from livekr.windowing import Stitcher

    recognizer = load_recognizer(str(checkpoint_with_lm))
    decoder = load_decoder(recognizer.tokens, recognizer.frame_s, DecoderOptions(), str(checkpoint_with_lm))
    assert decoder.uses_beam
    audio = np.concatenate([speak("안녕하세요 반갑습니다"), speak("오늘 날씨가 좋습니다")])
    stitcher = Stitcher(left_s=1.0, chunk_s=0.5, right_s=0.3)
    stream = decoder.begin()
    fed = 0
    while (window := stitcher.next_window(audio.size)) is not None:
        stitcher.accept(window, recognizer.log_posteriors(audio[window.start_sample:window.end_sample]))
        stitched = stitcher.stitched()
        stream.step(stitched[fed:])
        fed = stitched.shape[0]
    tail = stitcher.tail_window(audio.size)
    frames = stitcher.finish(tail, recognizer.log_posteriors(audio[tail.start_sample:tail.end_sample]))
    result = stream.end(frames[fed:])
    assert stitcher.windows > 3
    assert result == decoder.decode(frames)
    assert not any(0x3131 <= ord(ch) <= 0x318E for ch in result.text)  # no lone jamo from the jamo model
    assert len(result.chars) == len(result.text.replace(" ", ""))
