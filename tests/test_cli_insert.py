"""``--insert`` on the command line: each final inserted as it is committed, through a fake
inserter passed in the way the command line passes its devices."""

from __future__ import annotations

import io
import json
import signal
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile

from livekr.cli import build_parser, cmd_transcribe, main
from livekr.cli_insert import Dictation
from livekr.console import EventPrinter, Interrupt, drive
from livekr.events import Final
from livekr.insert.base import InsertError, Insertion, Method, Target
from livekr.insert.text import InsertOptions, Shaper
from livekr.transcript import Utterance
from tests.conftest import silence

WAIT_S = 10.0


class FakeInserter:
    """Records the texts inserted; fails on insertion number ``fail_at``; ``hold`` keeps an
    insertion waiting until ``release``."""

    def __init__(self, method: Method = "type", fail_at: int | None = None) -> None:
        self.method = method
        self.texts: list[str] = []
        self.fail_at = fail_at
        self.hold = False
        self.entered = threading.Event()
        self.release = threading.Event()
        self.closed = False

    def focused(self) -> Target:
        return Target(7, 8)

    def insert(self, text: str) -> Insertion:
        self.entered.set()
        if self.hold:
            assert self.release.wait(WAIT_S)
        if self.fail_at is not None and len(self.texts) + 1 == self.fail_at:
            raise InsertError("insert.no_focus")
        self.texts.append(text)
        return Insertion(text, self.method, Target(7, 8), 0.0)

    def undo(self, insertion: Insertion) -> None:
        raise AssertionError("not used")

    def close(self) -> None:
        self.closed = True


def final(index: int, text: str) -> Final:
    return Final(Utterance(index, float(index), index + 0.5, text, 0.9), 0.1, 0.05)


# -- arguments ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["transcribe", "a.wav", "--insert", "type"], "--insert needs --realtime"),
     (["transcribe", "a.wav", "--realtime", "--full-stop"], "only with --insert"),
     (["listen", "--spoken-punctuation"], "only with --insert")],
)
def test_insertion_options_that_cannot_apply_are_refused(argv: list[str], message: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_insertion_options_parse() -> None:
    args = build_parser().parse_args(["listen", "--insert", "paste", "--full-stop"])
    assert args.insert == "paste" and args.full_stop and not hasattr(args, "spoken_punctuation")
    assert build_parser().parse_args(["transcribe", "a.wav"]).insert is None


# -- the dictation sink ---------------------------------------------------------------------------


def test_a_stop_signal_drops_what_is_queued(capsys: pytest.CaptureFixture[str]) -> None:
    inserter = FakeInserter()
    inserter.hold = True
    dictation = Dictation(inserter, InsertOptions(full_stop=True), printer=None)
    dictation.start()
    for n, text in enumerate(["하나", "둘", "셋"]):
        dictation(final(n, text))
    assert inserter.entered.wait(WAIT_S)
    interrupt = Interrupt()  # not installed: this process's signal handling stays as it is
    interrupt._handle(signal.SIGINT, None)
    ended: list[bool] = []
    waiter = threading.Thread(target=lambda: ended.append(dictation.end(interrupt)))
    waiter.start()
    inserter.release.set()
    waiter.join(WAIT_S)
    assert ended == [True] and inserter.texts == ["하나."] and inserter.closed


def test_an_insertion_error_is_said_once_and_as_an_event(capsys: pytest.CaptureFixture[str]) -> None:
    stream = io.StringIO()
    inserter = FakeInserter(fail_at=2)
    dictation = Dictation(inserter, InsertOptions(), EventPrinter(stream, source="a.wav"))
    dictation.start()
    for n, text in enumerate(["하나", "둘", "셋", "넷"]):
        dictation(final(n, text))
    interrupt = Interrupt()
    assert not dictation.end(interrupt)
    assert inserter.texts == ["하나"]
    [event] = [json.loads(line) for line in stream.getvalue().splitlines()]
    message = str(InsertError("insert.no_focus"))
    assert event == {"type": "insert_error", "message": message, "source": "a.wav"}
    err = capsys.readouterr().err
    assert err.count("error: no window has the keyboard focus") == 1 and "transcription goes on" in err


def test_the_first_stop_signal_reaches_on_stop_once() -> None:
    class Endless:
        def __init__(self) -> None:
            self.finished = threading.Event()

        def start(self) -> None:
            pass

        def stop(self) -> None:
            pass

        def abandon(self) -> None:
            self.finished.set()

        def wait(self, timeout_s: float | None = None) -> bool:
            return self.finished.wait(timeout_s)

    stops: list[str] = []
    interrupt = Interrupt()
    interrupt._handle(signal.SIGTERM, None)
    interrupt._handle(signal.SIGINT, None)
    drive(Endless(), interrupt, lambda: stops.append("stop"))
    assert stops == ["stop"]


# -- the command ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_sentences(tmp_path_factory: pytest.TempPathFactory, speak) -> Path:  # type: ignore[no-untyped-def]
    audio = np.concatenate([silence(0.5), speak("안녕하세요 반갑습니다"), silence(1.2),
                            speak("오늘 날씨가 좋습니다"), silence(0.8)])
    path = tmp_path_factory.mktemp("insert") / "two.wav"
    soundfile.write(path, audio, 16000)
    return path


@pytest.mark.slow
def test_transcribe_realtime_inserts_each_final_in_order(two_sentences: Path, tiny_wav2vec2: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    made: list[FakeInserter] = []

    def open_inserter(method: Method) -> FakeInserter:
        made.append(FakeInserter(method))
        return made[-1]

    args = build_parser().parse_args(["transcribe", str(two_sentences), "-m", str(tiny_wav2vec2),
                                      "--realtime", "--events", "--insert", "type", "--full-stop"])
    assert cmd_transcribe(args, open_inserter) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    finals = [e["text"] for e in events if e["type"] == "final"]
    assert len(finals) == 2 and events[-1]["type"] == "finished"
    [inserter] = made
    shaper = Shaper(InsertOptions(full_stop=True))
    assert inserter.method == "type" and inserter.texts == [shaper.shape(text) for text in finals]
    assert inserter.texts[1].startswith(" ") and inserter.texts[0].endswith(".") and inserter.closed


@pytest.mark.slow
def test_a_failed_insertion_stops_insertion_not_transcription(two_sentences: Path, tiny_wav2vec2: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    inserter = FakeInserter(fail_at=1)
    args = build_parser().parse_args(["transcribe", str(two_sentences), "-m", str(tiny_wav2vec2),
                                      "--realtime", "--events", "--insert", "paste"])
    assert cmd_transcribe(args, lambda method: inserter) == 1
    out, err = capsys.readouterr()
    events = [json.loads(line) for line in out.splitlines()]
    assert [e["type"] for e in events if e["type"] in ("final", "insert_error")].count("insert_error") == 1
    assert sum(e["type"] == "final" for e in events) == 2 and events[-1]["type"] == "finished"
    assert inserter.texts == [] and err.count("no window has the keyboard focus") == 1
