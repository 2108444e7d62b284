"""The ``livekr`` command: the window, ``transcribe``, ``listen``, ``devices`` and ``models``.

This is the one place where real devices and models are built; everything below it takes
them as arguments.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from livekr.audio import AudioError, AudioSource, FileSource
from livekr.config import (
    DEFAULT_MODEL,
    PipelineOptions,
    RecognizerOptions,
    SegmenterOptions,
)
from livekr.events import EventSink, Failure, Final, Finished, Partial, PipelineEvent, Stats
from livekr.pipeline import StreamingTranscriber
from livekr.recognizer import ModelLoadError, Recognizer
from livekr.transcript import FORMATS, Format, Transcript, format_for_path, render, write_atomic

log = logging.getLogger("livekr")

PROGRESS_EVERY_S = 5.0
"""Wall time between progress lines on stderr for long files."""
LONG_FILE_S = 60.0
"""Files longer than this get progress lines."""
EXIT_OK, EXIT_FAILED = 0, 1
M_MMAP_THRESHOLD = -3
"""glibc mallopt parameter: allocations at least this large are served by mmap."""
MMAP_THRESHOLD_BYTES = 1 << 20


class EventPrinter:
    """Writes pipeline events as JSON lines, one flushed line each; safe from any thread."""

    TYPES = (Partial, Final, Failure, Finished)

    def __init__(self, stream: IO[str], source: str | None = None) -> None:
        self.stream = stream
        self.source = source
        self._lock = threading.Lock()
        self.broken = False

    def __call__(self, event: PipelineEvent) -> None:
        if not isinstance(event, self.TYPES) or self.broken:
            return
        data = event.to_dict()
        if self.source is not None:
            data["source"] = self.source
        line = json.dumps(data, ensure_ascii=False)
        with self._lock:
            try:
                self.stream.write(line + "\n")
                self.stream.flush()
            except BrokenPipeError:
                self.broken = True


class SessionCollector:
    """Gathers finals into a transcript, reports failures and progress; an event sink."""

    def __init__(self, name: str, duration_s: float | None, forward: EventSink | None) -> None:
        self.name = name
        self.duration_s = duration_s
        self.forward = forward
        self.transcript = Transcript()
        self.failures: list[str] = []
        self._lock = threading.Lock()
        self._next_progress = time.monotonic() + PROGRESS_EVERY_S

    def __call__(self, event: PipelineEvent) -> None:
        if self.forward is not None:
            self.forward(event)
        if isinstance(event, Final):
            with self._lock:
                self.transcript.add(event.utterance)
        elif isinstance(event, Failure):
            with self._lock:
                self.failures.append(event.message)
            print(f"livekr: {self.name}: {event.message}", file=sys.stderr, flush=True)
        elif isinstance(event, Stats):
            self._progress(event.time_s)

    def _progress(self, stream_s: float) -> None:
        if not self.duration_s or self.duration_s < LONG_FILE_S or time.monotonic() < self._next_progress:
            return
        self._next_progress = time.monotonic() + PROGRESS_EVERY_S
        share = min(1.0, stream_s / self.duration_s)
        print(
            f"livekr: {self.name}: {share:4.0%} ({stream_s:.0f}/{self.duration_s:.0f} s)",
            file=sys.stderr,
            flush=True,
        )


def _add_model_options(p: argparse.ArgumentParser, default: str | None) -> None:
    p.add_argument(
        "--model",
        "-m",
        default=default,
        help=f"checkpoint folder or Hugging Face hub id (default: {default or 'the last used'})",
    )
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default: auto)")
    p.add_argument(
        "--dtype",
        default="auto",
        choices=("auto", "fp32", "fp16", "bf16"),
        help="model precision (default: fp16 on GPU, fp32 on CPU)",
    )


def _add_stream_options(p: argparse.ArgumentParser) -> None:
    defaults = SegmenterOptions()
    p.add_argument(
        "--end-silence-ms",
        type=int,
        default=defaults.end_silence_ms,
        help=f"pause that ends an utterance (default: {defaults.end_silence_ms})",
    )
    p.add_argument(
        "--vad-aggressiveness",
        type=int,
        default=defaults.aggressiveness,
        choices=range(4),
        help=f"0-3 (default: {defaults.aggressiveness})",
    )
    p.add_argument(
        "--max-utterance-s",
        type=float,
        default=defaults.max_utterance_s,
        help=f"longest utterance before a forced split (default: {defaults.max_utterance_s})",
    )
    p.add_argument(
        "--events",
        action="store_true",
        help='print JSON lines {"type": "partial"|"final", "start", "end", "text"} to stdout',
    )
    p.add_argument("--no-partials", action="store_true", help="do not decode partial text")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="livekr", description="Real-time Korean dictation.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    _add_model_options(parser, os.environ.get("LIVEKR_MODEL"))
    parser.add_argument("--input-device", help="microphone index or name (see `livekr devices`)")
    parser.add_argument("--demo", metavar="AUDIO", help="play a file as if it were the microphone")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    t = sub.add_parser("transcribe", help="transcribe audio files through the streaming pipeline")
    t.add_argument("audio", nargs="+", help="WAV, FLAC, OGG or MP3 files")
    _add_model_options(t, os.environ.get("LIVEKR_MODEL", DEFAULT_MODEL))
    _add_stream_options(t)
    t.add_argument("--format", "-f", choices=FORMATS, help="output format (default: from -o, else txt)")
    t.add_argument("-o", "--output", help="output file, or a folder for several inputs")
    t.add_argument("--realtime", action="store_true", help="play the files at real-time pace")

    li = sub.add_parser("listen", help="dictate from the microphone without a window (Ctrl-C ends)")
    _add_model_options(li, os.environ.get("LIVEKR_MODEL", DEFAULT_MODEL))
    _add_stream_options(li)
    li.add_argument("--input-device", help="microphone index or name (see `livekr devices`)")
    li.add_argument("-o", "--output", help="also save the transcript here when done")

    sub.add_parser("devices", help="list microphones")
    sub.add_parser("models", help="list checkpoints livekr can load")
    return parser


def _options(args: argparse.Namespace) -> tuple[SegmenterOptions, PipelineOptions]:
    segmenter = SegmenterOptions(
        end_silence_ms=args.end_silence_ms,
        aggressiveness=args.vad_aggressiveness,
        max_utterance_s=args.max_utterance_s,
    )
    realtime = getattr(args, "realtime", True)
    partials = (args.events or realtime) and not args.no_partials
    return segmenter, PipelineOptions(partials=partials)


def load_model(args: argparse.Namespace) -> Recognizer:
    """Load the recognizer named by ``--model``; progress bars of transformers are hidden."""
    from transformers.utils import logging as hf_logging

    from livekr.recognizer import load_recognizer

    hf_logging.disable_progress_bar()
    print(f"livekr: loading {args.model} …", file=sys.stderr, flush=True)
    recognizer = load_recognizer(args.model, RecognizerOptions(device=args.device, dtype=args.dtype))
    print(f"livekr: {args.model} on {recognizer.device_label}", file=sys.stderr, flush=True)
    return recognizer


def run_session(
    source: AudioSource,
    recognizer: Recognizer,
    collector: SessionCollector,
    args: argparse.Namespace,
) -> None:
    """Run one source through the pipeline until it ends (Ctrl-C stops and drains)."""
    segmenter, pipeline = _options(args)
    transcriber = StreamingTranscriber(source, recognizer, collector, segmenter, pipeline)
    transcriber.run()
    collector.transcript.model = recognizer.name


def _output_path(args: argparse.Namespace, audio: Path, fmt: Format) -> Path | None:
    if not args.output:
        return None
    out = Path(args.output)
    if len(args.audio) > 1 or out.is_dir():
        out.mkdir(parents=True, exist_ok=True)
        return out / f"{audio.stem}.{fmt}"
    return out


def cmd_transcribe(args: argparse.Namespace) -> int:
    fmt: Format = args.format or (format_for_path(args.output) if args.output else "txt")
    sources: list[FileSource] = []
    status = EXIT_OK
    for name in args.audio:
        try:
            sources.append(FileSource(name, realtime=args.realtime))
        except AudioError as e:
            print(f"livekr: error: {e}", file=sys.stderr)
            status = EXIT_FAILED
    if not sources:
        return status
    recognizer = load_model(args)
    printer = EventPrinter(sys.stdout) if args.events else None
    for source in sources:
        if printer is not None:
            printer.source = str(source.path)
        collector = SessionCollector(source.path.name, source.duration_s, printer)
        run_session(source, recognizer, collector, args)
        if collector.failures:
            status = EXIT_FAILED
        out = _output_path(args, source.path, fmt)
        if out is not None:
            write_atomic(out, render(collector.transcript, fmt))
            print(f"livekr: wrote {out}", file=sys.stderr)
        elif not args.events:
            sys.stdout.write(render(collector.transcript, fmt))
            sys.stdout.flush()
    return status


def cmd_listen(args: argparse.Namespace) -> int:
    from livekr.microphone import MicrophoneSource, list_input_devices, resolve_input_device

    device = resolve_input_device(args.input_device, list_input_devices())  # fail before loading
    source = MicrophoneSource(device.index)
    recognizer = load_model(args)
    printer = EventPrinter(sys.stdout) if args.events else None
    collector = SessionCollector("microphone", None, printer)
    if printer is None:
        collector.forward = _print_finals
    print("livekr: listening; press Ctrl-C to stop", file=sys.stderr, flush=True)
    run_session(source, recognizer, collector, args)
    if args.output:
        write_atomic(args.output, render(collector.transcript, format_for_path(args.output)))
        print(f"livekr: wrote {args.output}", file=sys.stderr)
    return EXIT_FAILED if collector.failures else EXIT_OK


def _print_finals(event: PipelineEvent) -> None:
    if isinstance(event, Final):
        print(event.utterance.text, flush=True)


def cmd_devices(args: argparse.Namespace) -> int:
    from livekr.microphone import list_input_devices

    devices = list_input_devices()
    if not devices:
        print("no input devices found: connect a microphone, or use `livekr --demo FILE`", file=sys.stderr)
        return EXIT_OK
    for d in devices:
        mark = "*" if d.is_default else " "
        print(f"{mark} {d.index:3d}  {d.name}  ({d.channels} ch, {d.default_rate:.0f} Hz, {d.host_api})")
    return EXIT_OK


def cmd_models(args: argparse.Namespace) -> int:
    from livekr.models import HUB_MODELS, card_lines, list_checkpoints, models_dir

    print(f"# checkpoints in {models_dir()}")
    for info in list_checkpoints():
        print("  ".join([str(info.path), *card_lines(info)[:3]]))
    print("# published on the Hugging Face hub (downloaded on first use)")
    for ref in HUB_MODELS:
        print(ref)
    return EXIT_OK


def cmd_window(args: argparse.Namespace) -> int:
    from livekr.gui.app import run_app

    return run_app(args.model, args.device, args.dtype, args.input_device, args.demo)


COMMANDS = {
    "transcribe": cmd_transcribe,
    "listen": cmd_listen,
    "devices": cmd_devices,
    "models": cmd_models,
    None: cmd_window,
}


def limit_heap_fragmentation() -> None:
    """Serve large allocations from mmap (glibc): inputs of ever-changing length otherwise
    fragment the heap, and a 90 MB model's process grows past 2 GB."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    except (OSError, AttributeError):  # not glibc
        log.debug("mallopt is not available; heap tuning skipped")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    limit_heap_fragmentation()
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="livekr: %(levelname)s: %(message)s"
    )
    try:
        return COMMANDS[args.command](args)
    except (AudioError, ModelLoadError, ValueError) as e:
        print(f"livekr: error: {e}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # exiting: another Ctrl-C would only print a traceback
        return 130


if __name__ == "__main__":
    sys.exit(main())
