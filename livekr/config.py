"""Options for every stage of livekr, as frozen dataclasses.

Stream time is counted in samples at ``SAMPLE_RATE``; durations in options carry their
unit in the field name. Each field is declared once with ``option()``: its help, range, command
-line flag and settings-dialog label come from there (``livekr.options``).
"""

from __future__ import annotations

from dataclasses import dataclass

from livekr.messages import Message
from livekr.options import option, validate

SAMPLE_RATE = 16_000
"""The one rate livekr works at internally: every source resamples to it."""

VAD_FRAME_MS_CHOICES = (10, 20, 30)


@dataclass(frozen=True)
class AudioOptions:
    """How audio is captured."""

    block_ms: int = 30
    """Length of one block delivered by a source."""
    queue_s: float = 60.0
    """Capacity of the microphone queue; blocks beyond it are dropped and counted."""


@dataclass(frozen=True)
class SegmenterOptions:
    """How the stream is cut into utterances."""

    frame_ms: int = option(30, "webrtcvad frame length in ms", choices=VAD_FRAME_MS_CHOICES, cli=False)
    aggressiveness: int = option(
        2, "voice detection strictness, 0 (keeps most audio as speech) to 3 (strictest)",
        minimum=0, maximum=3, flag="--vad-aggressiveness", dialog="set_vad",
        ko_help="음성 감지 엄격도: 0(소리 대부분을 말로 봄)부터 3(가장 엄격함)까지",
    )
    pre_roll_ms: int = option(
        300, "audio kept before the first voiced frame so the first syllable is not cut",
        minimum=0, maximum=2000, cli=False,
    )
    end_silence_ms: int = option(
        700, "pause in ms that ends an utterance; shorter pauses stay inside it",
        minimum=10, maximum=5000, dialog="set_end_silence",
        ko_help="발화를 끝내는 침묵의 길이(ms). 이보다 짧은 쉼은 발화 안에 남습니다",
    )
    post_roll_ms: int = option(
        200, "audio kept after the last voiced frame (at most end_silence_ms)", minimum=0, maximum=2000,
        cli=False,
    )
    min_speech_ms: int = option(
        240, "voiced audio needed before an utterance counts as speech; shorter blips are dropped",
        minimum=0, maximum=2000, cli=False,
    )
    max_utterance_s: float = option(
        20.0, "longest utterance in s before it is split at the quietest recent frame",
        minimum=1.0, maximum=120.0,
    )
    split_search_s: float = option(
        4.0, "how far back from the maximum length the quietest frame is searched for, in s",
        minimum=0.1, maximum=30.0, cli=False,
    )

    def __post_init__(self) -> None:
        validate(self)
        if self.end_silence_ms < self.frame_ms:
            raise ValueError(Message("config.end_silence_short"))
        if self.max_utterance_s <= self.split_search_s:
            raise ValueError(Message("config.max_utterance_short"))


DEVICE_CHOICES = ("auto", "cpu", "cuda")
DTYPE_CHOICES = ("auto", "fp32", "fp16", "bf16", "int8")
BACKEND_CHOICES = ("auto", "torch", "onnx")
MAX_THREADS = 256
DEFAULT_MIN_AGREEMENT = 0.95
"""A converted or lower-precision model is used only if at least 95 % of the parity probe's frames
pick torch fp32's token. Measured on random-weight models (whose near-uniform outputs flip most
easily): exact conversions (ONNX fp32) agree on 100 %; int8 on 99.5 % (xls-r-300m size), 96.0 %
(distilhubert size), 97.5 % and 87.9 % (tiny wav2vec2 and HuBERT); native bf16 on 98.5-99.5 %.
A broken conversion or an overflow agrees on a few per cent. At 95 % at most one frame in
twenty differs, and flips sit mostly at token edges, which leave the text as it was."""


@dataclass(frozen=True)
class RecognizerOptions:
    """Where and how the model runs."""

    device: str = option(
        "auto", "compute device: auto (CUDA when present, else CPU), cpu, cuda or cuda:N",
        choices=DEVICE_CHOICES, pattern=r"cuda:\d+", dialog="set_device",
        ko_help="연산 장치: auto(CUDA가 있으면 CUDA, 없으면 CPU), cpu, cuda 또는 cuda:N",
    )
    dtype: str = option(
        "auto", "model precision: auto (fp16 on CUDA; on the CPU the fastest of fp32, native bf16 and "
        "int8 that matches fp32, measured once), fp32, fp16 (CUDA), bf16 (CPUs with AMX or "
        "AVX512-BF16, or CUDA) or int8 (ONNX backend)",
        choices=DTYPE_CHOICES, dialog="set_dtype",
        ko_help="모델 정밀도: auto(CUDA에서는 fp16, CPU에서는 fp32, 하드웨어 bf16, int8 가운데 fp32와 결과가 "
        "맞으면서 가장 빠른 것을 한 번 재어 고름), fp32, fp16(CUDA), bf16(AMX나 AVX512-BF16이 있는 CPU, "
        "또는 CUDA), int8(ONNX 엔진)",
    )
    backend: str = option(
        "auto", "inference engine on the CPU: auto (the fastest of torch and ONNX Runtime that matches "
        "torch fp32 on this machine, measured at first use and remembered), torch or onnx",
        choices=BACKEND_CHOICES, dialog="set_backend",
        ko_help="CPU에서 쓰는 추론 엔진: auto(torch와 ONNX Runtime 가운데 torch fp32와 결과가 맞으면서 이 "
        "컴퓨터에서 가장 빠른 것을 처음 쓸 때 재어 기억함), torch 또는 onnx",
    )
    threads: int = option(
        0, "CPU threads for one forward pass; 0: the library's default (all cores)",
        minimum=0, maximum=MAX_THREADS, dialog="set_threads",
        ko_help="한 번의 모델 계산에 쓰는 CPU 스레드 수. 0이면 라이브러리 기본값(모든 코어)",
    )
    min_agreement: float = option(
        DEFAULT_MIN_AGREEMENT, "share of probe frames on which a converted or lower-precision model "
        "must pick the same token as torch fp32 to be used (0 accepts any)",
        minimum=0.0, maximum=1.0,
    )

    def __post_init__(self) -> None:
        validate(self)


