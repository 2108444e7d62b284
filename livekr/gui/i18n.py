"""UI strings in Korean and English, chosen from the system locale (or the settings).

A dict-based table: ``tr(key, **values)`` for the window's own words; ``localize(item)`` for
what the library reports (errors, ``Failure`` messages, progress lines), rendered from
``livekr.catalogue`` in the same language; ``title(key)`` for a dialog title made from a
menu entry. Qt's own words (standard buttons, file dialogs) come from Qt's translations,
installed by ``livekr.gui.app``.
"""

from __future__ import annotations

import re

from livekr.catalogue import LANGUAGES
from livekr.messages import localized

STRINGS: dict[str, tuple[str, str]] = {
    # key: (Korean, English)
    "app_title": ("livekr — 실시간 한국어 받아쓰기", "livekr — live Korean dictation"),
    "record": ("● 녹음", "● Record"),
    "stop": ("■ 중지", "■ Stop"),
    "finishing": ("마무리 중…", "Finishing…"),
    "menu_file": ("파일(&F)", "&File"),
    "menu_edit": ("편집(&E)", "&Edit"),
    "menu_model": ("모델(&M)", "&Model"),
    "menu_input": ("입력(&I)", "&Input"),
    "menu_view": ("보기(&V)", "&View"),
    "save": ("저장(&S)", "&Save"),
    "save_as": ("다른 이름으로 저장…", "Save &As…"),
    "quit": ("종료(&Q)", "&Quit"),
    "copy_all": ("모두 복사", "Copy &All"),
    "copy_selection": ("선택 복사", "&Copy Selection"),
    "clear": ("지우기…", "C&lear…"),
    "settings": ("설정…", "&Settings…"),
    "custom_words": ("사용자 단어…", "Custom &Words…"),
    "custom_words_title": ("사용자 단어", "Custom words"),
    "custom_words_intro": ("이름이나 용어처럼 적은 그대로 받아써야 할 단어와 구입니다. "
                           "다음 발화부터 적용됩니다. 가중치를 비워 두면 기본값({boost})이 쓰입니다.",
                           "Names and terms to be written exactly as listed, from the next utterance on. "
                           "An empty boost uses {boost}."),
    "custom_words_word": ("단어 또는 구", "Word or phrase"),
    "custom_words_boost": ("가중치", "Boost"),
    "custom_words_add": ("추가", "Add"),
    "custom_words_remove": ("삭제", "Remove"),
    "custom_words_import": ("파일에서 가져오기…", "Import from File…"),
    "custom_words_import_title": ("단어 목록 가져오기", "Import custom words"),
    "custom_words_import_filter": ("텍스트 파일 (*.txt);;모든 파일 (*)", "Text files (*.txt);;All files (*)"),
    "custom_words_imported": ("{name}에서 {count}개를 가져왔습니다.", "Imported {count} from {name}."),
    "custom_words_bad_file": ("가져올 수 없습니다: {reason}", "Cannot import: {reason}"),
    "custom_words_bad_boost": ("{row}번째 줄: 가중치는 0보다 크고 {max} 이하인 숫자여야 합니다.",
                               "Row {row}: the boost must be a number above 0 and at most {max}."),
    "custom_words_count": ("{count}개", "{count} words"),
    "custom_words_applied": ("사용자 단어 {count}개를 다음 발화부터 씁니다.",
                             "{count} custom words are used from the next utterance on."),
    "caption_mode": ("자막 모드", "&Caption Mode"),
    "font_bigger": ("글자 크게", "&Larger Text"),
    "font_smaller": ("글자 작게", "&Smaller Text"),
    "local_models": ("내 모델", "Local models"),
    "no_local_models": ("(모델 폴더가 비어 있음: {folder})", "(no checkpoints in {folder})"),
    "hub_models": ("허깅페이스 허브", "Hugging Face hub"),
    "recent_models": ("최근 모델", "Recent"),
    "no_recent": ("(없음)", "(none)"),
    "open_folder": ("체크포인트 폴더 열기…", "Open Checkpoint &Folder…"),
    "hub_id": ("허브 ID…", "&Hub id…"),
    "model_info": ("모델 정보…", "Model &Info…"),
    "hub_id_prompt": ("허깅페이스 허브 모델 ID:", "Hugging Face hub model id:"),
    "default_device": ("시스템 기본 마이크", "System default microphone"),
    "refresh_devices": ("목록 새로 고침", "&Refresh List"),
    "no_input_devices": ("입력 장치 없음", "No input device found"),
    "input_error": ("마이크를 쓸 수 없음", "Microphone unavailable"),
    "status_demo": ("데모 파일: {name}", "demo file: {name}"),
    "status_no_model": ("모델 없음", "no model"),
    "status_greedy": ("그리디 디코딩", "greedy decoding"),
    "status_beam": ("빔 탐색", "beam search"),
    "status_beam_lm": ("빔 + 언어 모델", "beam + LM"),
    "status_words": ("단어 {count}개", "{count} words"),
    "status_latency": ("지연 {value}", "latency {value}"),
    "status_rtf": ("RTF {value}", "RTF {value}"),
    "status_backlog": ("대기 {value}", "backlog {value}"),
    "status_dropped": ("누락 {value}", "dropped {value}"),
    "loading_model": ("모델 불러오는 중: {name}", "Loading model {name}…"),
    "model_loaded": ("모델 준비됨: {name} ({device})", "Model ready: {name} ({device})"),
    "model_failed": ("모델을 불러오지 못했습니다: {reason}", "Could not load the model: {reason}"),
    "model_kept": ("이전 모델({name})을 계속 사용합니다.",
                   "Still using the previous model ({name})."),
    "model_switch_next": ("새 모델로 다시 시작합니다.", "Restarting with the new model."),
    "need_model": ("먼저 모델 메뉴에서 모델을 고르세요.",
                   "Choose a model from the Model menu first."),
    "audio_failed": ("오디오 오류: {reason} — 지금까지의 받아쓰기는 보존됩니다.",
                     "Audio problem: {reason} — the transcript so far is kept."),
    "session_error": ("오류: {reason}", "Error: {reason}"),
    "demo_playing": ("데모 재생: {name}", "Demo: playing {name}"),
    "demo_done": ("데모 파일 재생이 끝났습니다.", "The demo file has finished."),
    "saved": ("저장됨: {path}", "Saved {path}"),
    "save_failed": ("저장하지 못했습니다: {reason}", "Could not save: {reason}"),
    "audio_saved": ("오디오도 저장됨: {path}", "Audio saved as {path}"),
    "copied": ("복사했습니다.", "Copied."),
    "confirm_clear_title": ("받아쓰기 지우기", "Clear transcript"),
    "confirm_clear": ("저장하지 않은 받아쓰기를 지울까요?", "Clear the unsaved transcript?"),
    "unsaved_title": ("저장하지 않은 받아쓰기", "Unsaved transcript"),
    "unsaved": ("받아쓰기를 저장할까요?", "Save the transcript before closing?"),
    "recover_title": ("이전 세션 복구", "Recover last session"),
    "recover": ("지난번에 저장하지 못한 받아쓰기({count}개 문장)가 있습니다. 복구할까요?",
                "livekr did not close cleanly last time; recover its transcript "
                "({count} utterances)?"),
    "recover_failed": ("복구하지 못했습니다: {reason}", "Could not recover the session: {reason}"),
    "recovered": ("이전 세션을 복구했습니다 ({count}개 문장).",
                  "Recovered the last session ({count} utterances)."),
    "closing": ("남은 음성을 처리하고 닫는 중…", "Finishing the transcript before closing…"),
    "low_confidence": ("신뢰도 {conf}% · {start}–{end}", "confidence {conf}% · {start}–{end}"),
    "utterance_tip": ("{start}–{end} · 신뢰도 {conf}%", "{start}–{end} · confidence {conf}%"),
    "settings_title": ("설정", "Settings"),
    "set_end_silence": ("말 끝 판단 침묵 (ms)", "End-of-speech silence (ms)"),
    "set_vad": ("음성 감지 엄격도 (0–3)", "Voice detection strictness (0–3)"),
    "set_partials": ("말하는 도중 임시 결과 표시", "Show partial results while speaking"),
    "set_encoding": ("인코딩 (windowed: 긴 문장도 실시간)", "Encoding (windowed: real time at any length)"),
    "set_device": ("연산 장치", "Compute device"),
    "set_backend": ("추론 엔진", "Inference engine"),
    "set_threads": ("CPU 스레드 (0: 전부)", "CPU threads (0: all)"),
    "set_dtype": ("정밀도", "Precision"),
    "set_font": ("글자 크기 (pt)", "Font size (pt)"),
    "set_caption": ("자막 모드 (큰 글자, 고대비)", "Caption mode (large, high contrast)"),
    "set_keep_audio": ("녹음한 오디오를 FLAC으로 함께 저장",
                       "Keep the audio as FLAC beside the transcript"),
    "set_language": ("언어 (다시 시작 후 적용)", "Language (after restart)"),
    "lang_auto": ("시스템 설정", "System"),
    "file_filter": ("텍스트 (*.txt);;SubRip 자막 (*.srt);;WebVTT 자막 (*.vtt);;JSON (*.json)",
                    "Text (*.txt);;SubRip subtitles (*.srt);;WebVTT subtitles (*.vtt);;"
                    "JSON (*.json)"),
    "info_title": ("모델 정보", "Model information"),
    "no_card": ("이 모델에는 livekr.json 카드가 없습니다.", "This model has no livekr.json card."),
    "hint_input": ("입력 메뉴에서 다른 마이크를 고르거나 마이크 연결을 확인하세요.",
                   "Choose another microphone in the Input menu, or check that it is connected."),
    "hint_recognition": ("모델 메뉴에서 다른 모델을 고를 수 있습니다.",
                         "You can choose another model in the Model menu."),
    "hint_journal": ("자동 저장이 멈췄습니다. 파일 ▸ 저장으로 지금 저장하세요.",
                     "Autosave has stopped: save now with File ▸ Save."),
    "unsaved_file": ("{name}에 저장한 뒤 바뀐 내용이 있습니다. 저장할까요?",
                     "The transcript changed since it was saved to {name}. Save the changes?"),
    "idle_hint": ("● 녹음을 누르거나 Ctrl+R로 받아쓰기를 시작하세요.",
                  "Press ● Record or Ctrl+R to start dictating."),
    # Korean all the way
    "close_now": ("지금 닫기", "Close now"),
    "closing_title": ("livekr 닫는 중", "Closing livekr"),
    "title_demo": ("{title} — 데모: {name}", "{title} — demo: {name}"),
    "status_dropped_tip": ("누락된 블록 {dropped} · 장치 상태 오류 {errors} · 건너뛴 임시 결과 {skipped}",
                           "dropped blocks {dropped} · device status errors {errors} · skipped partials "
                           "{skipped}"),
}

