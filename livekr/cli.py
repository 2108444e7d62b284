"""The ``livekr`` command: the window, ``transcribe``, ``listen``, ``devices``, ``models`` and
``doctor``.

This is the one place where real devices and models are built; everything below it takes
them as arguments.
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from livekr.audio import AudioError, AudioSource, FileSource, source_warnings
from livekr.cli_info import cmd_devices, cmd_doctor, cmd_models
from livekr.cli_insert import (
    OpenInserter,
    add_insert_arguments,
    check_insert_arguments,
    open_dictation,
    open_inserter,
)
from livekr.cli_save import cmd_recover, deliver, save_session
from livekr.config import (
    DEFAULT_MODEL,
    DecoderOptions,
    EncodingOptions,
    PipelineOptions,
    RecognizerOptions,
    SegmenterOptions,
    SessionOptions,
)
from livekr.console import (
    EXIT_FAILED,
    EXIT_OK,
    ConsoleReporter,
    DownloadConsole,
    EventPrinter,
    Interrupt,
    drive,
    say,
    session_sink,
)
from livekr.events import FailureKind
from livekr.export import FORMATS, Format, format_for_path, render
from livekr.fileio import OutputError, resolve_outputs
from livekr.insert.base import InsertError
from livekr.options import add_arguments, from_arguments
from livekr.pipeline import StreamingTranscriber
from livekr.recognizer import ModelLoadError, Recognizer
from livekr.session import TranscriptSession
from livekr.side_by_side import plan_file_decoding

if TYPE_CHECKING:
    from livekr.decoder import Decoder

log = logging.getLogger("livekr")

M_MMAP_THRESHOLD = -3
"""glibc mallopt parameter: allocations at least this large are served by mmap."""
MMAP_THRESHOLD_BYTES = 1 << 20


def _add_model_options(p: argparse.ArgumentParser, default: str | None, suppress: bool) -> None:
    p.add_argument(
        "--model",
        "-m",
        default=argparse.SUPPRESS if suppress else default,
        help=f"checkpoint folder or Hugging Face hub id (default: {default or 'the last used'})",
    )
    add_arguments(p, RecognizerOptions, suppress_defaults=suppress)


def _add_stream_options(p: argparse.ArgumentParser) -> None:
    add_arguments(p, SegmenterOptions, suppress_defaults=True)
    add_arguments(p, PipelineOptions, suppress_defaults=True)
    add_arguments(p, EncodingOptions, suppress_defaults=True)
    add_arguments(p, DecoderOptions, suppress_defaults=True)
    p.add_argument(
        "--events",
        action="store_true",
        help='print JSON lines {"type": "partial"|"final"|"error"|"finished", …} to stdout',
    )
    add_insert_arguments(p)


def build_parser() -> argparse.ArgumentParser:
    """``livekr`` and its commands. Options of the window given before a command (``livekr
    --model X transcribe …``) apply to the command unless the command repeats them."""
    parser = argparse.ArgumentParser(prog="livekr", description="Real-time Korean dictation.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    _add_model_options(parser, os.environ.get("LIVEKR_MODEL"), suppress=False)
    add_arguments(parser, SessionOptions, suppress_defaults=True)  # given: overrides the settings
    parser.add_argument("--demo", metavar="AUDIO", help="play a file as if it were the microphone")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    t = sub.add_parser("transcribe", help="transcribe audio files through the streaming pipeline")
    t.add_argument("audio", nargs="+", help="WAV, FLAC, OGG or MP3 files")
    _add_model_options(t, os.environ.get("LIVEKR_MODEL", DEFAULT_MODEL), suppress=True)
    _add_stream_options(t)
    t.add_argument("--format", "-f", choices=FORMATS, help="output format (default: from -o, else txt)")
    t.add_argument("-o", "--output",
                   help="output file, - for stdout, or a folder (ending in /) for several inputs")
    t.add_argument("--realtime", action="store_true", help="play the files at real-time pace")

    li = sub.add_parser("listen", help="dictate from the microphone without a window (Ctrl-C ends)")
    _add_model_options(li, os.environ.get("LIVEKR_MODEL", DEFAULT_MODEL), suppress=True)
    _add_stream_options(li)
    add_arguments(li, SessionOptions, suppress_defaults=True)
    li.add_argument("-o", "--output",
                    help="also save the transcript here when done (and the kept audio beside it)")

    r = sub.add_parser("recover", help="list, save or set aside sessions that did not end cleanly")
    r.add_argument("number", nargs="?", type=int, help="the session to act on, as listed (1 = newest)")
    r.add_argument("-o", "--output", help="save it here (format from the extension) and end it")
    r.add_argument("-f", "--format", choices=FORMATS, help="format when printing it to stdout")
    r.add_argument("--discard", action="store_true", help="move it aside (recoverable for a while)")

    sub.add_parser("devices", help="list microphones")
    sub.add_parser("models", help="list checkpoints livekr can load")
    d = sub.add_parser("doctor", help="check what livekr needs here and say how to fix what is missing")
    d.add_argument("--json", action="store_true", help="print the checks as a JSON list of objects")
    return parser


def _options(args: argparse.Namespace) -> tuple[SegmenterOptions, PipelineOptions]:
    segmenter = from_arguments(SegmenterOptions, args)
    pipeline = from_arguments(PipelineOptions, args)
    if not (args.events or getattr(args, "realtime", True)):  # nobody would see the partials
        pipeline = replace(pipeline, partials=False)
    return segmenter, pipeline


def _model_ref(args: argparse.Namespace) -> str:
    return str(args.model or os.environ.get("LIVEKR_MODEL") or DEFAULT_MODEL)


def plan_files(args: argparse.Namespace) -> None:
    """For files read as fast as possible with nobody watching partials: how many finals are
    decoded at once and on how many threads each (``plan_file_decoding``), set into ``args``."""
    _, pipeline = _options(args)
    if getattr(args, "realtime", True) or pipeline.partials:
        return
    from livekr.cpu import this_cpu

    threads = from_arguments(RecognizerOptions, args).threads
    args.parallel_finals, args.threads = plan_file_decoding(pipeline.parallel_finals, threads,
                                                            this_cpu().cores)


def load_model(args: argparse.Namespace) -> Recognizer:
    """Load the recognizer named by ``--model``; progress bars of transformers are hidden, a hub
    model's download shows its own progress, and Ctrl-C cancels it (``DownloadConsole``)."""
    from transformers.utils import logging as hf_logging

    from livekr.recognizer import load_recognizer

    hf_logging.disable_progress_bar()
    ref = _model_ref(args)
    say(f"loading {ref} …")
    options = from_arguments(RecognizerOptions, args)
    with DownloadConsole() as download:
        recognizer = load_recognizer(ref, options, progress=say, download_progress=download,
                                     cancel=download.cancel)
    say(f"{ref} on {recognizer.device_label}")
    return recognizer


