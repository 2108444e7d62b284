"""Dictation into other programs from the command line: ``--insert type|paste`` on ``livekr
listen`` and ``livekr transcribe --realtime``.

Each final, shaped by ``Shaper`` (``--full-stop``, ``--spoken-punctuation``), is queued for an
``InsertionWorker`` as the session commits it, so the pipeline never waits on the program
that receives the text. A stop signal drops what is still queued; an insertion error is said
once (on stderr, and as an ``insert_error`` event with ``--events``) and ends insertion while
transcription goes on. The transcript, journal and outputs get every final as without it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from livekr.console import POLL_S, EventPrinter, Interrupt, say
from livekr.events import Final, PipelineEvent
from livekr.insert.base import METHODS, Inserter, InsertError, Method
from livekr.insert.text import InsertOptions, Shaper
from livekr.insert.worker import InsertionWorker
from livekr.options import add_arguments, declared, from_arguments

OpenInserter = Callable[[Method], Inserter]


def add_insert_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--insert", choices=METHODS,
                   help="also insert each final into the program that has the keyboard focus as it is "
                        "committed: type it (key events) or paste it (the clipboard, put back after)")
    add_arguments(p, InsertOptions, suppress_defaults=True)


def check_insert_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Exit through ``parser.error`` for options of insertion that cannot apply."""
    if getattr(args, "insert", None) and not getattr(args, "realtime", True):
        parser.error("--insert needs --realtime: without it the files are read as fast as possible and "
                     "their whole text would be typed at once into whatever program has the focus")
    shaping = [o.flag for o in declared(InsertOptions) if hasattr(args, o.name)]
    if shaping and not getattr(args, "insert", None):
        parser.error(f"{' and '.join(shaping)}: only with --insert, whose text they shape; add --insert "
                     "type or --insert paste")


def open_inserter(method: Method) -> Inserter:
    """The inserter of this system (the command line's default); ``InsertError`` saying why
    there is none."""
    from livekr.insert.platform import insertion_problem, make_inserter

    problem = insertion_problem()
    if problem is not None:
        raise InsertError(problem)
    return make_inserter(method)


class Dictation:
    """An event sink that queues each final's shaped text for insertion (any thread)."""

    def __init__(self, inserter: Inserter, options: InsertOptions, printer: EventPrinter | None) -> None:
        self.shaper = Shaper(options)
        self.printer = printer
        self.worker = InsertionWorker(inserter, on_error=self._on_error)

    def start(self) -> None:
        self.worker.start()

    def __call__(self, event: PipelineEvent) -> None:
        if isinstance(event, Final):
            self.worker.submit(self.shaper.shape(event.utterance.text))

    def stop(self) -> None:
        """Insert nothing more (a stop signal came); returns at once."""
        self.worker.stop()

    def end(self, interrupt: Interrupt) -> bool:
        """Wait until what is queued is inserted, or after a stop signal only the insertion in
        flight; a second signal gives up waiting. False when an insertion failed."""
        if interrupt.requested:
            self.worker.stop()
        else:
            self.worker.finish()
        while not self.worker.wait(POLL_S):
            if interrupt.forced:
                say("stopped waiting for the program that receives the text")
                break
            if interrupt.requested:
                self.worker.stop()
        return self.worker.error is None

    def _on_error(self, error: InsertError) -> None:
        say(f"error: {error}; nothing more is inserted, transcription goes on")
        if self.printer is not None:
            self.printer.write({"type": "insert_error", "message": str(error)})


def open_dictation(args: argparse.Namespace, printer: EventPrinter | None,
                   open_inserter: OpenInserter) -> Dictation | None:
    """The dictation ``--insert`` asks for (not started), or None; ``InsertError`` before
    anything loads when this system cannot insert text."""
    if not getattr(args, "insert", None):
        return None
    dictation = Dictation(open_inserter(args.insert), from_arguments(InsertOptions, args), printer)
    say(f"each final will be {'typed' if args.insert == 'type' else 'pasted'} into the program that has "
        "the keyboard focus")
    return dictation
