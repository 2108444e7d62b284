"""The window in Korean all the way: its own words, Qt's standard buttons and dialogs, dialog
titles, and the library's errors (no class names, no command-line advice). Offscreen, with
the language set explicitly; waits on signals, never sleeps."""

from __future__ import annotations

import errno
import re
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QPushButton, QStatusBar, QWidget

from livekr.audio import ArraySource, AudioError, AudioSource
from livekr.catalogue import CATALOGUE, WINDOW_ENGLISH
from livekr.checkpoint import ModelLoadError, check_local_checkpoint
from livekr.config import DecoderOptions
from livekr.ctc import TokenTable
from livekr.decoder import Decoder
from livekr.events import Failure, FailureKind
from livekr.export import save
from livekr.gui import dialogs, i18n
from livekr.gui.app import build_window, install_qt_translations
from livekr.gui.dialogs import DialogPrompter
from livekr.gui.main_window import MainWindow
from livekr.gui.menus import card_tooltip
from livekr.gui.settings import GROUPS, AppSettings, SettingsDialog, save_settings
from livekr.gui.status import StatusPanel
from livekr.hotwords import Hotword, HotwordError, parse_hotwords
from livekr.hub_api import RESUME_HINT
from livekr.hub_download import DownloadError, DownloadOptions, fetch_model, hub_folder
from livekr.hub_transfer import STAGING_FOLDER
from livekr.messages import LocalizedError, Message, localized, os_error, placeholders
from livekr.microphone import PORTAUDIO_HINT, resolve_input_device
from livekr.models import find_info
from livekr.options import declared
from livekr.recognizer import hub_source
from livekr.transcript import Transcript
from tests.conftest import ScriptedRecognizer, silence
from tests.hub_server import StandInHub

TIMEOUT_MS = 20_000
HANGUL = re.compile(r"[\uac00-\ud7a3]")
CLASS_NAME = re.compile(r"\b[A-Za-z_]+(Error|Exception|Warning)\b")
"""An exception's class name (``RuntimeError``, ``SafetensorError``, ``PortAudioError``…)."""
COMMAND_LINE = re.compile(r"(?<!\w)--|`|\bpip install\b|\bsudo\b|\bapt\b|\bdnf\b|\bls -l\b|\bffmpeg\b"
                          r"|livekr-train|livekr devices|\bhf download\b")
"""Advice only a command line can follow (a flag; not the "--" inside a name such as a hub
model's folder, "owner--name")."""
TITLE_KEYS = ("settings_title", "custom_words_title", "custom_words_import_title", "save_as", "open_folder",
              "hub_id", "info_title", "recover_title", "confirm_clear_title", "unsaved_title",
              "closing_title")
"""Every key the window makes a dialog title of."""
LIVEKR = Path(__file__).resolve().parents[1] / "livekr"


@pytest.fixture
def korean(qapp: QApplication) -> Iterator[None]:
    """The window's language is Korean for this test; English (and Qt's own) again after it."""
    i18n.set_language("ko")
    yield
    i18n.set_language("en")
    install_qt_translations(qapp, "en")


# -- the tables -----------------------------------------------------------------------------


def test_every_window_string_has_both_languages_with_the_same_placeholders() -> None:
    for key, (ko, en) in i18n.STRINGS.items():
        assert ko and en, key
        assert placeholders(ko) == placeholders(en), key


def test_every_catalogue_message_has_both_languages() -> None:
    """Korean may leave out a value holding a library's own English words, never add one."""
    for key, (ko, en) in CATALOGUE.items():
        assert HANGUL.search(ko) and en, key
        assert placeholders(ko) <= placeholders(en), key
        window_english = WINDOW_ENGLISH.get(key, en)
        assert not COMMAND_LINE.search(ko) and not COMMAND_LINE.search(window_english), key
    for key, text in WINDOW_ENGLISH.items():
        assert key in CATALOGUE and placeholders(text) <= placeholders(CATALOGUE[key][1]), key


def test_every_key_the_library_raises_is_in_the_catalogue() -> None:
    used = re.compile(r"""(?:Message|Error|InUse|Cancelled)\(\s*"([a-z_]+\.[a-z_.]+)\"""")
    keys = {key for path in LIVEKR.rglob("*.py") for key in used.findall(path.read_text(encoding="utf-8"))}
    assert len(keys) > 50
    assert keys - CATALOGUE.keys() == set()


