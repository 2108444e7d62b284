"""livekr.segmenter: utterance boundaries on synthetic speech, and what must hold for any input.

Speech comes from espeak-ng (the ``speak`` fixture), trimmed to its first and last audible
sample so that every onset and offset below is known to the sample. Stream positions are
samples at 16 kHz.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livekr.config import SAMPLE_RATE, SegmenterOptions
from livekr.segmenter import (
    SILENCE_DB,
    Level,
    Segmenter,
    SegmentEvent,
    SpeechEnded,
    SpeechStarted,
    level_of,
    to_float32,
)

MS = SAMPLE_RATE // 1000  # samples per millisecond
PHRASES = ("안녕하세요 반갑습니다", "대한민국은 민주공화국이다", "오늘 날씨가 좋습니다")
AUDIBLE = 1e-3  # |sample| above this counts as sound when trimming synthetic speech


def trim(x: np.ndarray) -> np.ndarray:
    """``x`` from its first to its last audible sample."""
    loud = np.flatnonzero(np.abs(x) > AUDIBLE)
    return x[loud[0] : loud[-1] + 1]


def zeros(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SAMPLE_RATE), dtype=np.float32)


def noise(seconds: float, dbfs: float, seed: int) -> np.ndarray:
    """White noise with an RMS of ``dbfs``."""
    rng = np.random.default_rng(seed)
    n = round(seconds * SAMPLE_RATE)
    return (rng.standard_normal(n) * 10 ** (dbfs / 20)).astype(np.float32)


@dataclass
class Run:
    """Everything one pass of a segmenter over a signal produced."""

    events: list[SegmentEvent]
    per_feed: list[list[SegmentEvent]]
    positions: list[int]
    """``Segmenter.position`` after each feed."""
    in_speech: list[bool]
    """``Segmenter.in_speech`` after each feed."""
    sizes: list[int]
    """Length of each block fed."""

    @property
    def boundaries(self) -> list[SpeechStarted | SpeechEnded]:
        return [e for e in self.events if isinstance(e, SpeechStarted | SpeechEnded)]

    @property
    def ended(self) -> list[SpeechEnded]:
        return [e for e in self.events if isinstance(e, SpeechEnded)]


def run(seg: Segmenter, x: np.ndarray, blocks: Sequence[int] = (480,)) -> Run:
    """Feed ``x`` in blocks whose sizes cycle through ``blocks``, then flush."""
    sizes = list(blocks) if any(blocks) else [480]
    out = Run([], [], [], [], [])
    i = k = 0
    while i < x.size:
        size = sizes[k % len(sizes)]
        k += 1
        block = x[i : i + size]
        events = seg.feed(block)
        i += size
        out.sizes.append(block.size)
        out.per_feed.append(events)
        out.positions.append(seg.position)
        out.in_speech.append(seg.in_speech)
        out.events += events
    out.events += seg.flush()
    return out


def key(events: Sequence[SegmentEvent]) -> list[tuple]:
    """Segmentation decisions only: what must not depend on how the audio was blocked."""
    out: list[tuple] = []
    for e in events:
        if isinstance(e, SpeechStarted):
            out.append(("started", e.start_sample))
        elif isinstance(e, SpeechEnded):
            out.append(("ended", e.start_sample, e.end_sample, e.detected_sample, e.split))
    return out


@pytest.fixture(scope="session")
def phrases(speak: Callable[..., np.ndarray]) -> list[np.ndarray]:
    return [trim(speak(p)) for p in PHRASES]


@pytest.fixture(scope="session")
def snippets(speak: Callable[..., np.ndarray], phrases: list[np.ndarray]) -> list[np.ndarray]:
    """A small fixed set of speech for the property tests: three phrases and another voice."""
    return [*phrases, trim(speak("네 알겠습니다", "ko+f3"))]


# -- boundaries on synthetic speech --------------------------------------------------------


@pytest.mark.parametrize("frame_ms", [10, 20, 30])
def test_one_utterance_per_phrase_with_pre_and_post_roll(phrases: list[np.ndarray], frame_ms: int) -> None:
    opts = SegmenterOptions(frame_ms=frame_ms)
    frame = frame_ms * MS
    parts, spans, pos = [zeros(1.0)], [], SAMPLE_RATE
    for p in phrases:
        spans.append((pos, pos + p.size))
        parts += [p, zeros(1.5)]
        pos += p.size + round(1.5 * SAMPLE_RATE)
    x = np.concatenate(parts)

    result = run(Segmenter(opts), x, blocks=[512])

    kinds = [type(e) for e in result.boundaries]
    assert kinds == [SpeechStarted, SpeechEnded] * len(phrases)
    for u, (onset, offset) in zip(result.ended, spans, strict=True):
        assert not u.split
        np.testing.assert_array_equal(u.audio, x[u.start_sample : u.end_sample])
        # The first voiced frame holds the onset (espeak starts loud enough), so the start
        # sits one pre-roll before it, give or take the frame grid.
        lead_ms = (onset - u.start_sample) / MS
        assert opts.pre_roll_ms - frame_ms <= lead_ms <= opts.pre_roll_ms + frame_ms
        # The whole post-roll is kept after the last voiced frame, which is at or after the
        # offset; webrtcvad's own hang-over adds at most ~150 ms more.
        tail_ms = (u.end_sample - offset) / MS
        assert opts.post_roll_ms <= tail_ms <= opts.post_roll_ms + 150
        # The end is decided after end_silence_ms of unvoiced frames.
        end_frames = math.ceil(opts.end_silence_ms / frame_ms)
        assert u.detected_sample - u.end_sample == end_frames * frame - opts.post_roll_ms * MS


@pytest.mark.parametrize(("pause_s", "utterances"), [(0.2, 1), (0.45, 1), (1.2, 2)])
def test_short_pause_does_not_split(phrases: list[np.ndarray], pause_s: float, utterances: int) -> None:
    # Default end_silence_ms is 700: shorter pauses belong to the utterance.
    x = np.concatenate([zeros(1.0), phrases[0], zeros(pause_s), phrases[1], zeros(1.5)])
    result = run(Segmenter(), x)
    assert len(result.ended) == utterances
    first, last = result.ended[0], result.ended[-1]
    assert first.start_sample < SAMPLE_RATE < first.end_sample
    assert last.end_sample > x.size - round(1.5 * SAMPLE_RATE)
    for u in result.ended:
        np.testing.assert_array_equal(u.audio, x[u.start_sample : u.end_sample])


@pytest.mark.parametrize("frame_ms", [10, 30])
@pytest.mark.parametrize("aggressiveness", [0, 3])
@pytest.mark.parametrize("dbfs", [None, -60.0, -50.0])
def test_silence_and_low_noise_never_start_speech(
    frame_ms: int, aggressiveness: int, dbfs: float | None
) -> None:
    x = zeros(10.0) if dbfs is None else noise(10.0, dbfs, seed=frame_ms + aggressiveness)
    seg = Segmenter(SegmenterOptions(frame_ms=frame_ms, aggressiveness=aggressiveness))
    result = run(seg, x, blocks=[1600])
    assert result.boundaries == []
    levels = [e for e in result.events if isinstance(e, Level)]
    assert len(levels) == x.size // 1600
    assert not any(lv.speech for lv in levels)
    for lv in levels:
        if dbfs is None:
            assert lv.rms_db == SILENCE_DB and lv.peak == 0.0
        else:
            assert abs(lv.rms_db - dbfs) < 1.0


def test_int16_input_is_segmented_like_float(phrases: list[np.ndarray]) -> None:
    x = np.concatenate([zeros(0.5), phrases[0], zeros(1.0)])
    pcm = np.round(x * 32767).astype(np.int16)
    as_float = pcm.astype(np.float32) / 32768.0
    a = run(Segmenter(), pcm, blocks=[333])
    b = run(Segmenter(), as_float, blocks=[333])
    assert len(a.ended) == 1
    assert key(a.events) == key(b.events)
    np.testing.assert_array_equal(a.ended[0].audio, b.ended[0].audio)
    assert a.ended[0].audio.dtype == np.float32


def test_flush_ends_utterance_in_progress(phrases: list[np.ndarray]) -> None:
    p = phrases[1]
    loudest = int(np.argmax(np.abs(p)))
    # Stop in the middle of speech, on a length that is not a whole number of frames.
    x = np.concatenate([zeros(1.0), p[: loudest + 100]])
    assert x.size % 480
    seg = Segmenter()
    events = seg.feed(x)
    assert [type(e) for e in events] == [SpeechStarted, Level]
    assert seg.in_speech
    start = events[0].start_sample  # type: ignore[union-attr]
    assert seg.utterance_start == start
    so_far = seg.current_audio()
    assert so_far is not None
    np.testing.assert_array_equal(so_far, x[start : start + so_far.size])
    assert start + so_far.size == x.size // 480 * 480  # whole frames only

    ended = seg.flush()
    assert len(ended) == 1 and isinstance(ended[0], SpeechEnded)
    u = ended[0]
    assert (u.start_sample, u.end_sample, u.detected_sample, u.split) == (start, x.size, x.size, False)
    np.testing.assert_array_equal(u.audio, x[start:])
    assert not seg.in_speech and seg.utterance_start is None and seg.current_audio() is None
    assert seg.flush() == []


def test_flush_when_idle_returns_nothing() -> None:
    seg = Segmenter()
    assert seg.flush() == []
    seg.feed(zeros(1.0)[:1000])
    assert seg.flush() == []
    assert seg.position == 1000


# -- maximum utterance length ------------------------------------------------------------


def test_max_utterance_splits_at_the_quietest_frame(phrases: list[np.ndarray]) -> None:
    opts = SegmenterOptions(max_utterance_s=3.5, split_search_s=2.0)
    frame = opts.frame_ms * MS
    pause = zeros(0.24)  # far shorter than end_silence_ms: one long utterance
    speech = np.concatenate([phrases[0], pause, phrases[1]])
    x = np.concatenate([zeros(1.0), speech, zeros(1.5)])
    x += noise(x.size / SAMPLE_RATE, -45.0, seed=7)[: x.size]  # every frame has energy...
    # ...except one frame of digital silence, on the frame grid, inside the first pause.
    quiet = (SAMPLE_RATE + phrases[0].size) // frame * frame + frame
    x[quiet : quiet + frame] = 0.0
    quiet_end = quiet + frame

    result = run(Segmenter(opts), x, blocks=[777])

    kinds = [type(e) for e in result.boundaries]
    assert kinds == [SpeechStarted, SpeechEnded, SpeechStarted, SpeechEnded]
    first, second = result.ended
    max_samples = round(opts.max_utterance_s * SAMPLE_RATE)
    # The cut was forced at the maximum length, and the quiet frame was in the search window
    # (this checks the construction of the signal, not the segmenter).
    assert first.split and not second.split
    assert max_samples <= first.detected_sample - first.start_sample < max_samples + frame
    assert first.detected_sample - quiet_end < opts.split_search_s * SAMPLE_RATE
    assert first.end_sample == quiet_end
    assert result.boundaries[2] == SpeechStarted(quiet_end)
    assert second.start_sample == quiet_end
    assert second.end_sample > SAMPLE_RATE + speech.size
    for u in result.ended:
        np.testing.assert_array_equal(u.audio, x[u.start_sample : u.end_sample])


def test_split_in_the_pause_after_speech(phrases: list[np.ndarray]) -> None:
    # Regression: when the maximum length was reached in a pause and the quietest frame lay
    # further after the last voiced frame than the post-roll, the remainder "utterance"
    # ended before it began and slicing it raised ValueError (negative length).
    x = np.concatenate([zeros(1.0), phrases[0], noise(0.45, -60.0, seed=3), zeros(1.5)])
    plain = run(Segmenter(SegmenterOptions()), x).ended
    assert len(plain) == 1
    start, end = plain[0].start_sample, plain[0].end_sample
    last_voiced_end = end - SegmenterOptions().post_roll_ms * MS
    # Reach the maximum 650 ms after the last voiced frame (before the 700 ms end silence):
    # the quietest frame is then the first all-zero frame, 450 ms after it.
    opts = SegmenterOptions(
        max_utterance_s=(last_voiced_end + 650 * MS - start) / SAMPLE_RATE, split_search_s=1.0
    )

    result = run(Segmenter(opts), x)

    assert [type(e) for e in result.boundaries] == [SpeechStarted, SpeechEnded]
    u = result.ended[0]
    assert u.split
    assert u.start_sample == start
    assert end <= u.end_sample <= last_voiced_end + 650 * MS
    np.testing.assert_array_equal(u.audio, x[u.start_sample : u.end_sample])


# -- the state machine, frame by frame, with a scripted voice-activity decision --------------


class LoudIsVoiced(Segmenter):
    """A segmenter whose voice-activity decision is "frame RMS above 0.01", so that which
    frames are voiced is known exactly (webrtcvad has its own hang-over)."""

    def _is_voiced(self, frame: np.ndarray) -> bool:
        return float(np.sqrt(np.mean(np.square(frame)))) > 0.01


def tone(seconds: float) -> np.ndarray:
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


@pytest.mark.parametrize("frame_ms", [10, 20, 30])
def test_state_machine_timing_is_exact(frame_ms: int) -> None:
    opts = SegmenterOptions(
        frame_ms=frame_ms, pre_roll_ms=90, post_roll_ms=60, end_silence_ms=300, min_speech_ms=120
    )
    frame = frame_ms * MS
    x = np.concatenate([zeros(0.6), tone(0.9), zeros(1.0)])
    onset, offset = round(0.6 * SAMPLE_RATE), round(1.5 * SAMPLE_RATE)
    seg = LoudIsVoiced(opts)
    result = run(seg, x, blocks=[frame])
    started_at = [
        pos
        for pos, evs in zip(result.positions, result.per_feed, strict=True)
        if any(isinstance(e, SpeechStarted) for e in evs)
    ]
    ended_at = [
        pos
        for pos, evs in zip(result.positions, result.per_feed, strict=True)
        if any(isinstance(e, SpeechEnded) for e in evs)
    ]
    min_frames = math.ceil(opts.min_speech_ms / frame_ms)
    end_frames = math.ceil(opts.end_silence_ms / frame_ms)
    assert started_at == [onset + min_frames * frame]  # start latency: min_speech_ms
    assert ended_at == [offset + end_frames * frame]  # end latency: end_silence_ms
    (u,) = result.ended
    assert u.start_sample == onset - opts.pre_roll_ms // frame_ms * frame
    assert u.end_sample == offset + opts.post_roll_ms * MS
    assert u.detected_sample == ended_at[0]
    # Level.speech follows the state after each block.
    assert result.in_speech == [started_at[0] <= p < ended_at[0] for p in result.positions]


def test_blip_shorter_than_min_speech_is_dropped() -> None:
    opts = SegmenterOptions(min_speech_ms=240, end_silence_ms=300)
    x = np.concatenate([zeros(0.5), tone(0.15), zeros(1.0)])
    assert run(LoudIsVoiced(opts), x).boundaries == []


def test_single_voiced_frame_with_no_minimum_speech() -> None:
    # Regression: with min_speech_ms=0 one voiced frame confirms speech; its end used to be
    # measured from the previous utterance's last voiced frame (a negative-length slice).
    opts = SegmenterOptions(min_speech_ms=0, pre_roll_ms=60, post_roll_ms=60, end_silence_ms=300)
    blip_at = round(2.7 * SAMPLE_RATE)  # on the 30 ms grid
    x = np.concatenate([zeros(0.6), tone(0.9), zeros(1.2), tone(0.03), zeros(1.0)])
    result = run(LoudIsVoiced(opts), x)
    assert [(u.start_sample, u.end_sample) for u in result.ended] == [
        (round(0.54 * SAMPLE_RATE), round(1.56 * SAMPLE_RATE)),
        (blip_at - 60 * MS, blip_at + 30 * MS + 60 * MS),
    ]


def test_pre_roll_never_reaches_into_the_previous_utterance() -> None:
    opts = SegmenterOptions(pre_roll_ms=600, post_roll_ms=300, end_silence_ms=300)
    x = np.concatenate([zeros(0.3), tone(0.6), zeros(0.45), tone(0.6), zeros(1.0)])
    first, second = run(LoudIsVoiced(opts), x).ended
    assert first.start_sample == 0  # pre-roll limited by the stream start
    assert second.start_sample == first.end_sample  # ...and by the previous utterance


# -- options and inputs ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"frame_ms": 25}, "frame_ms must be one of"),
        ({"aggressiveness": 4}, "aggressiveness must be at most 3, got 4"),
        ({"aggressiveness": -1}, "aggressiveness must be at least 0, got -1"),
        ({"frame_ms": 30, "end_silence_ms": 20}, "at least one frame"),
        ({"max_utterance_s": 4.0, "split_search_s": 4.0}, "longer than split_search_s"),
    ],
)
def test_invalid_options(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SegmenterOptions(**kwargs)


def test_rejects_multichannel_blocks() -> None:
    with pytest.raises(ValueError, match="mono"):
        Segmenter().feed(np.zeros((480, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="mono"):
        to_float32(np.zeros((2, 480), dtype=np.int16))


def test_level_of() -> None:
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    sine = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    db, peak = level_of(sine)
    assert db == pytest.approx(20 * math.log10(0.5 / math.sqrt(2)), abs=0.01)
    assert peak == pytest.approx(0.5, abs=1e-3)
    assert level_of(np.zeros(480, dtype=np.float32)) == (SILENCE_DB, 0.0)
    assert level_of(np.zeros(0, dtype=np.float32)) == (SILENCE_DB, 0.0)
    assert to_float32(np.array([-32768, 16384], dtype=np.int16)).tolist() == [-1.0, 0.5]


def test_empty_block_still_reports_a_level() -> None:
    seg = Segmenter()
    events = seg.feed(np.zeros(0, dtype=np.float32))
    assert events == [Level(0, SILENCE_DB, 0.0, False)]


# -- properties over random signals -------------------------------------------------------

PROPERTY = settings(max_examples=25, deadline=None, derandomize=True, database=None)


@st.composite
def options(draw: st.DrawFn) -> SegmenterOptions:
    frame_ms = draw(st.sampled_from([10, 20, 30]))
    return SegmenterOptions(
        frame_ms=frame_ms,
        aggressiveness=draw(st.integers(0, 3)),
        pre_roll_ms=draw(st.sampled_from([0, 90, 300])),
        end_silence_ms=draw(st.sampled_from([frame_ms, 200, 700])),
        post_roll_ms=draw(st.sampled_from([0, 200, 900])),
        min_speech_ms=draw(st.sampled_from([0, 60, 240])),
        max_utterance_s=draw(st.sampled_from([1.5, 3.0, 20.0])),
        split_search_s=draw(st.sampled_from([0.3, 1.0])),
    )


PIECE = st.one_of(
    st.tuples(st.just("speech"), st.integers(0, 3), st.floats(0, 0.5), st.floats(0.2, 1.0)),
    st.tuples(st.just("silence"), st.integers(0, 24_000)),
    st.tuples(st.just("noise"), st.integers(0, 24_000), st.sampled_from([-60.0, -45.0, -30.0])),
)


def build_signal(pieces: list[tuple], snippets: list[np.ndarray], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    parts = []
    for piece in pieces:
        if piece[0] == "speech":
            s = snippets[piece[1]]
            a = int(piece[2] * s.size)
            parts.append(s[a : a + max(1, int(piece[3] * s.size))])
        elif piece[0] == "silence":
            parts.append(np.zeros(piece[1], dtype=np.float32))
        else:
            parts.append((rng.standard_normal(piece[1]) * 10 ** (piece[2] / 20)).astype(np.float32))
    return np.clip(np.concatenate(parts), -1.0, 1.0).astype(np.float32)


def check_events(events: list[SegmentEvent], x: np.ndarray, opts: SegmenterOptions) -> None:
    """Every utterance is the input between its bounds; utterances alternate, are ordered,
    never overlap and are never longer than the maximum (plus the frame that triggered it)."""
    frame = opts.frame_ms * MS
    max_samples = int(opts.max_utterance_s * SAMPLE_RATE)
    boundaries = [e for e in events if isinstance(e, SpeechStarted | SpeechEnded)]
    assert [type(e) for e in boundaries] == [SpeechStarted, SpeechEnded] * (len(boundaries) // 2)
    previous_end = 0
    for started, ended in zip(boundaries[::2], boundaries[1::2], strict=True):
        assert isinstance(started, SpeechStarted) and isinstance(ended, SpeechEnded)
        assert started.start_sample == ended.start_sample
        assert previous_end <= ended.start_sample < ended.end_sample <= ended.detected_sample
        assert ended.detected_sample <= x.size
        assert ended.end_sample - ended.start_sample < max_samples + frame
        assert ended.audio.dtype == np.float32
        np.testing.assert_array_equal(ended.audio, x[ended.start_sample : ended.end_sample])
        previous_end = ended.end_sample


@PROPERTY
@given(
    opts=options(),
    pieces=st.lists(PIECE, min_size=1, max_size=6),
    blocks=st.lists(st.integers(0, 4000), min_size=1, max_size=6),
    seed=st.integers(0, 99),
)
def test_segmentation_keeps_every_sample_and_ignores_block_size(
    snippets: list[np.ndarray],
    opts: SegmenterOptions,
    pieces: list[tuple],
    blocks: list[int],
    seed: int,
) -> None:
    x = build_signal(pieces, snippets, seed)
    whole = run(Segmenter(opts), x, blocks=[max(1, x.size)])
    seg = Segmenter(opts)
    blocked = run(seg, x, blocks=blocks)

    check_events(whole.events, x, opts)
    check_events(blocked.events, x, opts)
    assert key(blocked.events) == key(whole.events)
    for a, b in zip(blocked.ended, whole.ended, strict=True):
        np.testing.assert_array_equal(a.audio, b.audio)
    assert not seg.in_speech

    # One Level per feed, last in its list, at the stream position, in range, and its
    # speech flag is the state after the block (the last boundary seen was a start).
    fed = 0
    speaking = False
    for events, position, state, size in zip(
        blocked.per_feed, blocked.positions, blocked.in_speech, blocked.sizes, strict=True
    ):
        levels = [e for e in events if isinstance(e, Level)]
        assert len(levels) == 1 and events[-1] is levels[0]
        level = levels[0]
        block = x[fed : fed + size]
        fed += size
        assert level.sample == position == fed
        assert SILENCE_DB <= level.rms_db <= 0.0
        assert level.peak == (float(np.max(np.abs(block))) if block.size else 0.0)
        for e in events:
            if isinstance(e, SpeechStarted | SpeechEnded):
                speaking = isinstance(e, SpeechStarted)
                if isinstance(e, SpeechEnded):
                    assert e.detected_sample <= position
        assert level.speech == state == speaking
    assert fed == x.size