MAX_PARALLEL_FINALS = 16


@dataclass(frozen=True)
class PipelineOptions:
    """How the streaming transcriber schedules work."""

    partials: bool = option(True, "decode provisional text while speech continues", dialog="set_partials",
                            ko_help="말하는 도중에도 임시 결과를 받아씁니다")
    min_partial_interval_s: float = option(
        0.25, "partials are never requested more often than this (stream time, s)", minimum=0.01, cli=False
    )
    partial_duty: float = option(
        0.5, "largest share of compute spent on partials: the interval grows with the expected "
        "forward time of the utterance so far", minimum=0.05, maximum=1.0, cli=False,
    )
    partial_pause_ms: int = option(
        150, "no partial is requested once the speaker has been silent this long (the final should "
        "not wait behind a partial)", minimum=0, cli=False,
    )
    max_pending_finals: int = option(
        4, "for sources that are not live, reading pauses while this many finals wait", minimum=1, cli=False
    )
    parallel_finals: int = option(
        0, "finals of a file (read as fast as possible, decoded whole) decoded at the same time, each "
        "forward pass on its share of the cores; 0: one per core (at most 4) when --threads is 0, "
        "else 1", minimum=0, maximum=MAX_PARALLEL_FINALS,
    )
    stats_interval_s: float = option(0.5, "how often (stream time, s) a stats event is sent", minimum=0.05,
                                     cli=False)

    def __post_init__(self) -> None:
        validate(self)


ENCODING_MODES = ("auto", "windowed", "whole")


@dataclass(frozen=True)
class EncodingOptions:
    """How an utterance is encoded: whole, or in overlapping windows whose chunks are stitched."""

    mode: str = option(
        "auto", "windowed: each forward pass covers one window however long the utterance; "
        "whole: every pass re-encodes the utterance so far; auto: windowed for live audio, whole for "
        "files read as fast as possible", choices=ENCODING_MODES, flag="--encoding", dialog="set_encoding",
        ko_help="windowed: 발화가 아무리 길어도 한 번에 창 하나만 계산합니다. whole: 매번 지금까지의 발화 "
        "전체를 다시 인코딩합니다. auto: 실시간 음성에는 windowed, 최대한 빨리 읽는 파일에는 whole",
    )
    left_s: float = option(3.0, "left context of a window, in s", minimum=0.0, maximum=30.0,
                           flag="--window-left-s")
    chunk_s: float = option(2.0, "new audio fixed by each window, in s", minimum=0.2, maximum=30.0,
                            flag="--window-chunk-s")
    right_s: float = option(1.0, "right context of a window (also how far partial text may still "
                            "change), in s", minimum=0.0, maximum=10.0, flag="--window-right-s")

    def __post_init__(self) -> None:
        validate(self)


@dataclass(frozen=True)
class SessionOptions:
    """What a dictation session keeps besides the text."""

    input_device: str = option("", "microphone index or name (see `livekr devices`); empty: the default")
    keep_audio: bool = option(
        False, "keep the session's audio and save it as FLAC beside the transcript", dialog="set_keep_audio",
        ko_help="세션의 오디오를 남겨 두었다가 받아쓴 글 옆에 FLAC 파일로 저장합니다",
    )
    autosave: bool = option(
        True, "write every final to the autosave journal at once, so a crash loses nothing", cli=False
    )


DEFAULT_MODEL = "kresnik/wav2vec2-large-xlsr-korean"
"""The checkpoint used when none is named: the most accurate published Korean CTC model."""


DECODER_CHOICES = ("auto", "greedy", "beam")


@dataclass(frozen=True)
class DecoderOptions:
    """How a model's output becomes text: best path, or beam search with a language model and
    custom words (``livekr.decoder``)."""

    decoder: str = option(
        "auto", "auto: beam search when a language model or custom words are there, else greedy; "
        "greedy: always the best path; beam: beam search even without them", choices=DECODER_CHOICES,
    )
    lm: str = option(
        "auto", "token n-gram language model (ARPA, from `livekr-train lm`): auto (the one recorded in "
        "the model's card, if any), none, or a file", flag="--lm",
    )
    lm_weight: float = option(1.0, "weight of the language model's log-probabilities", minimum=0.0,
                              maximum=5.0)
    insertion_bonus: float = option(
        2.5, "score added per unit written, against the language model's cost of each", minimum=-10.0,
        maximum=10.0,
    )
    beam_size: int = option(16, "hypotheses the beam search keeps", minimum=1, maximum=256)
    hotwords: str = option(
        "", "custom words file: one word or phrase a line, optionally word<TAB>boost", flag="--hotwords",
    )
    hotword_boost: float = option(
        5.0, "how strongly a custom word is preferred, per character (natural log), unless its line "
        "gives a boost", minimum=0.0, maximum=50.0,
    )

    def __post_init__(self) -> None:
        validate(self)
