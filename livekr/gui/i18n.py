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
    # model loading, downloads and the first run
    "cancel": ("취소", "Cancel"),
    "menu_loading": ("불러오는 중…", "loading…"),
    "downloading_model": ("모델 받는 중: {name} ({size})", "Downloading {name} ({size})"),
    "cancelling_load": ("취소하는 중: {name}", "Cancelling {name}…"),
    "load_cancelled": ("{name} 불러오기를 취소했습니다.", "Loading {name} was cancelled."),
    "time_left": ("{time} 남음", "{time} left"),
    "time_seconds": ("{seconds}초", "{seconds} s"),
    "time_minutes": ("{minutes}분 {seconds}초", "{minutes} min {seconds} s"),
    "time_hours": ("{hours}시간 {minutes}분", "{hours} h {minutes} min"),
    "model_still_loading": ("모델을 불러오는 중입니다({name}). 준비되면 녹음할 수 있습니다.",
                            "The model ({name}) is still loading; you can record once it is ready."),
    "recommended": ("추천", "recommended"),
    "speed_faster": ("이 컴퓨터에서 실시간보다 약 {times}배 빠름",
                     "about {times}× faster than real time here"),
    "speed_slower": ("이 컴퓨터에서는 말한 시간의 약 {times}배가 걸림",
                     "takes about {times}× the speaking time here"),
    "choice_facts": ("받을 크기 {size} · 글자 오류율(CER) {cer} % · {speed}",
                     "download {size} · character error rate {cer} % · {speed}"),
    "choice_slow": ("이 컴퓨터에서는 실시간 받아쓰기가 밀릴 수 있습니다. 파일 받아쓰기에는 쓸 수 있습니다.",
                    "Live dictation may fall behind on this computer; files still work."),
    "first_run_title": ("받아쓰기 모델 고르기", "Choose a dictation model"),
    "first_run_intro": ("livekr는 음성 인식 모델이 있어야 받아쓸 수 있습니다. 공개된 한국어 모델 하나를 "
                        "받거나, 이미 가진 체크포인트 폴더를 고르세요. 속도는 이 컴퓨터를 잠깐 재어 본 "
                        "추정치입니다.",
                        "livekr needs a speech recognition model. Download one of the published Korean "
                        "models, or choose a checkpoint folder you already have. Speeds are estimated "
                        "from a short measurement of this computer."),
    "first_run_folder": ("내 컴퓨터의 체크포인트 폴더 쓰기…", "Use a Local Folder…"),
    "first_run_note": ("나중에 모델 메뉴에서 언제든 바꿀 수 있습니다. 받는 동안에도 창을 쓸 수 있고, "
                       "끊기면 이어서 받습니다.",
                       "You can change it any time in the Model menu. The window stays usable while "
                       "it downloads, and an interrupted download resumes."),
    "first_run_download": ("받아서 쓰기", "Download and Use"),
    "first_run_later": ("나중에", "Later"),
    "open_folder_title": ("체크포인트 폴더 고르기", "Choose a checkpoint folder"),
    "no_model_yet": ("모델이 없습니다. 모델 메뉴에서 모델을 고르거나 받으세요.",
                     "No model yet: choose or download one in the Model menu."),
    "new_text": ("↓ 새 글", "↓ New text"),
    "find": ("찾기…", "Find…"),
    "find_label": ("찾기:", "Find:"),
    "find_placeholder": ("받아쓴 글에서 찾기", "Search the transcript"),
    "find_previous": ("이전 (Shift+Enter)", "Previous (Shift+Enter)"),
    "find_next": ("다음 (Enter)", "Next (Enter)"),
    "find_close": ("닫기 (Esc)", "Close (Esc)"),
    "find_count": ("{count}개", "{count} found"),
    "undo_edit": ("고친 글", "correction"),
    "undo": ("되돌리기", "Undo"),
    "redo": ("다시 하기", "Redo"),
    "edit_utterance": ("문장 고치기 (F2)", "Correct Utterance (F2)"),
    "edit_gone": ("고치려던 문장이 받아쓰기에 더 이상 없습니다.",
                  "That utterance is no longer in the transcript."),
    "set_low_confidence": ("불확실한 글자 표시 기준 (0: 표시 안 함)",
                           "Mark uncertain characters below (0: off)"),
    "behind": ("받아쓰기가 말을 따라가지 못하고 있습니다: 약 {seconds}초 분량이 밀려 있습니다. 밀린 말도 "
               "빠짐없이 받아씁니다.",
               "Transcription is falling behind your speech: about {seconds} s of audio is waiting. "
               "Nothing is lost; it is still transcribed."),
    "behind_remedies": ("아래 방법 중 하나로 빠르게 할 수 있습니다.", "One of these makes it faster:"),
    "behind_no_remedy": ("말을 잠시 멈추면 따라잡습니다.", "Pause for a moment and it catches up."),
    "remedy_engine": ("더 빠른 엔진 쓰기", "Use a Faster Engine"),
    "remedy_model": ("작은 모델로 바꾸기", "Switch to a Smaller Model"),
    "remedy_partials": ("말하는 도중 결과 끄기", "Turn Off Live Preview"),
    "remedy_engine_done": ("더 빠른 엔진(ONNX int8)으로 모델을 다시 불러옵니다.",
                           "Reloading the model with the faster engine (ONNX int8)."),
    "remedy_partials_done": ("말하는 도중의 임시 결과를 껐습니다. 문장이 끝나면 글이 나옵니다.",
                             "Live preview is off: text appears when you pause."),
    "export_corrections": ("고친 글을 학습 자료로 내보내기…", "Export Corrections…"),
    "corrections_title": ("학습 자료를 둘 폴더", "Folder for the training data"),
    "corrections_nothing": ("내보낼 받아쓰기가 없습니다.", "There is no transcript to export."),
    "corrections_no_audio": ("이 받아쓰기에는 녹음이 남아 있지 않습니다. 설정에서 "
                             "'녹음한 오디오를 함께 저장'을 켜고 받아쓰면 내보낼 수 있습니다.",
                             "This transcript kept no audio: turn on 'Keep the audio' in Settings, then "
                             "dictate, to export corrections."),
    "corrections_failed": ("내보내지 못했습니다: {reason}", "Could not export: {reason}"),
    "corrections_done": ("{count}개 문장({minutes}분)을 내보냈습니다: {path}",
                         "Exported {count} utterances ({minutes} min): {path}"),
    "close_now": ("지금 닫기", "Close now"),
    "closing_load": ("모델 불러오기를 멈추고 닫는 중…", "Stopping the model load before closing…"),
    # files from the window
    "transcribe_files": ("파일 받아쓰기…", "&Transcribe Files…"),
    "files_title": ("받아쓸 오디오 파일", "Audio files to transcribe"),
    "files_filter": ("오디오 ({patterns});;모든 파일 (*)", "Audio ({patterns});;All files (*)"),
    "files_need_model": ("먼저 모델 메뉴에서 모델을 고르세요. 그다음 파일을 받아쓸 수 있습니다.",
                         "Choose a model from the Model menu first; then files can be transcribed."),
    "files_not_audio": ("오디오 파일이 아니라서 받지 않았습니다: {names} (받아쓸 수 있는 형식: {kinds})",
                        "Not taken, not an audio file livekr reads: {names} (it reads {kinds})"),
    "file_unreadable": ("{name}을(를) 받아쓸 수 없습니다: {reason}", "Cannot transcribe {name}: {reason}"),
    "file_failed": ("{name} 받아쓰기 중 문제: {reason}", "{name}: a problem while transcribing: {reason}"),
    "file_warning": ("{name}: 주의 — {reason}", "{name}: warning: {reason}"),
    "files_record_busy": ("파일을 받아쓰는 동안에는 녹음할 수 없습니다. "
                          "끝날 때까지 기다리거나 파일 받아쓰기를 취소하세요.",
                          "Recording is not possible while files are transcribed: wait for them, "
                          "or cancel them."),
    "files_done": ("파일 {count}개를 받아썼습니다.", "Transcribed {count} file(s)."),
    "files_heading": ("파일 받아쓰기", "Files"),
    "files_cancel_all": ("모두 취소", "Cancel All"),
    "files_close": ("목록 닫기", "Close List"),
    "file_cancel": ("취소", "Cancel"),
    "file_waiting": ("대기 중", "waiting"),
    "file_held": ("녹음이 끝나면 시작합니다", "starts when the recording stops"),
    "file_running": ("받아쓰는 중", "transcribing"),
    "file_done": ("완료", "done"),
    "file_failed_state": ("실패: {reason}", "failed: {reason}"),
    "file_cancelled": ("취소됨", "cancelled"),
    "dictation_heading": ("받아쓰기", "Dictation"),
    # Korean all the way
    "closing_title": ("livekr 닫는 중", "Closing livekr"),
    "title_demo": ("{title} — 데모: {name}", "{title} — demo: {name}"),
    "status_dropped_tip": ("누락된 블록 {dropped} · 장치 상태 오류 {errors} · 건너뛴 임시 결과 {skipped}",
                           "dropped blocks {dropped} · device status errors {errors} · skipped partials "
                           "{skipped}"),
    # dictation into other programs
    "menu_dictation": ("받아쓰기(&D)", "&Dictation"),
    "insert_mode": ("다른 프로그램에 입력", "&Type Into Other Programs"),
    "undo_insertion": ("마지막 입력 되돌리기", "&Undo Last Insertion"),
    "set_insert_method": ("다른 프로그램에 넣는 방법", "How text goes into other programs"),
    "insert_method_type": ("키 입력으로 치기", "Type it as key presses"),
    "insert_method_paste": ("클립보드로 붙여넣기", "Paste it through the clipboard"),
    "set_full_stop": ("문장 끝에 마침표 붙이기", "End each sentence with a full stop"),
    "set_spoken_punctuation": ("말한 문장 부호 넣기 (\"마침표\", \"쉼표\", \"물음표\", \"줄바꿈\")",
                               "Spoken punctuation (\"마침표\", \"쉼표\", \"물음표\", \"줄바꿈\")"),
    "set_hotkey": ("어디서나 녹음 단축키 (비우면 없음)", "Global dictation shortcut (empty: none)"),
    "set_hotkey_mode": ("단축키 동작", "The shortcut"),
    "hotkey_toggle": ("한 번 눌러 시작, 다시 눌러 중지", "starts, and stops when pressed again"),
    "hotkey_hold": ("누르고 있는 동안 녹음", "records while held down"),
    "set_undo_hotkey": ("어디서나 마지막 입력 되돌리기 단축키 (비우면 없음)",
                        "Global shortcut to undo the last insertion (empty: none)"),
    "set_keep_in_tray": ("창을 닫아도 시스템 트레이에서 계속 실행",
                         "Keep running in the tray when the window is closed"),
    "insert_unavailable": ("다른 프로그램에 입력할 수 없습니다: {reason}",
                           "Cannot type into other programs: {reason}"),
    "insert_failed": ("다른 프로그램에 입력하지 못해 입력을 껐습니다: {reason} — 받아쓴 글은 모두 이 창에 "
                      "남아 있습니다.",
                      "Typing into other programs failed and is now off: {reason} — the transcript here "
                      "keeps everything."),
    "insert_stays_here": ("livekr 창이 활성 상태라 글을 다른 프로그램에 넣지 않고 이 창에만 둡니다. "
                          "입력할 프로그램을 클릭한 뒤 말하세요.",
                          "livekr's own window is active, so the text stays here. Click into the program "
                          "that should receive it, then speak."),
    "insert_nothing_to_undo": ("되돌릴 입력이 없습니다.", "There is no insertion to undo."),
    "insert_undone": ("마지막으로 넣은 {count}글자를 지웠습니다.",
                      "Removed the last {count} characters typed."),
    "hotkey_taken": ("단축키 {hotkey}을(를) 쓸 수 없습니다: {reason} — 보기 ▸ 설정의 '어디서나 녹음 "
                     "단축키'에서 다른 단축키를 고르세요.",
                     "The shortcut {hotkey} cannot be used: {reason} — choose another one under "
                     "'Global dictation shortcut' in View ▸ Settings."),
    "undo_hotkey_taken": ("되돌리기 단축키 {hotkey}을(를) 쓸 수 없습니다: {reason} — 보기 ▸ 설정의 "
                          "'어디서나 마지막 입력 되돌리기 단축키'에서 다른 단축키를 고르세요.",
                          "The undo shortcut {hotkey} cannot be used: {reason} — choose another one under "
                          "'Global shortcut to undo the last insertion' in View ▸ Settings."),
    "indicator_listening": ("● 듣는 중", "● Listening"),
    "indicator_hearing": ("● 말소리", "● Hearing speech"),
    "indicator_working": ("… 받아쓰는 중", "… Working"),
    "tray_show_window": ("창 보이기", "Show &Window"),
    "tray_still_running": ("livekr는 시스템 트레이에서 계속 실행 중입니다. 끝내려면 트레이 아이콘 메뉴에서 "
                           "종료를 고르세요.",
                           "livekr is still running in the system tray. To end it, choose Quit in the tray "
                           "icon's menu."),
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