def load_text_decoder(recognizer: Recognizer, args: argparse.Namespace) -> Decoder | None:
    """The decoder of finals the options ask for (beam search with an LM and custom words, or
    greedy); None for recognizers that give no frames to decode. Loaded once per model."""
    tokens, frame_s = getattr(recognizer, "tokens", None), getattr(recognizer, "frame_s", None)
    if tokens is None or frame_s is None:
        return None
    from livekr.decoder import load_decoder

    decoder = load_decoder(tokens, frame_s, from_arguments(DecoderOptions, args), _model_ref(args))
    say(decoder.description)
    return decoder


def run_session(source: AudioSource, recognizer: Recognizer, decoder: Decoder | None,
                session: TranscriptSession, outputs: list, args: argparse.Namespace,
                interrupt: Interrupt, on_stop: Callable[[], None] | None = None) -> None:
    """Run one source through the pipeline into ``session`` until it ends or a signal stops
    it (see ``drive``, which calls ``on_stop`` at the first signal)."""
    segmenter, pipeline = _options(args)
    source = session.begin_run(source, recognizer.name)
    sink = session_sink(session, *outputs)
    encoding = from_arguments(EncodingOptions, args)
    transcriber = StreamingTranscriber(source, recognizer, sink, segmenter, pipeline, encoding, decoder)
    drive(transcriber, interrupt, on_stop)


def report_warnings(source: AudioSource, printer: EventPrinter | None) -> None:
    """What the source noticed about its input (a truncated file, damaged samples)."""
    for warning in source_warnings(source):
        say(f"warning: {warning}")
        if printer is not None:
            printer.write({"type": "warning", "message": warning})


def _open_sources(args: argparse.Namespace,
                  printer: EventPrinter | None) -> tuple[list[tuple[int, FileSource]], int]:
    """Check every input before the model loads; unreadable ones are reported and skipped.
    Returns (position among the inputs, source) pairs."""
    sources: list[tuple[int, FileSource]] = []
    status = EXIT_OK
    for position, name in enumerate(args.audio):
        try:
            sources.append((position, FileSource(name, realtime=args.realtime)))
        except AudioError as e:
            say(f"error: {e}")
            if printer is not None:
                printer.write({"type": "error", "kind": FailureKind.INPUT.value, "message": str(e),
                               "source": name})
            status = EXIT_FAILED
    return sources, status


