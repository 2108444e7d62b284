"""The segmenter on real Korean speech: clips from ../shared/data/ko_speech joined by known
gaps under mild noise must come back as exactly one utterance each, at the right place.

Skips cleanly when the folder is absent (the ``ko_speech`` fixture).
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile

from livekr.config import SAMPLE_RATE, SegmenterOptions
from livekr.segmenter import Segmenter, SpeechEnded

MS = SAMPLE_RATE // 1000
CLIPS = 9
ENERGY_FRAME = 10 * MS
SPEECH_BELOW_PEAK_DB = 35.0
"""A 10 ms frame is speech when its energy is within this of the clip's loudest frame.
The clips' room tone lies 50-75 dB below their peaks, so this is far above it; 40 dB
would also count the audible breaths before some utterances (e.g. etts_neb00004, ~-50 dBFS
for 400 ms), which webrtcvad rightly does not call speech."""
MAX_PAUSE_S = 0.25
"""Clips with a longer silence inside (by the rule above) are not used: a pause is not a gap."""
GAP_S = (0.6, 2.0)
"""Silence between the end of one clip's speech and the start of the next one's."""
MARGIN_S = 0.1
"""Of each clip's own recording kept around its speech (the rest of its silence is cut)."""
NOISE_DBFS = -55.0
SEED = 20_240_601

# Options, and why:
# - end_silence_ms=400 must be longer than any pause inside a clip (at most 250 ms, by
#   selection) and shorter than the unvoiced run between clips: the smallest gap, 600 ms,
#   less webrtcvad's hang-over after speech (measured 60-150 ms on these clips) leaves at
#   least 450 ms. 500 ms was tried: it merged two clips across a 0.6 s gap.
# - pre_roll_ms=200 and post_roll_ms=150, so pre-roll + post-roll + hang-over (<= 0.5 s) fit
#   into the smallest gap and neither utterance is clipped by its neighbour.
# - frame_ms 30 and 20 at aggressiveness 2 (the default). With 10 ms frames webrtcvad calls
#   the breaths of some speakers voiced (segments grew by up to 0.95 s); aggressiveness 3
#   starts up to 100 ms after the energy onset, eating into the pre-roll; 0 and 1 hang over
#   long enough to merge clips across 0.6 s gaps.
BASE = SegmenterOptions(pre_roll_ms=200, post_roll_ms=150, end_silence_ms=400)

# Tolerances around each clip's energy-defined speech [start, end), in ms.
# - Speech is never cut at the front: the segment starts at or before the speech. It starts
#   one pre-roll before the first voiced frame, which webrtcvad places within about
#   +-100 ms of the energy onset (measured -64..+96 ms over 80 usable clips), so at most
#   pre-roll + 150 ms before the speech.
# - At the back the whole post-roll is kept after the speech: webrtcvad's last voiced frame
#   is never before the energy end (measured 60-220 ms after it). The upper bound allows
#   that hang-over: at most post-roll + 300 ms after the speech. The largest value comes from
#   the NIKL clip, whose last word fades out over ~120 ms at -44..-54 dBFS, below the
#   energy threshold but still voiced.
START_SLACK_MS = 150
END_SLACK_MS = 300


