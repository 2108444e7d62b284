"""StreamingTranscriber with a scripted recognizer: ordering, draining, backlog, failures."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

import numpy as np
import pytest

from livekr.audio import ArraySource, AudioError
from livekr.cadence import partial_due, partial_interval_s
from livekr.config import SAMPLE_RATE, PipelineOptions, SegmenterOptions
from livekr.events import Failure, Final, Finished, LevelChanged, Partial, PipelineEvent, Stats
from livekr.pipeline import StreamingTranscriber
from tests.conftest import ScriptedRecognizer, silence

WAIT_S = 30.0
BLOCK = SAMPLE_RATE * 30 // 1000


class QueueSource:
    """A live source the test feeds block by block; ``close()`` ends the stream."""

    live = True
    description = "test queue"

    def __init__(self) -> None:
        self._q: queue.Queue[np.ndarray | None] = queue.Queue()
        self._ended = False
        self.dropped_blocks = 0
        self.status_errors = 0

    def push(self, samples: np.ndarray) -> None:
        for i in range(0, samples.size, BLOCK):
            self._q.put(samples[i : i + BLOCK])

    def close(self) -> None:
        self._q.put(None)

    def start(self) -> None:
        pass

    def read(self, timeout_s: float) -> np.ndarray | None:
        if self._ended:
            return None
        try:
            block = self._q.get(timeout=timeout_s)
        except queue.Empty:
            return np.zeros(0, dtype=np.float32)
        if block is None:
            self._ended = True
        return block

    def stop(self) -> None:
        self._q.put(None)


class FailingSource(ArraySource):
    """Plays its samples, then fails the way an unplugged device does."""

    def __init__(self, samples: np.ndarray, fail_after_blocks: int) -> None:
        super().__init__(samples)
        self.fail_after = fail_after_blocks
        self.reads = 0

    def read(self, timeout_s: float) -> np.ndarray | None:
        self.reads += 1
        if self.reads > self.fail_after:
            raise AudioError("the input device stopped delivering audio")
        return super().read(timeout_s)


class Recorder:
    """Collects events in order; lets a test wait for one matching a condition."""

    def __init__(self) -> None:
        self.events: list[PipelineEvent] = []
        self._cond = threading.Condition()

    def __call__(self, event: PipelineEvent) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[PipelineEvent], bool]) -> PipelineEvent:
        with self._cond:
            ok = self._cond.wait_for(lambda: any(predicate(e) for e in self.events), WAIT_S)
            assert ok, f"no matching event; got {[type(e).__name__ for e in self.events]}"
            return next(e for e in self.events if predicate(e))

    def of(self, kind: type) -> list:
        with self._cond:
            return [e for e in self.events if isinstance(e, kind)]


def finished(e: PipelineEvent) -> bool:
    return isinstance(e, Finished)


def test_partial_comes_before_the_final_of_the_same_utterance(speak) -> None:
    speech = speak("안녕하세요 오늘 날씨가 좋습니다")
    source, rec = QueueSource(), Recorder()
    transcriber = StreamingTranscriber(source, ScriptedRecognizer(["가나"]), rec)
    transcriber.start()
    source.push(silence(0.5))
    source.push(speech[: speech.size // 2])
    partial = rec.wait_for(lambda e: isinstance(e, Partial))
    source.push(speech[speech.size // 2 :])
    source.push(silence(1.5))
    final = rec.wait_for(lambda e: isinstance(e, Final))
    source.close()
    rec.wait_for(finished)
    assert rec.events.index(partial) < rec.events.index(final)
    assert partial.utterance == final.utterance.index == 0
    assert partial.text == "가나" and final.utterance.text == "가나"
    assert partial.end_s < final.utterance.end_s
    assert all(p.utterance == 0 for p in rec.of(Partial))
    assert rec.events.index(rec.of(Partial)[-1]) < rec.events.index(final)


def test_finals_are_never_dropped_when_the_recognizer_is_slow(speak) -> None:
    phrases = ["안녕하세요", "반갑습니다", "대한민국", "민주공화국", "오늘 날씨"]
    gate = threading.Event()
    recognizer = ScriptedRecognizer([f"문장{i}" for i in range(len(phrases))], gate=gate)
    source, rec = QueueSource(), Recorder()
    transcriber = StreamingTranscriber(source, recognizer, rec, options=PipelineOptions(partials=False))
    transcriber.start()
    for phrase in phrases:
        source.push(speak(phrase))
        source.push(silence(1.2))
    source.close()
    recognizer.entered.wait(WAIT_S)
    backlog = rec.wait_for(lambda e: isinstance(e, Stats) and e.pending_finals >= 2)
    assert backlog.backlog_s > 0.5
    gate.set()
    rec.wait_for(finished)
    finals = rec.of(Final)
    assert [f.utterance.text for f in finals] == [f"문장{i}" for i in range(len(phrases))]
    assert [f.utterance.index for f in finals] == list(range(len(phrases)))
    starts = [f.utterance.start_s for f in finals]
    assert starts == sorted(starts)
    assert rec.of(Finished)[0].utterances == len(phrases)


def test_partials_are_skipped_first_when_inference_falls_behind(speak) -> None:
    gate = threading.Event()
    recognizer = ScriptedRecognizer(["가"], gate=gate)
    source, rec = QueueSource(), Recorder()
    options = PipelineOptions(min_partial_interval_s=0.06)
    transcriber = StreamingTranscriber(source, recognizer, rec, options=options)
    transcriber.start()
    speech = speak("대한민국은 민주공화국이다 대한민국의 주권은 국민에게 있고")
    source.push(speech[: speech.size // 3])
    assert recognizer.entered.wait(WAIT_S)  # the first partial holds the worker
    source.push(speech[speech.size // 3 :])
    source.push(silence(2.0))
    # the utterance has ended and its final waits: every partial request has been made
    rec.wait_for(lambda e: isinstance(e, Stats) and e.pending_finals == 1)
    gate.set()
    source.close()
    rec.wait_for(finished)
    assert len(rec.of(Final)) == 1
    assert rec.of(Stats)[-1].partials_skipped > 0
    assert len(recognizer.calls) == 2  # the first partial and the final; no skipped request decoded


def test_stop_drains_the_utterance_in_progress(speak) -> None:
    source, rec = QueueSource(), Recorder()
    transcriber = StreamingTranscriber(source, ScriptedRecognizer(["끝"]), rec)
    transcriber.start()
    source.push(speak("지금 말하는 중입니다"))
    rec.wait_for(lambda e: isinstance(e, LevelChanged) and e.speech)
    transcriber.stop()
    assert transcriber.wait(WAIT_S)
    finals = rec.of(Final)
    assert [f.utterance.text for f in finals] == ["끝"]
    assert isinstance(rec.events[-1], Finished)
    assert rec.events.index(finals[0]) < len(rec.events) - 1


@pytest.mark.parametrize("kind", ["silence", "noise"])
def test_no_text_from_silence_or_noise(kind: str) -> None:
    rng = np.random.default_rng(7)
    audio = silence(6) if kind == "silence" else (rng.standard_normal(6 * SAMPLE_RATE) * 0.003)
    recognizer, rec = ScriptedRecognizer(["가"]), Recorder()
    transcriber = StreamingTranscriber(ArraySource(audio.astype(np.float32)), recognizer, rec)
    transcriber.run()
    assert rec.of(Final) == [] and rec.of(Partial) == []
    assert recognizer.calls == []
    assert len(rec.of(LevelChanged)) > 100


def test_recognition_failure_is_reported_and_later_utterances_still_decoded(speak) -> None:
    audio = np.concatenate([speak("첫 번째 문장"), silence(1.2), speak("두 번째 문장"), silence(1.2)])
    recognizer, rec = ScriptedRecognizer(["하나", "둘"], fail_on=0), Recorder()
    options = PipelineOptions(partials=False)
    StreamingTranscriber(ArraySource(audio), recognizer, rec, options=options).run()
    failures = rec.of(Failure)
    assert len(failures) == 1 and "recognition failed" in failures[0].message
    assert [f.utterance.text for f in rec.of(Final)] == ["둘"]
    assert isinstance(rec.events[-1], Finished)


def test_device_loss_keeps_what_was_captured(speak) -> None:
    first = speak("첫 번째 문장")
    audio = np.concatenate([first, silence(1.2), speak("두 번째 문장이 길게 이어집니다")])
    blocks_until_mid_second = (first.size + SAMPLE_RATE * 2) // BLOCK
    source = FailingSource(audio, fail_after_blocks=blocks_until_mid_second)
    rec = Recorder()
    StreamingTranscriber(
        source, ScriptedRecognizer(["하나", "둘"]), rec, options=PipelineOptions(partials=False)
    ).run()
    assert "stopped delivering" in rec.of(Failure)[0].message
    assert [f.utterance.text for f in rec.of(Final)] == ["하나", "둘"]
    assert isinstance(rec.events[-1], Finished)


def test_file_like_sources_are_paused_not_dropped_when_finals_pile_up(speak) -> None:
    parts = []
    for i in range(6):
        parts += [speak(f"문장 {i} 입니다"), silence(1.0)]
    recognizer, rec = ScriptedRecognizer([str(i) for i in range(6)]), Recorder()
    options = PipelineOptions(partials=False, max_pending_finals=1)
    StreamingTranscriber(ArraySource(np.concatenate(parts)), recognizer, rec, options=options).run()
    assert [f.utterance.text for f in rec.of(Final)] == [str(i) for i in range(6)]
    assert max(s.pending_finals for s in rec.of(Stats)) <= 1


def test_event_times_follow_stream_samples(speak) -> None:
    speech = speak("시간을 확인합니다")
    audio = np.concatenate([silence(2.0), speech, silence(1.5)])
    rec = Recorder()
    seg = SegmenterOptions(pre_roll_ms=300)
    StreamingTranscriber(ArraySource(audio), ScriptedRecognizer(["가"]), rec, seg).run()
    (final,) = rec.of(Final)
    assert 1.5 <= final.utterance.start_s <= 2.4
    assert 2.0 + speech.size / SAMPLE_RATE - 0.6 <= final.utterance.end_s <= audio.size / SAMPLE_RATE
    assert final.latency_s >= 0
    assert rec.of(Finished)[0].audio_s == pytest.approx(audio.size / SAMPLE_RATE, abs=0.031)


def test_partial_interval_adapts_to_forward_time() -> None:
    options = PipelineOptions(min_partial_interval_s=0.25, partial_duty=0.5)
    assert partial_interval_s(options, 0.01) == 0.25
    assert partial_interval_s(options, 0.4) == pytest.approx(0.8)


def test_an_utterance_without_text_takes_back_its_partial(speak) -> None:
    speech = speak("아무 말도 인식되지 않는 문장입니다")
    source, rec = QueueSource(), Recorder()
    recognizer = ScriptedRecognizer(["중간", ""])
    transcriber = StreamingTranscriber(source, recognizer, rec)
    transcriber.start()
    source.push(speech[: speech.size // 2])
    rec.wait_for(lambda e: isinstance(e, Partial) and e.text == "중간")
    with recognizer._lock:
        recognizer.texts = [""]  # from now on the model hears nothing
    source.push(speech[speech.size // 2 :])
    source.push(silence(1.5))
    source.close()
    rec.wait_for(finished)
    partials = rec.of(Partial)
    assert rec.of(Final) == []
    assert partials[-1].text == "" and partials[-1].utterance == 0
    assert rec.events.index(partials[-1]) < len(rec.events) - 1


@pytest.mark.parametrize(
    ("utterance_s", "trailing_ms", "since_last_s", "forward_per_audio", "due"),
    [
        (2.0, 0, 0.30, 0.0, True),  # nothing measured yet: the minimum interval
        (2.0, 0, 0.20, 0.0, False),
        (2.0, 150, 0.30, 0.0, False),  # the speaker paused: the final is near
        (2.0, 120, 0.30, 0.0, True),
        (10.0, 0, 1.0, 0.1, False),  # 10 s at 0.1 s/s: 1 s forward, 2 s apart at duty 0.5
        (10.0, 0, 2.0, 0.1, True),
        (1.0, 0, 0.3, 0.1, True),  # a new short utterance is not held back by a long one
    ],
)
def test_partial_due(utterance_s, trailing_ms, since_last_s, forward_per_audio, due) -> None:
    options = PipelineOptions(min_partial_interval_s=0.25, partial_duty=0.5, partial_pause_ms=150)
    assert (
        partial_due(
            options,
            int(utterance_s * SAMPLE_RATE),
            trailing_ms * SAMPLE_RATE // 1000,
            int(since_last_s * SAMPLE_RATE),
            forward_per_audio,
        )
        is due
    )


def test_trailing_silence_is_counted_only_in_speech(speak) -> None:
    from livekr.segmenter import Segmenter

    seg = Segmenter()
    seg.feed(speak("안녕하세요"))
    assert seg.in_speech
    before = seg.trailing_silence_samples
    seg.feed(silence(0.3))
    assert seg.trailing_silence_samples >= before + int(0.27 * SAMPLE_RATE)
    seg.feed(silence(1.0))
    assert not seg.in_speech and seg.trailing_silence_samples == 0


class EndlessSource:
    """A live source whose device goes on delivering after stop(), at its own pace: the
    way a microphone opened after the stop request behaved."""

    live = True
    description = "endless"
    dropped_blocks = 0
    status_errors = 0

    def __init__(self) -> None:
        self._blocks: queue.Queue[np.ndarray] = queue.Queue()
        self._halt = threading.Event()  # only the test ends the device
        self._device = threading.Thread(target=self._deliver, daemon=True)

    def _deliver(self) -> None:
        while not self._halt.is_set():
            self._blocks.put(np.full(BLOCK, 0.001, dtype=np.float32))
            self._halt.wait(BLOCK / SAMPLE_RATE)

    def start(self) -> None:
        self._device.start()

    def read(self, timeout_s: float) -> np.ndarray | None:
        try:
            return self._blocks.get(timeout=timeout_s)
        except queue.Empty:
            return np.zeros(0, dtype=np.float32)

    def stop(self) -> None:
        pass

    def unplug(self) -> None:
        self._halt.set()


def test_stop_ends_the_session_even_if_the_source_keeps_delivering() -> None:
    source, rec = EndlessSource(), Recorder()
    transcriber = StreamingTranscriber(source, ScriptedRecognizer(), rec)
    transcriber.start()
    rec.wait_for(lambda e: isinstance(e, LevelChanged))
    transcriber.stop()
    try:
        assert transcriber.wait(WAIT_S), "the reader went on reading after stop()"
    finally:
        source.unplug()
    assert isinstance(rec.events[-1], Finished)


def test_abandon_drops_the_queued_finals_and_says_how_much(speak) -> None:
    gate = threading.Event()
    recognizer = ScriptedRecognizer(["하나", "둘", "셋"], gate=gate)
    source, rec = QueueSource(), Recorder()
    transcriber = StreamingTranscriber(source, recognizer, rec, options=PipelineOptions(partials=False))
    transcriber.start()
    pushed = 0
    for phrase in ("첫 번째 문장", "두 번째 문장", "세 번째 문장"):
        speech = speak(phrase)
        source.push(speech)
        source.push(silence(2.0))
        pushed += speech.size + 2 * SAMPLE_RATE
    assert recognizer.entered.wait(WAIT_S)  # the first final is being decoded
    all_ended_s = pushed / SAMPLE_RATE - 1.2  # the last pause has ended the last utterance
    queued = rec.wait_for(lambda e: isinstance(e, Stats) and e.time_s >= all_ended_s)
    assert queued.pending_finals == 2
    transcriber.abandon()
    gate.set()
    assert transcriber.wait(WAIT_S)
    assert [f.utterance.text for f in rec.of(Final)] == ["하나"]  # the one in progress is kept
    (failure,) = rec.of(Failure)
    assert f"stopped before 2 utterance(s) ({queued.backlog_s:.1f} s of speech)" in failure.message
    assert len(recognizer.calls) == 1
    assert rec.of(Finished)[0].utterances == 1


def test_run_turns_a_stop_signal_into_stop_and_drains(speak) -> None:
    import signal

    source = QueueSource()
    source.push(speak("신호를 받으면 멈춥니다"))
    source.push(silence(1.2))
    source.push(speak("이것도 받아 적습니다"))  # in progress when the signal comes

    def on_event(event: PipelineEvent) -> None:
        rec(event)
        if isinstance(event, Final) and event.utterance.index == 0:
            signal.raise_signal(signal.SIGINT)  # Ctrl-C, while run() waits

    rec = Recorder()
    options = PipelineOptions(partials=False)
    transcriber = StreamingTranscriber(source, ScriptedRecognizer(["하나", "둘"]), on_event, options=options)
    stop_signals = [getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)]
    previous = {s: signal.getsignal(s) for s in stop_signals}
    try:
        transcriber.run()
        after = signal.getsignal(signal.SIGINT)
    finally:
        for s in stop_signals:
            signal.signal(s, previous[s])
    assert transcriber.stopped_by == "SIGINT"
    assert [f.utterance.text for f in rec.of(Final)] == ["하나", "둘"]
    assert isinstance(rec.events[-1], Finished)
    assert after == signal.SIG_IGN  # the caller is saving: another Ctrl-C must not cut it short


def test_a_stop_signal_that_comes_as_the_session_finishes_is_not_lost() -> None:
    import signal

    def on_event(event: PipelineEvent) -> None:
        if isinstance(event, Finished):
            signal.raise_signal(signal.SIGTERM)  # just before run() sees the session finished

    transcriber = StreamingTranscriber(ArraySource(silence(1.0)), ScriptedRecognizer(), on_event)
    stop_signals = [getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)]
    previous = {s: signal.getsignal(s) for s in stop_signals}
    try:
        transcriber.run()
    finally:
        for s in stop_signals:
            signal.signal(s, previous[s])
    assert transcriber.stopped_by == "SIGTERM"