def test_a_message_is_its_command_line_text_and_renders_in_korean_for_the_window() -> None:
    e = AudioError("mic.none")
    assert str(e).startswith("no microphone found") and "`livekr devices`" in str(e)  # the CLI, unchanged
    assert localized(e, "en").startswith("no microphone found") and "Input menu" in localized(e, "en")
    assert "입력 메뉴" in localized(e, "ko")
    nested = Message("write.failed", path="/x/y.txt", reason=Message("write.no_space"))
    assert nested == ("cannot write /x/y.txt: no space left on the device (disk full or quota reached); "
                      "free some space")
    assert nested.text("ko").startswith("/x/y.txt에 쓸 수 없습니다: 디스크 공간이 부족합니다")
    assert str(LocalizedError("not catalogued yet")) == localized(LocalizedError("not catalogued yet"), "ko")


def test_titles_have_no_mnemonics_in_either_language() -> None:
    for lang in i18n.LANGUAGES:
        i18n.set_language(lang)
        for key in TITLE_KEYS:
            shown = i18n.title(key)
            assert shown and "&" not in shown and not shown.endswith("…"), (lang, key, shown)
    i18n.set_language("en")
    assert i18n.title("save_as") == "Save As" and i18n.title("menu_file") == "File"


def test_every_option_in_the_settings_dialog_has_korean_help() -> None:
    groups = [type(getattr(AppSettings(), group)) for group in GROUPS]
    shown = [opt for group in groups for opt in declared(group) if opt.spec.dialog]
    assert len(shown) >= 13
    for opt in shown:
        ko = opt.spec.ko_help
        assert HANGUL.search(ko) and not COMMAND_LINE.search(ko), opt.name
        assert opt.spec.help_in("ko") == ko and opt.spec.help_in("en") == opt.spec.help


# -- the window's own descriptions: settings, model cards, the decoder --------------------------


def test_the_settings_dialog_shows_tooltips_in_the_window_language(qtbot, korean: None) -> None:  # type: ignore[no-untyped-def]
    dialog = SettingsDialog(AppSettings())
    qtbot.addWidget(dialog)
    specs = {(g, o.name): o.spec for g in GROUPS for o in declared(type(getattr(AppSettings(), g)))}
    for key, widget in dialog.fields.items():
        assert widget.toolTip() == specs[key].ko_help and HANGUL.search(widget.toolTip()), key
    i18n.set_language("en")
    english = SettingsDialog(AppSettings())
    qtbot.addWidget(english)
    assert all(w.toolTip() == specs[key].help for key, w in english.fields.items())


HUB_MODEL = "kresnik/wav2vec2-large-xlsr-korean"