def cmd_transcribe(args: argparse.Namespace, open_inserter: OpenInserter = open_inserter) -> int:
    fmt: Format = args.format or (format_for_path(args.output) if args.output not in (None, "-") else "txt")
    printer = EventPrinter(sys.stdout) if args.events else None
    # Before anything loads, so a bad -o fails early; several inputs mean a folder, even
    # when some of them cannot be read.
    planned = resolve_outputs(args.output, args.audio, fmt)
    sources, status = _open_sources(args, printer)
    if not sources:
        return status
    outputs = [planned[position] for position, _ in sources]
    dictation = open_dictation(args, printer, open_inserter)
    plan_files(args)
    recognizer = load_model(args)
    decoder = load_text_decoder(recognizer, args)
    with Interrupt() as interrupt:
        if dictation is not None:
            dictation.start()
        for done, ((_, source), out) in enumerate(zip(sources, outputs, strict=True)):
            if interrupt.requested:
                left = ", ".join(args.audio[position] for position, _ in sources[done:])
                say(f"stopped; not transcribed: {left}")
                break
            if printer is not None:
                printer.source = str(source.path)
            session = TranscriptSession(SessionOptions(autosave=False), model=recognizer.name)
            reporter = ConsoleReporter(source.path.name, source.duration_s)
            run_session(source, recognizer, decoder, session, [printer, reporter, dictation], args, interrupt,
                        dictation.stop if dictation is not None else None)
            report_warnings(source, printer)
            if session.failures:
                status = EXIT_FAILED
            shown_as_events = printer is not None and args.output is None
            if not shown_as_events and not deliver(render(session.transcript, fmt), out, source.path.stem):
                status = EXIT_FAILED
        if dictation is not None and not dictation.end(interrupt):
            status = EXIT_FAILED
    return interrupt.exit_code if interrupt.requested else status


def open_microphone(device_spec: str) -> AudioSource:
    """The microphone named by ``device_spec`` ("" for the default); fails before any model loads."""
    from livekr.microphone import MicrophoneSource, list_input_devices, resolve_input_device

    device = resolve_input_device(device_spec or None, list_input_devices())
    return MicrophoneSource(device.index)


def cmd_listen(args: argparse.Namespace, open_source: Callable[[str], AudioSource] = open_microphone,
               open_inserter: OpenInserter = open_inserter) -> int:
    """Dictation from the microphone (``open_source``) until it ends or a stop signal; every
    final goes to the autosave journal at once, so a crash or a kill loses nothing; with
    ``--insert``, also into the focused program (``open_inserter``)."""
    from livekr.journal import find_abandoned, journal_dir

    options = from_arguments(SessionOptions, args)
    if options.keep_audio and not args.output:
        raise ValueError("--keep-audio needs -o FILE: the audio is saved beside the transcript")
    source = open_source(options.input_device)
    printer = EventPrinter(sys.stdout) if args.events else None
    dictation = open_dictation(args, printer, open_inserter)
    recognizer = load_model(args)
    decoder = load_text_decoder(recognizer, args)
    reporter = ConsoleReporter("microphone", print_finals=printer is None)
    folder = journal_dir()
    earlier = len(find_abandoned(folder))
    if earlier:
        say(f"{earlier} unfinished session(s) from earlier runs: `livekr recover` lists them")
    session = TranscriptSession(options, folder, model=recognizer.name)
    say("listening; press Ctrl-C to stop")
    with Interrupt() as interrupt:
        if dictation is not None:
            dictation.start()
        run_session(source, recognizer, decoder, session, [printer, reporter, dictation], args, interrupt,
                    dictation.stop if dictation is not None else None)
        inserted = dictation is None or dictation.end(interrupt)
    saved = save_session(session, Path(args.output)) if args.output else True
    session.close(clean=saved)
    # A stop signal is how listening ends: with everything decoded and saved, that is success;
    # utterances given up to a second signal, or an insertion that failed, are failures said.
    return EXIT_FAILED if session.failures or not saved or not inserted else EXIT_OK


def cmd_window(args: argparse.Namespace) -> int:
    """The window; fails in one line, saying what to install, where Qt cannot start here
    (Qt itself would abort the process)."""
    from livekr.system import explain_qt_import_error, window_start_problem

    problem = window_start_problem()
    if problem is not None:
        say(f"error: {problem}")
        return EXIT_FAILED
    try:
        from livekr.gui.app import run_app
    except ImportError as e:
        if not str(e.name or "").startswith("PySide6") and "shared object" not in str(e):
            raise
        say(f"error: {explain_qt_import_error(e)}")
        return EXIT_FAILED

    given = {name: getattr(args, name) for name in ("input_device", "keep_audio") if hasattr(args, name)}
    return run_app(args.model, from_arguments(RecognizerOptions, args), given, args.demo)


COMMANDS: dict[str | None, Callable[[argparse.Namespace], int]] = {
    "transcribe": cmd_transcribe,
    "listen": cmd_listen,
    "recover": cmd_recover,
    "devices": cmd_devices,
    "models": cmd_models,
    "doctor": cmd_doctor,
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
    parser = build_parser()
    args = parser.parse_args(argv)
    check_insert_arguments(parser, args)
    limit_heap_fragmentation()
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="livekr: %(levelname)s: %(message)s"
    )
    try:
        return COMMANDS[args.command](args)
    except (AudioError, InsertError, ModelLoadError, OutputError, ValueError) as e:
        say(f"error: {e}")
        return EXIT_FAILED
    except KeyboardInterrupt:  # before a session took over the signals (e.g. while loading)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # exiting: another Ctrl-C would only print a traceback
        return 128 + signal.SIGINT


if __name__ == "__main__":
    sys.exit(main())