def speech_bounds(x: np.ndarray) -> tuple[int, int, float]:
    """(first speech sample, end of last speech sample, longest pause inside in seconds)."""
    frames = x[: x.size // ENERGY_FRAME * ENERGY_FRAME].reshape(-1, ENERGY_FRAME)
    db = 10 * np.log10(np.mean(np.square(frames, dtype=np.float64), axis=1) + 1e-12)
    active = np.flatnonzero(db > db.max() - SPEECH_BELOW_PEAK_DB)
    pause = float(np.max(np.diff(active) - 1, initial=0)) * ENERGY_FRAME / SAMPLE_RATE
    return int(active[0]) * ENERGY_FRAME, (int(active[-1]) + 1) * ENERGY_FRAME, pause


def pick_clips(rows: list[dict]) -> list[tuple[str, np.ndarray, int, int]]:
    """The first clip (by file name) of each speaker, keeping those without long pauses,
    then ``CLIPS`` of them spread evenly: different voices, the same choice on every run."""
    first: dict[str, dict] = {}
    for row in sorted(rows, key=lambda r: r["audio"]):
        first.setdefault(str(row.get("speaker")), row)
    usable = []
    for row in first.values():
        x, rate = soundfile.read(row["path"], dtype="float32")
        assert rate == SAMPLE_RATE and x.ndim == 1, row["audio"]
        start, end, pause = speech_bounds(x)
        if pause <= MAX_PAUSE_S:
            usable.append((row["audio"], x, start, end))
    assert len(usable) >= CLIPS, f"only {len(usable)} usable clips"
    step = len(usable) / CLIPS
    return [usable[int(i * step)] for i in range(CLIPS)]


@pytest.fixture(scope="module")
def stream(ko_speech: list[dict]) -> tuple[np.ndarray, list[tuple[str, int, int]]]:
    """The joined clips with noise, and each clip's (name, speech start, speech end)."""
    rng = np.random.default_rng(SEED)
    margin = round(MARGIN_S * SAMPLE_RATE)
    gaps = rng.uniform(*GAP_S, size=CLIPS + 1)
    # Each piece: the clip's speech with up to ``margin`` of its own recording either side.
    pieces = []
    for name, x, start, end in pick_clips(ko_speech):
        lo, hi = max(0, start - margin), min(x.size, end + margin)
        pieces.append((name, x[lo:hi], start - lo, end - lo))
    parts, truth, pos = [], [], 0
    before = 0  # recording kept after the previous clip's speech
    for (name, audio, start, end), gap in zip(pieces, gaps[:-1], strict=True):
        silence = np.zeros(round(gap * SAMPLE_RATE) - before - start, dtype=np.float32)
        parts += [silence, audio]
        truth.append((name, pos + silence.size + start, pos + silence.size + end))
        pos += silence.size + audio.size
        before = audio.size - end
    parts.append(np.zeros(round(gaps[-1] * SAMPLE_RATE) - before, dtype=np.float32))
    y = np.concatenate(parts)
    y += (rng.standard_normal(y.size) * 10 ** (NOISE_DBFS / 20)).astype(np.float32)
    return y, truth


@pytest.mark.parametrize("frame_ms", [30, 20])
def test_one_segment_per_clip_at_its_speech(
    stream: tuple[np.ndarray, list[tuple[str, int, int]]], frame_ms: int
) -> None:
    y, truth = stream
    opts = SegmenterOptions(**{**BASE.__dict__, "frame_ms": frame_ms})
    seg = Segmenter(opts)
    events = []
    for i in range(0, y.size, 512):  # a sound card's block, not a multiple of the frame
        events += seg.feed(y[i : i + 512])
    events += seg.flush()
    segments = [e for e in events if isinstance(e, SpeechEnded)]

    found = [(s.start_sample / SAMPLE_RATE, s.end_sample / SAMPLE_RATE) for s in segments]
    expected = [(a / SAMPLE_RATE, b / SAMPLE_RATE) for _, a, b in truth]
    assert len(segments) == len(truth), f"segments {found} for speech at {expected}"
    for s, (name, start, end) in zip(segments, truth, strict=True):
        where = (
            f"{name}: segment {s.start_sample / MS:.0f}-{s.end_sample / MS:.0f} ms, "
            f"speech {start / MS:.0f}-{end / MS:.0f} ms"
        )
        assert not s.split, where
        assert start - (opts.pre_roll_ms + START_SLACK_MS) * MS <= s.start_sample <= start, where
        assert end + opts.post_roll_ms * MS <= s.end_sample, where
        assert s.end_sample <= end + (opts.post_roll_ms + END_SLACK_MS) * MS, where
        np.testing.assert_array_equal(s.audio, y[s.start_sample : s.end_sample])