def test_model_cards_show_korean_labels_in_the_window(korean_window: WindowFactory,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    tip = card_tooltip(find_info(HUB_MODEL))
    assert tip.splitlines() == [HUB_MODEL, "글자 오류율(CER): 1.78 %",
                                "기반 모델: facebook/wav2vec2-large-xlsr-53", "구조: wav2vec2 large XLSR",
                                "평가 데이터: Zeroth-Korean test", "받을 크기: 1.2 GB"]
    window = korean_window()
    shown: list[str] = []
    monkeypatch.setattr(window.prompter, "show_info", lambda parent, title, text: shown.append(text))
    window.dictation.model_ref = HUB_MODEL
    window.models.show_info()
    assert shown == [tip]


def test_the_decoder_tooltip_is_korean_in_the_window(qtbot, korean: None) -> None:  # type: ignore[no-untyped-def]
    bar = QStatusBar()
    qtbot.addWidget(bar)
    status = StatusPanel(bar)
    decoder = Decoder(TokenTable(("<pad>", "|", "가", "나"), 0, frozenset(), "|"), 0.02, DecoderOptions())
    status.show_decoder(decoder)
    assert status.decoder.toolTip() == "그리디 디코딩: 언어 모델(없음)도 사용자 단어도 없습니다"
    decoder.set_custom_words([Hotword("가나")])
    status.show_decoder(decoder)
    assert status.decoder.toolTip() == "빔 탐색(빔 16), 사용자 단어 1개"
    assert decoder.description == "beam search (beam 16), 1 custom words"  # the log's, unchanged


# -- representative errors as the window shows them -------------------------------------------


def raised(call: Callable[[], object]) -> BaseException:
    with pytest.raises(Exception) as caught:
        call()
    return caught.value


def missing_config(tmp: Path) -> BaseException:
    (tmp / "model").mkdir()
    return raised(lambda: check_local_checkpoint(tmp / "model"))


def save_into_missing_folder(tmp: Path) -> BaseException:
    return raised(lambda: save(Transcript(), tmp / "missing" / "t.txt"))


def custom_words_bad_boost(tmp: Path) -> BaseException:
    return raised(lambda: parse_hotwords(["김철수\t많이"], "words.txt"))


def hub_failure(tmp: Path, *, status: int = 0, weights: str = "model.safetensors", damaged: bool = False,
                cancel_at_start: bool = False) -> BaseException:
    """What downloading a model from a stand-in hub raises: ``status`` answered for its file
    list, its weights as ``weights``, ``damaged`` on the way, or cancelled once it has started."""
    config = {"config.json": b'{"architectures": ["Wav2Vec2ForCTC"]}', "vocab.json": b'{"<pad>": 0}'}
    cancel = threading.Event()
    progress = (lambda p: cancel.set()) if cancel_at_start else None
    with StandInHub() as hub:
        hub.add_repo(HUB_REF, {**config, weights: b"weights" * 100})
        if status:
            hub.faults.status[f"/api/models/{HUB_REF}/revision/main"] = status
        if damaged:
            hub.faults.damage.add(weights)
        return raised(lambda: fetch_model(HUB_REF, dest_root=tmp, endpoint=hub.endpoint, options=QUICK,
                                          cancel=cancel, progress=progress))


def hub_on(tmp: Path, listen: bool) -> BaseException:
    """What downloading from a port raises where a server accepts and never answers
    (``listen``), or where nothing listens."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        if not listen:
            listener.close()
        return raised(lambda: fetch_model(HUB_REF, dest_root=tmp, endpoint=f"http://127.0.0.1:{port}",
                                          options=QUICK))


HUB_REF = "someone/tiny-ko"
QUICK = DownloadOptions(connect_timeout_s=0.5, read_timeout_s=0.5)
DISK_FULL = OSError(errno.ENOSPC, "No space left on device")
ERRORS: dict[str, tuple[Callable[[Path], object], str, str]] = {
    # case: (what the window is given, words the Korean must have, library words it must not)
    "missing config.json": (missing_config, "config.json이 없어", ""),
    "damaged safetensors": (
        lambda tmp: ModelLoadError("checkpoint.damaged_weights", ref="/models/tiny",
                                   detail="Error while deserializing header: MetadataIncompleteBuffer"),
        "model.safetensors 파일이 손상되었습니다", "MetadataIncompleteBuffer"),
    "hub unreachable": (
        lambda tmp: ModelLoadError(Message(
            "checkpoint.hub_unreachable", ref="owner/model",
            reason=Message("hub.unresolved", host="huggingface.co",
                           reason="Temporary failure in name resolution"))),
        "허브에 연결할 수 없습니다", "Temporary failure"),
    "no PortAudio": (lambda tmp: AudioError("mic.no_portaudio", hint=PORTAUDIO_HINT), "libportaudio2",
                     "sudo"),
    "no microphone": (lambda tmp: raised(lambda: resolve_input_device(None, [])), "입력 메뉴", "livekr"),
    "journal disk full": (
        lambda tmp: Failure(Message("session.journal_failed", error=os_error(DISK_FULL, str(DISK_FULL))),
                            FailureKind.JOURNAL).message,
        "디스크 공간이 부족합니다", "Errno"),
    "save failed": (save_into_missing_folder, "폴더가 없습니다", ""),
    "custom words": (custom_words_bad_boost, "숫자가 아닙니다", ""),
    "disk full, raw": (lambda tmp: DISK_FULL, "디스크 공간이 부족합니다", "Errno"),
    "unexpected": (lambda tmp: RuntimeError("CUDA out of memory"), "예상치 못한 오류가 났습니다", ""),
    "unexpected, no text": (lambda tmp: KeyError(), "예상치 못한 오류가 났습니다", ""),
    "hub hung": (lambda tmp: hub_on(tmp, listen=True), "0.5초 안에 응답하지 않았습니다", ""),
    "hub refused": (lambda tmp: hub_on(tmp, listen=False), "연결을 거부했습니다", ""),
    "hub 404": (lambda tmp: hub_failure(tmp, status=404), "모델이 없거나", "hf download"),
    "hub: no safetensors": (lambda tmp: hub_failure(tmp, weights="pytorch_model.bin"),
                            "safetensors 가중치도, 그 변환본도 없습니다", "pickles"),
    "download disk full": (
        lambda tmp: DownloadError("download.write_failed", reason=os_error(DISK_FULL), hint=RESUME_HINT,
                                  path=hub_folder(HUB_REF, tmp) / STAGING_FOLDER / "model.safetensors.part"),
        "디스크 공간이 부족합니다", "No space left"),
    "download damaged": (lambda tmp: hub_failure(tmp, damaged=True), "손상된 채 도착했습니다", "arrived"),
    "download cancelled": (lambda tmp: hub_failure(tmp, cancel_at_start=True), "내려받기를 취소했습니다",
                           "cancelled"),
    "neither folder nor hub id": (lambda tmp: raised(lambda: hub_source("not/a/model", print, None)),
                                  "허깅페이스 모델 ID(소유자/이름)도 아닙니다", ""),
}


@pytest.mark.parametrize("case", ERRORS)
def test_errors_reach_the_window_in_korean_without_class_names_or_flags(case: str, tmp_path: Path) -> None:
    make, expected, hidden = ERRORS[case]
    item = make(tmp_path)
    ko, en = localized(item, "ko"), localized(item, "en")
    assert expected in ko, ko
    assert HANGUL.search(ko) and not CLASS_NAME.search(ko) and not COMMAND_LINE.search(ko), ko
    assert not (hidden and hidden in ko), ko
    assert en and not CLASS_NAME.search(en) and not COMMAND_LINE.search(en), en


def test_english_text_of_the_command_line_is_kept(tmp_path: Path) -> None:
    e = missing_config(tmp_path)
    assert str(e) == (f"{tmp_path / 'model'} has no config.json, so it is not a Hugging Face checkpoint; "
                      "choose the folder that holds config.json, model.safetensors and vocab.json")
    assert str(save_into_missing_folder(tmp_path)) == (
        f"cannot write {tmp_path / 'missing' / 't.txt'}: the folder {tmp_path / 'missing'} does not exist; "
        "create it or choose another place")
    assert isinstance(custom_words_bad_boost(tmp_path), HotwordError)


# -- the window -----------------------------------------------------------------------------

WindowFactory = Callable[..., MainWindow]


@pytest.fixture
def korean_window(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                  korean: None) -> Iterator[WindowFactory]:
    for env, sub in (("LIVEKR_MODELS_DIR", "models"), ("LIVEKR_CONFIG_DIR", "config"),
                     ("LIVEKR_STATE_DIR", "state")):
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(env, str(tmp_path / sub))
    windows: list[MainWindow] = []

    def make(load: Callable[..., object] | None = None,
             make_source: Callable[[str], AudioSource] | None = None,
             recognizer: object | None = None) -> MainWindow:
        store = QSettings(str(tmp_path / f"settings{len(windows)}.ini"), QSettings.Format.IniFormat)
        save_settings(store, AppSettings().with_options("window", language="ko"))
        extra = {"load_model": load} if load is not None else {}
        window = build_window(store=store, prompter=DialogPrompter(), list_devices=lambda: [],
                              make_source=make_source or (lambda device: ArraySource(silence(0.2))),
                              journal_folder=tmp_path / "journal", recognizer=recognizer,  # type: ignore[arg-type]
                              **extra)  # type: ignore[arg-type]
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        qtbot.waitUntil(lambda w=window: not w.dictation.busy, timeout=TIMEOUT_MS)
        window.close()
        window.deleteLater()


def test_qt_standard_buttons_are_korean(korean_window: WindowFactory) -> None:
    korean_window()
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "취소"
    box = QMessageBox(QMessageBox.Icon.Question, "", "", QMessageBox.StandardButton.Save
                      | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel)
    assert all(HANGUL.search(b.text()) for b in box.buttons()), [b.text() for b in box.buttons()]


def failing_load(error: BaseException) -> Callable[..., object]:
    def load(ref: str, options: object, progress: Callable[[str], None] | None = None,
             **_: object) -> object:
        if progress is not None:
            progress(Message("backend.converting"))
        raise error
    return load


@pytest.mark.parametrize("error", [ModelLoadError("checkpoint.no_config", folder="/models/mine"),
                                   RuntimeError("weights are on another planet")])
def test_a_failed_model_load_is_said_in_korean(qtbot, korean_window: WindowFactory,  # type: ignore[no-untyped-def]
                                               error: BaseException) -> None:
    window = korean_window(failing_load(error))
    shown: list[str] = []
    window.message_shown.connect(shown.append)
    with qtbot.waitSignal(window.dictation.model_failed, timeout=TIMEOUT_MS):
        window.models.choose("/models/mine")
    failure = next(text for text in shown if text.startswith("모델을 불러오지 못했습니다"))
    assert not CLASS_NAME.search(failure) and not COMMAND_LINE.search(failure), failure
    said = "config.json이 없어" if isinstance(error, ModelLoadError) else "예상치 못한 오류가 났습니다"
    assert said in failure
    assert any("ONNX로 변환하는 중" in text for text in shown)  # progress lines too
    assert window.message_bar.text() == failure


class UnpluggedSource(ArraySource):
    """Delivers its samples, then fails as a microphone does when it is unplugged."""

    def read(self, timeout_s: float) -> np.ndarray | None:
        block = super().read(timeout_s)
        if block is None:
            raise AudioError("mic.stopped", name="USB mic")
        return block


def test_audio_failures_are_said_in_korean(qtbot, korean_window: WindowFactory) -> None:  # type: ignore[no-untyped-def]
    def no_microphone(device: str) -> AudioSource:
        return resolve_input_device(None, [])  # type: ignore[return-value]

    window = korean_window(make_source=no_microphone, recognizer=ScriptedRecognizer())
    with qtbot.waitSignal(window.message_shown, timeout=TIMEOUT_MS) as shown:
        window.record_button.click()
    assert shown.args[0].startswith("마이크를 찾을 수 없습니다") and "livekr" not in shown.args[0]
    window.dictation._source_factory = lambda device: UnpluggedSource(silence(0.5))
    with qtbot.waitSignal(window.message_shown, timeout=TIMEOUT_MS) as shown:
        window.record_button.click()
    assert "'USB mic'에서 소리가 더 들어오지 않습니다" in shown.args[0]
    assert not CLASS_NAME.search(shown.args[0])


def dialog_seen(ask: Callable[[], object]) -> tuple[str, list[str]]:
    """Run ``ask``, which opens a modal dialog; close the dialog once it shows. Returns its
    title and the texts of its push buttons."""
    seen: dict[str, object] = {}

    def close_when_shown() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QDialog):  # not shown yet: look again from the dialog's own loop
            QTimer.singleShot(0, close_when_shown)
            return
        seen["title"] = dialog.windowTitle()
        seen["buttons"] = [b.text() for b in dialog.findChildren(QPushButton) if b.isVisible() and b.text()]
        dialog.done(0)

    QTimer.singleShot(0, close_when_shown)
    ask()
    return str(seen["title"]), list(seen["buttons"])  # type: ignore[call-overload]


def test_every_dialog_speaks_korean_without_mnemonics_in_its_title(  # type: ignore[no-untyped-def]
        qtbot, korean_window: WindowFactory, tmp_path: Path) -> None:
    gate = threading.Event()

    def held_load(ref: str, options: object, progress: object = None) -> object:
        gate.wait(TIMEOUT_MS / 1000)
        raise ModelLoadError("checkpoint.no_config", folder=ref)

    window = korean_window(held_load)
    ask: DialogPrompter = window.prompter  # type: ignore[assignment]
    parent: QWidget = window
    asked = {
        "recover": lambda: ask.offer_recovery(parent, Transcript()),
        "clear": lambda: ask.confirm_clear(parent),
        "unsaved": lambda: ask.ask_unsaved(parent, None),
        "save as": lambda: ask.save_path(parent, tmp_path / "t.txt"),
        "open folder": lambda: ask.checkpoint_folder(parent, tmp_path),
        "hub id": lambda: ask.hub_id(parent),
        "info": window.models.show_info,
        "settings": lambda: ask.edit_settings(parent, window.settings),
        "custom words": lambda: ask.edit_custom_words(parent, [], 2.0),
        "import words": lambda: dialogs._choose_word_file(parent),
    }
    for name, question in asked.items():
        title, buttons = dialog_seen(question)
        assert HANGUL.search(title) and "&" not in title and not title.endswith("…"), (name, title)
        assert buttons and all(HANGUL.search(b) for b in buttons), (name, buttons)
    window.models.choose("/models/held")
    window.close()  # a load runs: the closing dialog waits for it
    progress = window.closing.progress
    assert progress is not None and progress.windowTitle() == "livekr 닫는 중"
    assert [b.text() for b in progress.findChildren(QPushButton)] == ["지금 닫기"]
    with qtbot.waitSignal(window.dictation.idle, timeout=TIMEOUT_MS):
        gate.set()
