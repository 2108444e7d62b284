"""Where the command line's transcripts go: stdout, a file, or somewhere safe when the file
cannot be written; and ``livekr recover``, which saves or sets aside a session that did not
end cleanly."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from livekr.config import SessionOptions
from livekr.console import EXIT_FAILED, EXIT_OK, say
from livekr.export import format_for_path, render
from livekr.fileio import OutputError, save_text
from livekr.session import TranscriptSession


def deliver(text: str, out: Path | None, stem: str) -> bool:
    """Write ``text`` to ``out`` (stdout when None). When ``out`` cannot be written the text
    goes to a fallback file, or failing that to stdout, and the message says where; False
    then."""
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return True
    try:
        result = save_text(out, text, stem=stem)
    except OutputError as e:
        say(f"error: {e}; the transcript follows on stdout")
        sys.stdout.write(text)
        sys.stdout.flush()
        return False
    say(result.message if not result.fell_back else f"error: {result.message}")
    return not result.fell_back


def save_session(session: TranscriptSession, out: Path) -> bool:
    """Save the session's transcript (and kept audio) to ``out``, or somewhere safe when
    ``out`` cannot be written (said, and False then)."""
    delivered = deliver(render(session.transcript, format_for_path(out)), out, out.stem)
    if delivered:
        session.mark_saved(out)
        try:
            audio = session.export_audio(out.with_suffix(".flac"))
        except (OSError, RuntimeError) as e:  # the audio stays beside the journal
            say(f"error: cannot write the kept audio beside {out}: {e}")
            return False
        if audio is not None:
            say(f"wrote {audio}")
    return delivered


def cmd_recover(args: argparse.Namespace) -> int:
    """List the sessions that did not end cleanly; save one (which ends it) or move it aside."""
    from livekr.journal import DISCARDED_KEEP_DAYS, Journal, discard, find_abandoned, journal_dir, prune

    folder = journal_dir()
    prune(folder)
    found = find_abandoned(folder)
    if args.number is None:
        if not found:
            say("no unfinished sessions")
        for n, item in enumerate(found, start=1):
            count = len(item.transcript.utterances)
            audio = "with audio  " if item.audio is not None else ""
            print(f"{n}  {item.started or '?'}  {count} utterance{'' if count == 1 else 's'}  {audio}"
                  f"{item.transcript.model}")
        return EXIT_OK
    if not 1 <= args.number <= len(found):
        raise ValueError(f"there is no unfinished session {args.number}; `livekr recover` lists them")
    item = found[args.number - 1]
    if args.discard:
        discard(item.path)
        say(f"moved session {args.number} aside; it stays recoverable for {DISCARDED_KEEP_DAYS} days")
        return EXIT_OK
    if not args.output:
        sys.stdout.write(render(item.transcript, args.format or "txt"))
        return EXIT_OK
    session = TranscriptSession(SessionOptions(keep_audio=True), folder)
    session.adopt(Journal.adopt(item.path))
    saved = save_session(session, Path(args.output))
    session.close(clean=saved)  # saved: the journal is done; else it stays to be offered again
    return EXIT_OK if saved else EXIT_FAILED
