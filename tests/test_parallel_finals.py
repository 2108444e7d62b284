"""Finals of a file decoded side by side: planned from the cores, delivered in order, a failure
costing only its own utterance, and the same text as one at a time."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from livekr.audio import ArraySource
from livekr.config import SAMPLE_RATE, PipelineOptions, RecognizerOptions
from livekr.ctc import CharSpan
from livekr.events import Failure, Final, PipelineEvent, Stats
from livekr.pipeline import StreamingTranscriber
from livekr.recognizer import Recognition
from livekr.side_by_side import plan_file_decoding
from tests.conftest import silence
from tests.test_pipeline import Recorder


@pytest.mark.parametrize(("parallel", "threads", "cores", "plan"), [
    (0, 0, 2, (2, 1)),     # the default on two cores: two finals at once, one thread each
    (0, 0, 16, (4, 4)),    # at most four at once; the cores are shared out
    (0, 0, 1, (1, 0)),     # one core: one at a time, the library's threads
    (0, 3, 8, (1, 3)),     # the user's thread count is kept: one at a time
    (3, 0, 8, (3, 2)),     # the user's count of finals: threads follow
    (2, 4, 8, (2, 4)),     # both given: both kept
])
def test_the_plan_shares_the_cores(parallel: int, threads: int, cores: int, plan: tuple[int, int]) -> None:
    assert plan_file_decoding(parallel, threads, cores) == plan


class LengthRecognizer:
    """Says how long the audio was (in tenths of a second), from any thread; holds every call
    until ``gate`` is set and records the threads it ran on. Fails on ``fail_tenths``."""

    name = "length"
    device_label = "test"

    def __init__(self, gate: threading.Event, fail_tenths: int | None = None) -> None:
        self.gate = gate
        self.fail_tenths = fail_tenths
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def recognize(self, audio: np.ndarray) -> Recognition:
        assert self.gate.wait(10), "the test never opened the gate"
        with self._lock:
            self.threads.add(threading.current_thread().name)
        tenths = round(audio.size / SAMPLE_RATE * 10)
        if tenths == self.fail_tenths:
            raise RuntimeError("scripted failure")
        text = str(tenths)
        chars = tuple(CharSpan(c, 0.0, 0.1, 0.9) for c in text)
        return Recognition(text, chars, 0.9, audio.size / SAMPLE_RATE, 0.0)


SENTENCES = ("첫 번째 문장입니다", "두 번째 문장", "세 번째 문장이 조금 더 깁니다", "네 번째",
             "다섯 번째 문장입니다")


def spoken(speak, count: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    """``count`` sentences between 1.2 s pauses: one utterance each."""
    return np.concatenate([silence(0.3)] + [np.concatenate([speak(s), silence(1.2)])
                                            for s in SENTENCES[:count]])


def run_file(recognizer: LengthRecognizer, audio: np.ndarray, parallel: int) -> Recorder:
    """Transcribe ``audio`` as a file would be; the gate opens once two finals are queued, so
    the worker finds several waiting."""
    rec = Recorder()

    def on_event(event: PipelineEvent) -> None:
        rec(event)
        if isinstance(event, Stats) and event.pending_finals >= 2:
            recognizer.gate.set()

    options = PipelineOptions(partials=False, parallel_finals=parallel)
    transcriber = StreamingTranscriber(ArraySource(audio), recognizer, on_event, options=options)
    transcriber.start()  # the source ends by itself
    assert transcriber.wait(30)
    recognizer.gate.set()
    return rec


def test_finals_decoded_side_by_side_come_out_in_order(speak) -> None:  # type: ignore[no-untyped-def]
    recognizer = LengthRecognizer(threading.Event())
    rec = run_file(recognizer, spoken(speak, 5), parallel=2)
    finals = [f.utterance for f in rec.of(Final)]
    assert len(finals) == 5 and not rec.of(Failure)
    assert [u.start_s for u in finals] == sorted(u.start_s for u in finals)
    for u in finals:  # each final carries its own utterance's text
        assert int(u.text) == round((u.end_s - u.start_s) * 10)
    assert any(name.startswith("livekr-final") for name in recognizer.threads)


def test_a_failure_side_by_side_costs_only_its_utterance(speak) -> None:  # type: ignore[no-untyped-def]
    audio = spoken(speak, 4)
    probe = run_file(LengthRecognizer(threading.Event()), audio, parallel=1)
    lengths = [int(f.utterance.text) for f in probe.of(Final)]
    assert len(lengths) == 4 and len(set(lengths)) == 4
    recognizer = LengthRecognizer(threading.Event(), fail_tenths=lengths[1])
    rec = run_file(recognizer, audio, parallel=2)
    assert [int(f.utterance.text) for f in rec.of(Final)] == lengths[:1] + lengths[2:]
    (failure,) = rec.of(Failure)
    assert "recognition failed" in failure.message and "scripted failure" in failure.message


def test_live_sources_and_partials_decode_one_at_a_time() -> None:
    recognizer = LengthRecognizer(threading.Event())
    live = ArraySource(silence(0.1), realtime=True)
    files_only = PipelineOptions(partials=False, parallel_finals=4)
    assert StreamingTranscriber(live, recognizer, Recorder(), options=files_only).parallel_finals == 1
    with_partials = StreamingTranscriber(ArraySource(silence(0.1)), recognizer, Recorder(),
                                         options=PipelineOptions(partials=True, parallel_finals=4))
    assert with_partials.parallel_finals == 1


@pytest.mark.slow
def test_side_by_side_gives_the_same_text_as_one_at_a_time(tiny_wav2vec2: Path, speak) -> None:  # type: ignore[no-untyped-def]
    from livekr.recognizer import load_recognizer

    recognizer = load_recognizer(str(tiny_wav2vec2), RecognizerOptions(device="cpu", backend="torch",
                                                                       threads=1))
    audio = spoken(speak, 4)
    texts = {}
    for parallel in (1, 2):
        rec = Recorder()
        options = PipelineOptions(partials=False, parallel_finals=parallel)
        StreamingTranscriber(ArraySource(audio), recognizer, rec, options=options).run()
        texts[parallel] = [(f.utterance.start_s, f.utterance.text, f.utterance.chars) for f in rec.of(Final)]
    assert len(texts[1]) == 4 and texts[2] == texts[1]


def test_transcribe_plans_files_from_the_cores() -> None:
    from livekr import cli, cpu

    parser = cli.build_parser()
    args = parser.parse_args(["transcribe", "a.wav"])
    cli.plan_files(args)
    workers, threads = plan_file_decoding(0, 0, cpu.this_cpu().cores)
    assert (args.parallel_finals, args.threads) == (workers, threads)
    realtime = parser.parse_args(["transcribe", "--realtime", "a.wav"])
    cli.plan_files(realtime)
    assert not hasattr(realtime, "parallel_finals")
    given = parser.parse_args(["transcribe", "--threads", "2", "a.wav"])
    cli.plan_files(given)
    assert (given.parallel_finals, given.threads) == (1, 2)