_language = "en"


def system_language() -> str:
    """"ko" when the system locale is Korean, else "en"."""
    from PySide6.QtCore import QLocale

    return "ko" if QLocale.system().language() == QLocale.Language.Korean else "en"


def set_language(code: str) -> str:
    """Use ``code`` ("ko", "en", or "" / "auto" for the system locale); returns the one chosen."""
    global _language
    _language = code if code in LANGUAGES else system_language()
    return _language


def language() -> str:
    return _language


def tr(key: str, **values: object) -> str:
    """The string for ``key`` in the current language, formatted with ``values``."""
    text = STRINGS[key][LANGUAGES.index(_language)]
    return text.format(**values) if values else text


_MNEMONIC = re.compile(r"\(&[^)]\)|&(&?)")


def title(key: str, **values: object) -> str:
    """``tr(key)`` as a window title: without its keyboard mnemonic ("&Save", "저장(&S)"; "&&"
    stays one "&") and without a trailing "…"."""
    text = _MNEMONIC.sub(lambda m: m.group(1) or "", tr(key, **values))
    return text.removesuffix("…").strip()


def localize(item: object) -> str:
    """A library ``Message`` or error in the current language (``livekr.messages.localized``):
    never an exception's class name; anything else as ``str``. Any thread may call it."""
    return localized(item, _language)
