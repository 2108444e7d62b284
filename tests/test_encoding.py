"""UtteranceEncoder: windowed encoding through a real (tiny) checkpoint, whole as fallback."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from livekr.config import EncodingOptions, RecognizerOptions
from livekr.encoding import UtteranceEncoder
from livekr.windowing import frames_for
from tests.conftest import ScriptedRecognizer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def recognizer(tiny_wav2vec2: Path):  # type: ignore[no-untyped-def]
    from livekr.recognizer import load_recognizer

    return load_recognizer(str(tiny_wav2vec2), RecognizerOptions(device="cpu"))


class CountingRecognizer:
    """Wraps a real recognizer and records the length of every span it encodes."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.name, self.device_label = inner.name, inner.device_label
        self.frame_s, self.tokens = inner.frame_s, inner.tokens
        self.spans: list[int] = []

    def log_posteriors(self, audio: np.ndarray) -> np.ndarray:
        self.spans.append(audio.size)
        return self.inner.log_posteriors(audio)  # type: ignore[no-any-return]

    def recognize(self, audio: np.ndarray):  # type: ignore[no-untyped-def]
        return self.inner.recognize(audio)


def speechlike(seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16000)) / 16000
    return (0.1 * np.sin(2 * np.pi * 180 * t * (1 + 0.3 * np.sin(t))) + 0.02 * rng.standard_normal(t.size)
            ).astype(np.float32)


def test_a_long_utterance_costs_one_window_per_pass_and_keeps_every_frame(recognizer) -> None:  # type: ignore[no-untyped-def]
    counting = CountingRecognizer(recognizer)
    encoder = UtteranceEncoder(counting, EncodingOptions(left_s=2.0, chunk_s=1.0, right_s=0.5))  # type: ignore[arg-type]
    audio = speechlike(15.0)
    for seconds in np.arange(0.5, 15.0, 0.5):  # partials while the speaker goes on
        encoder.partial(0, audio[: int(seconds * 16000)])
    result = encoder.final(0, audio)
    assert max(counting.spans) <= encoder.window_samples + 16000  # never the whole 15 s
    assert len(result.chars) <= frames_for(audio.size)
    last = result.chars[-1].end_s if result.chars else 0.0
    assert last <= audio.size / 16000 + 0.05  # times stay on the utterance's clock


def test_an_utterance_within_one_window_decodes_exactly_as_whole(recognizer) -> None:  # type: ignore[no-untyped-def]
    audio = speechlike(2.0, seed=3)
    encoder = UtteranceEncoder(recognizer, EncodingOptions(left_s=4.0, chunk_s=2.0, right_s=1.0))
    windowed = encoder.final(0, audio)
    whole = recognizer.recognize(audio)
    assert (windowed.text, windowed.chars) == (whole.text, whole.chars)


def test_whole_mode_and_recognizers_without_frames_decode_whole(recognizer) -> None:  # type: ignore[no-untyped-def]
    counting = CountingRecognizer(recognizer)
    whole = UtteranceEncoder(counting, EncodingOptions(mode="whole"))  # type: ignore[arg-type]
    whole.final(0, speechlike(8.0))
    assert not whole.windowed and counting.spans == []  # recognize(): one pass over all of it
    scripted = UtteranceEncoder(ScriptedRecognizer(["가"]), EncodingOptions())  # type: ignore[arg-type]
    assert not scripted.windowed and scripted.final(0, speechlike(8.0)).text == "가"


def test_the_pipeline_encodes_a_long_utterance_window_by_window(recognizer, speak) -> None:  # type: ignore[no-untyped-def]
    from livekr.audio import ArraySource
    from livekr.config import PipelineOptions
    from livekr.events import Final
    from livekr.pipeline import StreamingTranscriber
    from tests.conftest import silence

    parts = [silence(0.5)]
    for text in ("안녕하세요 반갑습니다", "오늘 날씨가 좋습니다", "대한민국은 민주공화국이다") * 2:
        parts += [speak(text), silence(0.2)]  # pauses too short to end the utterance
    parts.append(silence(1.0))
    audio = np.concatenate(parts)
    counting = CountingRecognizer(recognizer)
    events: list[object] = []
    options = EncodingOptions(mode="windowed", left_s=2.0, chunk_s=1.0, right_s=0.5)
    transcriber = StreamingTranscriber(ArraySource(audio), counting, events.append,  # type: ignore[arg-type]
                                       options=PipelineOptions(partials=False), encoding=options)
    transcriber.start()
    assert transcriber.wait(120)
    finals = [e for e in events if isinstance(e, Final)]
    assert len(finals) == 1 and finals[0].utterance.end_s - finals[0].utterance.start_s > 10.0
    assert transcriber.encoder.windows_encoded >= 8  # windows while the speech went on, then a tail
    assert max(counting.spans) <= transcriber.encoder.window_samples + 16000
