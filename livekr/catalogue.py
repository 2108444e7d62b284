"""The texts of livekr's messages for people: key → (Korean, English), as ``livekr.messages``
renders them.

The English text is what the command line prints, word for word; the Korean text is what a
Korean window shows. Both are ``str.format`` templates. A Korean text may leave out a value
that holds a library's own English words (``detail``): it says what happened and what to
do, and the log keeps the library's words. Texts for the window never advise command
lines or flags: where the English text does, ``WINDOW_ENGLISH`` holds the window's English.

The texts of the hub and of dictation into other programs live in ``catalogue_hub`` and
``catalogue_insert``. A new error gets its Korean by adding its key here (or there) and
raising it with that key (``raise AudioError("mic.none")``); tests check that every key has
both languages.
"""

from __future__ import annotations

from livekr.catalogue_hub import HUB
from livekr.catalogue_insert import INSERT

LANGUAGES = ("ko", "en")

CATALOGUE: dict[str, tuple[str, str]] = {
    # -- anything unexpected (a defect, or a library error livekr does not know) -------------
    "error.unexpected": (
        "예상치 못한 오류가 났습니다: {detail}. 자세한 내용은 로그(터미널 출력)에 있습니다.",
        "unexpected error: {detail}; the log has the details",
    ),
    "error.unexpected_bare": (
        "예상치 못한 오류가 났습니다. 자세한 내용은 로그(터미널 출력)에 있습니다.",
        "unexpected error; the log has the details",
    ),
    # -- an OSError in words: the English is the system's own text --------------------------
    "os.no_space": ("디스크 공간이 부족합니다", "{text}"),
    "os.permission": ("권한이 없습니다", "{text}"),
    "os.read_only": ("읽기 전용 파일 시스템입니다", "{text}"),
    "os.not_found": ("파일이나 폴더가 없습니다", "{text}"),
    "os.not_a_folder": ("경로의 일부가 폴더가 아닙니다", "{text}"),
    "os.is_a_folder": ("파일이 아니라 폴더입니다", "{text}"),
    "os.too_many_files": ("열린 파일이 너무 많습니다", "{text}"),
    "os.io": ("입출력 오류가 났습니다(디스크나 장치를 확인하세요)", "{text}"),
    "os.other": ("시스템 오류: {text}", "{text}"),
    # -- kinds of file (fileio.file_kind) ----------------------------------------------------
    "kind.regular": ("일반 파일", "a regular file"),
    "kind.folder": ("폴더", "a folder"),
    "kind.char_device": ("문자 장치", "a character device"),
    "kind.block_device": ("블록 장치", "a block device"),
    "kind.fifo": ("이름 있는 파이프(FIFO)", "a named pipe (FIFO)"),
    "kind.socket": ("소켓", "a socket"),
    "kind.special": ("특수 파일", "a special file"),
    # -- writing files (fileio) --------------------------------------------------------------
    "write.failed": ("{path}에 쓸 수 없습니다: {reason}", "cannot write {path}: {reason}"),
    "write.not_regular": (
        "{path}에 쓸 수 없습니다: {kind}이며 일반 파일이 아닙니다. 파일 이름을 입력하세요",
        "cannot write {path}: it is {kind}, not a regular file; give a file name",
    ),
    "write.no_folder": (
        "{folder} 폴더가 없습니다. 폴더를 만들거나 다른 곳을 고르세요",
        "the folder {folder} does not exist; create it or choose another place",
    ),
    "write.blocked_by_file": (
        "{blocker}은(는) 폴더가 아니라 파일입니다. 다른 곳을 고르세요",
        "{blocker} is a file, not a folder; choose another place",
    ),
    "write.not_a_folder": (
        "경로의 일부가 폴더가 아닙니다. 다른 곳을 고르세요",
        "part of the path is not a folder; choose another place",
    ),
    "write.permission": (
        "권한이 없습니다. 쓸 수 있는 폴더를 고르세요",
        "permission denied; choose a folder you may write to",
    ),
    "write.read_only": (
        "읽기 전용 파일 시스템입니다. 다른 곳을 고르세요",
        "the file system is read-only; choose another place",
    ),
    "write.no_space": (
        "디스크 공간이 부족합니다(디스크가 가득 찼거나 할당량을 넘었습니다). 공간을 비우세요",
        "no space left on the device (disk full or quota reached); free some space",
    ),
    "write.is_folder": ("폴더입니다. 파일 이름을 입력하세요", "it is a folder; give a file name"),
    "write.too_many_files": (
        "열린 파일이 너무 많습니다. 프로그램을 몇 개 닫고 다시 해 보세요",
        "too many files are open; close some programs and try again",
    ),
    # -- checkpoints (checkpoint, recognizer) ------------------------------------------------
    "checkpoint.unreadable": ("{path} 파일을 읽을 수 없습니다: {reason}", "cannot read {path}: {reason}"),
    "checkpoint.bad_json": (
        "{path} 파일이 손상되었습니다(올바른 JSON이 아님). 체크포인트를 받은 곳에서 다시 가져오세요",
        "{path} is not valid JSON ({detail}); the file is damaged: restore it from where the checkpoint "
        "came from",
    ),
    "checkpoint.no_json_object": (
        "{path} 파일이 손상되었습니다(JSON 객체가 없음). 체크포인트를 받은 곳에서 다시 가져오세요",
        "{path} holds no JSON object; the file is damaged: restore it from where the checkpoint came from",
    ),
    "checkpoint.no_folder": ("{folder}: 체크포인트 폴더가 없습니다", "{folder}: no such checkpoint folder"),
    "checkpoint.is_file": (
        "{folder}은(는) 파일입니다. config.json이 들어 있는 체크포인트 폴더를 고르세요",
        "{folder} is a file; give the checkpoint folder that holds config.json",
    ),
    "checkpoint.no_config": (
        "{folder}에 config.json이 없어 허깅페이스 체크포인트가 아닙니다. config.json, model.safetensors, "
        "vocab.json이 들어 있는 폴더를 고르세요",
        "{folder} has no config.json, so it is not a Hugging Face checkpoint; choose the folder that holds "
        "config.json, model.safetensors and vocab.json",
    ),
    "checkpoint.no_vocab": (
        "{folder}에 vocab.json이 없어 체크포인트에 토크나이저가 빠졌습니다. 프로세서를 모델과 함께 "
        "저장하세요(processor.save_pretrained)",
        "{folder} has no vocab.json: the checkpoint lacks its tokenizer; save the processor with the model "
        "(processor.save_pretrained(folder))",
    ),
    "checkpoint.vocab_empty": (
        "{path} 파일이 비어 있습니다. 이 모델과 함께 저장된 vocab.json을 쓰세요",
        "{path} is empty; use the vocab.json saved with this model",
    ),
    "checkpoint.vocab_not_map": (
        "{path} 파일이 토큰과 번호의 대응표가 아닙니다. 이 모델과 함께 저장된 vocab.json을 쓰세요",
        "{path} is not a map of tokens to ids; use the vocab.json saved with this model",
    ),
    "checkpoint.config_unreadable": (
        "{ref}: config.json을 읽을 수 없습니다",
        "{ref}: cannot read config.json ({detail})",
    ),
    "checkpoint.config_unknown": (
        "{ref}: config.json이 livekr가 아는 모델이 아닙니다",
        "{ref}: config.json is not a model livekr knows ({detail})",
    ),
    "checkpoint.not_ctc": (
        "{ref}은(는) CTC 음성 인식 체크포인트가 아닙니다(구조: {architectures}). *ForCTC 체크포인트를 "
        "고르거나, 이 모델을 먼저 미세 조정하세요",
        "{ref} is not a CTC speech-recognition checkpoint (architectures: {architectures}); fine-tune it "
        "first with livekr-train, or pick a *ForCTC checkpoint",
    ),
    "checkpoint.no_processor": (
        "{ref}: 프로세서를 불러올 수 없습니다",
        "{ref}: cannot load the processor ({detail})",
    ),
    "checkpoint.no_tokenizer": (
        "{ref}에 토크나이저(vocab.json)가 없어 모델의 출력을 글자로 바꿀 수 없습니다",
        "{ref} has no tokenizer (vocab.json); it cannot turn output into text",
    ),
    "checkpoint.damaged_weights": (
        "{ref}: model.safetensors 파일이 손상되었습니다(잘렸거나, 비었거나, safetensors 파일이 아님). "
        "체크포인트를 다시 복사하거나 내려받으세요",
        "{ref}: model.safetensors is damaged ({detail}): it is truncated, empty or not a safetensors file; "
        "copy or download the checkpoint again",
    ),
    "checkpoint.no_safetensors": (
        "{ref}: 불러올 수 있는 model.safetensors가 없습니다. livekr는 safetensors 가중치만 읽습니다: "
        "가중치를 변환하세요(model.save_pretrained가 이 형식으로 저장합니다)",
        "{ref}: no loadable model.safetensors ({detail}); livekr loads safetensors only: convert the "
        "weights (model.save_pretrained(folder) writes them)",
    ),
    "checkpoint.weights_failed": (
        "{ref}: 가중치를 불러올 수 없습니다. 자세한 내용은 로그에 있습니다",
        "{ref}: cannot load the weights ({detail})",
    ),
    "checkpoint.config_mismatch": (
        "{ref}: config.json이 model.safetensors와 맞지 않습니다({problem}). 이 가중치와 함께 저장된 "
        "config.json을 쓰세요",
        "{ref}: config.json does not match model.safetensors ({problem}); use the config.json saved with "
        "these weights",
    ),
    "weights.shape": (
        "가중치 {count}개의 모양이 다름, 예: {key}: 파일에는 {in_file}, config.json으로는 {in_model}",
        "{count} weights differ in shape, e.g. {key}: {in_file} in the file, {in_model} by config.json",
    ),
    "weights.missing": (
        "파일에 가중치 {count}개가 없음, 예: {key}",
        "{count} weights missing from the file, e.g. {key}",
    ),
    "weights.unexpected": (
        "파일의 가중치 {count}개가 모델에 들어갈 자리가 없음, 예: {key}",
        "{count} weights in the file have no place in the model, e.g. {key}",
    ),
    "hub.offline": ("HF_HUB_OFFLINE 환경 변수가 설정되어 있음", "HF_HUB_OFFLINE is set"),
    "hub.unresolved": ("{host} 주소를 찾을 수 없음", "cannot resolve {host}: {reason}"),
    "checkpoint.hub_unreachable": (
        "{ref!r} 모델을 불러올 수 없습니다: 내 컴퓨터의 폴더도 아니고 허깅페이스 캐시에도 없는데, 허브에 "
        "연결할 수 없습니다({reason}). 인터넷에 한 번 연결해 내려받거나, 모델 메뉴에서 체크포인트 폴더를 "
        "여세요",
        "cannot load {ref!r}: it is not a local folder nor in the Hugging Face cache, and the hub is "
        "unreachable ({reason}); connect once to download it, or pass a checkpoint folder",
    ),
    "checkpoint.hub_failed": (
        "허깅페이스 허브에서 {ref!r} 모델을 불러올 수 없습니다. ID(소유자/이름)를 확인하거나, 모델 메뉴에서 "
        "체크포인트 폴더를 여세요",
        "cannot load {ref!r} from the Hugging Face hub ({detail}); check the id (owner/name), or pass a "
        "checkpoint folder",
    ),
    "checkpoint.not_folder_nor_id": (
        "{ref}: 그런 체크포인트 폴더가 없고, 허깅페이스 모델 ID(소유자/이름)도 아닙니다. 폴더 경로나 "
        "모델 ID를 확인하세요",
        "{ref}: no such checkpoint folder, and not a Hugging Face model id (owner/name)",
    ),
    "recognizer.vocab_mismatch": (
        "{ref}: vocab.json의 토큰이 모델의 출력과 맞지 않아 이 가중치의 vocab.json이 아닙니다. 이 모델과 "
        "함께 저장된 vocab.json을 쓰세요",
        "{ref}: {problem}, so its vocab.json does not belong to these weights; use the vocab.json saved "
        "with this model",
    ),
    "recognizer.non_finite": (
        "{ref}: 모델의 출력이 NaN이나 무한대입니다: 가중치가 손상되었습니다. 체크포인트를 다시 복사하거나 "
        "내려받으세요",
        "{ref}: the model computes NaN or infinite outputs: its weights are damaged; copy or download the "
        "checkpoint again",
    ),
    "recognizer.non_finite_dtype": (
        "{ref}: 모델의 출력이 NaN이나 무한대입니다: 가중치가 손상되었거나 {dtype}에서 넘칩니다(설정에서 "
        "정밀도를 fp32로 바꿔 보세요). 아니면 체크포인트를 다시 복사하거나 내려받으세요",
        "{ref}: the model computes NaN or infinite outputs: its weights are damaged, or they overflow in "
        "{dtype} (try fp32); copy or download the checkpoint again",
    ),
    # -- slow steps of a model load (backends) -----------------------------------------------
    "backend.measuring": (
        "이 CPU에서 {names}의 속도를 재는 중(이 체크포인트에 한 번만)",
        "measuring {names} on this CPU (once for this checkpoint)",
    ),
    "backend.converting": (
        "모델을 ONNX로 변환하는 중(이 체크포인트에 한 번만, 큰 모델은 1분쯤 걸립니다)",
        "converting the model to ONNX (once for this checkpoint; large models take a minute)",
    ),
    "backend.quantizing": (
        "ONNX 모델을 int8로 양자화하는 중(이 체크포인트에 한 번만)",
        "quantizing the ONNX model to int8 (once for this checkpoint)",
    ),
    # -- the microphone (microphone) ---------------------------------------------------------
    "mic.no_sounddevice": (
        "마이크를 쓰려면 sounddevice 패키지가 필요한데 설치되어 있지 않습니다. livekr가 쓰는 파이썬 환경에 "
        "설치하세요",
        "the microphone needs the sounddevice package: pip install sounddevice",
    ),
    "mic.no_portaudio": (
        "마이크를 쓰려면 PortAudio 라이브러리가 필요한데 설치되어 있지 않습니다. PortAudio "
        "패키지(Debian/Ubuntu: libportaudio2, Fedora: portaudio)를 설치한 뒤 livekr를 다시 시작하세요",
        "the microphone needs PortAudio, which is missing: {hint}; "
        "`livekr doctor` checks everything livekr needs",
    ),
    "mic.list_failed": (
        "오디오 장치 목록을 읽을 수 없습니다({detail})",
        "cannot list audio devices: {detail}",
    ),
    "mic.none": (
        "마이크를 찾을 수 없습니다. 마이크를 연결하고 시스템에서 인식하는지 확인하세요. 그러면 입력 메뉴의 "
        "‘목록 새로 고침’으로 나타납니다",
        "no microphone found: connect one and check that the system sees it (`livekr devices` lists what "
        "livekr can use), or try `livekr --demo FILE`",
    ),
    "mic.no_index": (
        "번호가 {spec}인 입력 장치가 없습니다. 있는 장치: {names}",
        "no input device with index {spec}; available: {names}",
    ),
    "mic.no_name": (
        "이름이 {spec!r}와(과) 비슷한 입력 장치가 없습니다. 있는 장치: {names}",
        "no input device named like {spec!r}; available: {names}",
    ),
    "mic.ambiguous": (
        "{spec!r}에 맞는 입력 장치가 여러 개입니다({matches}). 입력 메뉴에서 하나를 고르세요",
        "{spec!r} matches several input devices ({matches}); give its index instead",
    ),
    "mic.open_failed": (
        "{name!r} 장치를 녹음용으로 열 수 없습니다({detail})",
        "cannot open {name!r} for recording: {detail}",
    ),
    "mic.start_failed": (
        "{name!r} 장치에서 녹음을 시작할 수 없습니다({detail})",
        "cannot start recording from {name!r}: {detail}",
    ),
    "mic.stopped": (
        "입력 장치 {name!r}에서 소리가 더 들어오지 않습니다(연결이 끊겼거나 다른 프로그램이 쓰고 있나요?). "
        "지금까지의 받아쓰기는 보존됩니다",
        "the input device {name!r} stopped delivering audio (unplugged or taken by another program?); the "
        "transcript so far is kept",
    ),
    # -- audio files (audio) -----------------------------------------------------------------
    "audio.permission": (
        "{path}: 권한이 없어 이 파일을 읽을 수 없습니다. 파일의 권한을 확인하세요",
        "{path}: permission denied; livekr may not read this file (check its permissions with ls -l)",
    ),
    "audio.too_many_files": (
        "{path}: 열린 파일이 너무 많아 열 수 없습니다. 프로그램을 몇 개 닫으세요",
        "{path}: cannot be opened, too many files are open; close some programs",
    ),
    "audio.not_a_folder": (
        "{path}: 파일이 없습니다(경로의 일부가 폴더가 아님)",
        "{path}: no such file (part of the path is not a folder)",
    ),
    "audio.cannot_open": ("{path}: 열 수 없습니다({reason})", "{path}: cannot be opened ({reason})"),
    "audio.dangling_link": (
        "{path}은(는) {target}을(를) 가리키는 링크인데, 그 파일이 없습니다",
        "{path} is a link to {target}, which does not exist",
    ),
    "audio.no_file": ("{path}: 파일이 없습니다", "{path}: no such file"),
    "audio.is_folder": (
        "{path}은(는) 폴더입니다. 오디오 파일(WAV, FLAC, OGG, MP3)을 고르세요",
        "{path} is a folder; give an audio file (WAV, FLAC, OGG or MP3)",
    ),
    "audio.not_regular": (
        "{path}은(는) {kind}이며 일반 파일이 아닙니다. 먼저 오디오를 파일로 저장하세요",
        "{path} is {kind}, not a regular file; save the audio to a file first",
    ),
    "audio.empty": (
        "{path} 파일이 비어 있습니다(0바이트). 오디오를 다시 녹음하거나 내보내세요",
        "{path} is empty (0 bytes); record or export the audio again",
    ),
    "audio.unreadable": (
        "{path}은(는) livekr가 읽을 수 있는 오디오가 아닙니다. WAV, FLAC, OGG, MP3 중 하나로 변환하세요",
        "{path} is not audio that livekr can read ({detail}); convert it to WAV, FLAC, OGG or MP3, e.g. "
        "with: ffmpeg -i INPUT -ar 16000 OUT.wav",
    ),
    "audio.no_samples": (
        "{path}에 오디오 샘플이 없습니다. 오디오를 다시 녹음하거나 내보내세요",
        "{path} contains no audio samples; record or export the audio again",
    ),
    "audio.changed": (
        "{path} 파일이 확인한 뒤에 바뀌었습니다. 다시 고르세요",
        "{path} changed since it was checked; give it again",
    ),
    "audio.damaged": (
        "{path}: 오디오를 전혀 읽을 수 없습니다. 파일이 손상되었습니다",
        "{path}: no audio could be read ({reason}); the file is damaged",
    ),
    "audio.non_finite": (
        "샘플 {count}개가 NaN이나 무한대여서 무음으로 바꿨습니다",
        "{count} samples were NaN or infinite and were replaced with silence",
    ),
    "audio.damaged_warning": (
        "{path}: {warning}. 파일이 손상되었습니다",
        "{path}: {warning}; the file is damaged",
    ),
    "audio.truncated": (
        "{path}: 헤더에는 {declared}(이)라고 되어 있지만 {read}만 읽었습니다. 파일이 잘렸습니다",
        "{path}: the header says {declared} but only {read} could be read; the file is truncated",
    ),
    "audio.truncated_damaged": (
        "{path}: 헤더에는 {declared}(이)라고 되어 있지만 {read}만 읽었습니다. 파일이 잘렸거나 손상되었습니다",
        "{path}: the header says {declared} but only {read} could be read ({reason}); the file is truncated "
        "or damaged",
    ),
    "audio.stopped_early": (
        "{path}: {read}까지 읽고 멈췄습니다. 파일이 손상되었습니다",
        "{path}: reading stopped after {read} ({reason}); the file is damaged",
    ),
    # -- a running session (pipeline, session) -----------------------------------------------
    "pipeline.read_failed": ("오디오를 읽지 못했습니다: {error}", "reading audio failed: {error}"),
    "pipeline.spill_unreadable": (
        "대기 중인 음성을 임시 파일에서 다시 읽지 못했습니다: {error}",
        "queued speech could not be read back from its temporary file: {error}",
    ),
    "pipeline.dropped": (
        "발화 {count}개(음성 {seconds:.1f}초)를 인식하기 전에 멈췄습니다. 받아쓰기에 들어가지 않았습니다",
        "stopped before {count} utterance(s) ({seconds:.1f} s of speech) were decoded; they are not in the "
        "transcript",
    ),
    "pipeline.recognition_failed": (
        "{span} 구간의 음성을 인식하지 못했습니다: {error}",
        "recognition failed for the audio at {span}: {error}",
    ),
    "session.edit_journal_failed": (
        "고친 글을 자동 저장 파일에 쓰지 못했습니다({error}). 고친 글은 메모리에 남아 있으니 곧 저장하세요",
        "autosave journal: {error}; the edit is kept in memory, save it soon",
    ),
    "file.unexpected": (
        "이 파일을 받아쓰다가 예상치 못한 오류가 났습니다. 다른 파일은 계속 받아씁니다. "
        "자세한 내용은 로그에 있습니다",
        "transcribing the file failed unexpectedly ({detail}); the other files go on",
    ),
    "playback.no_portaudio": (
        "소리를 재생하려면 PortAudio 라이브러리가 필요한데 설치되어 있지 않습니다",
        "playing audio needs PortAudio (the sounddevice package), which is missing",
    ),
    "playback.failed": (
        "소리를 재생할 수 없습니다. 스피커나 헤드폰이 연결되어 있는지 확인하세요",
        "cannot play the audio: {detail}; check that a speaker or headphones are connected",
    ),
    "playback.unreadable": (
        "녹음해 둔 소리를 읽지 못했습니다({error})",
        "cannot read the kept audio: {error}",
    ),
    "session.journal_failed": (
        "자동 저장 파일을 쓰지 못했습니다({error}). 글은 메모리에 남아 있으니 곧 저장하세요",
        "autosave journal: {error}; the text is kept in memory, save it soon",
    ),
    "session.recover_not_empty": (
        "이전 세션은 빈 받아쓰기에만 복구할 수 있습니다",
        "an unfinished session can only be recovered into an empty transcript",
    ),
    # -- autosave journals (journal_format, journal_lock) ------------------------------------
    "journal.in_use": (
        "자동 저장 파일 {name}을(를) 다른 livekr 창이나 프로세스가 열어 두었습니다",
        "the journal {name} is open in another livekr window or process",
    ),
    "journal.no_header": (
        "{name}: 머리 줄이 없습니다(파일을 만드는 도중에 프로그램이 멈췄습니다)",
        "{name}: no header line (a crash while it was being created)",
    ),
    "journal.not_journal": (
        "{name}: 첫 줄이 livekr 자동 저장 파일의 머리 줄이 아닙니다. 파일은 그대로 둡니다",
        "{name}: the first line is not a livekr journal header; the file is left in place",
    ),
    "journal.too_new": (
        "{name}: 자동 저장 파일 버전 {version}은(는) 이 livekr가 읽는 버전({supported})보다 새롭습니다. "
        "livekr를 업데이트한 뒤 복구하세요(파일은 보존됩니다)",
        "{name}: journal version {version} is newer than this livekr reads ({supported}); update livekr to "
        "recover it (the file is kept)",
    ),
    # -- options (options, config): the settings dialog shows them -------------------------
    "option.not_bool": (
        "{name}은(는) 참이나 거짓이어야 합니다(받은 값: {value!r})",
        "{name} must be true or false, got {value!r}",
    ),
    "option.not_number": (
        "{name}은(는) 숫자여야 합니다(받은 값: {value!r})",
        "{name} must be a number, got {value!r}",
    ),
    "option.not_whole": (
        "{name}은(는) 정수여야 합니다(받은 값: {value!r})",
        "{name} must be a whole number, got {value!r}",
    ),
    "option.below": (
        "{name}은(는) {minimum:g} 이상이어야 합니다(받은 값: {value})",
        "{name} must be at least {minimum:g}, got {value}",
    ),
    "option.above": (
        "{name}은(는) {maximum:g} 이하여야 합니다(받은 값: {value})",
        "{name} must be at most {maximum:g}, got {value}",
    ),
    "option.not_choice": (
        "{name}은(는) {allowed} 중 하나여야 합니다(받은 값: {value!r})",
        "{name} must be one of {allowed}, got {value!r}",
    ),
    "option.not_choice_or_pattern": (
        "{name}은(는) {allowed} 중 하나이거나 {pattern} 형식이어야 합니다(받은 값: {value!r})",
        "{name} must be one of {allowed} or {pattern}, got {value!r}",
    ),
    "option.not_hotkey": (
        "{name}은(는) Ctrl+Alt+Space처럼 수정 키와 키 하나여야 합니다(받은 값: {value!r})",
        "{name} must be modifiers and one key, such as Ctrl+Alt+Space, got {value!r}",
    ),
    "config.end_silence_short": (
        "말 끝 판단 침묵(end_silence_ms)은 한 프레임 이상이어야 합니다",
        "end_silence_ms must be at least one frame long",
    ),
    "config.max_utterance_short": (
        "최대 발화 길이(max_utterance_s)는 split_search_s보다 길어야 합니다",
        "max_utterance_s must be longer than split_search_s",
    ),
    # -- model cards (card): Model ▸ Model Info and the Model menu's tooltips show them -------
    "card.cer": ("글자 오류율(CER): {percent}", "CER: {percent}"),
    "card.wer": ("단어 오류율(WER): {percent}", "WER: {percent}"),
    "card.score": ("글자 오류율(CER, {decoder}, {name}): {percent}", "CER ({decoder}, {name}): {percent}"),
    "card.base_model": ("기반 모델: {value}", "base model: {value}"),
    "card.architecture": ("구조: {value}", "architecture: {value}"),
    "card.preset": ("프리셋: {value}", "preset: {value}"),
    "card.vocab_kind": ("어휘: {value}", "vocabulary: {value}"),
    "card.normaliser": ("정규화 버전: {value}", "normaliser: {value}"),
    "card.eval_data": ("평가 데이터: {value}", "evaluated on: {value}"),
    "card.train_utterances": ("학습 발화 수: {value}", "training utterances: {value}"),
    "card.date": ("날짜: {value}", "date: {value}"),
    "card.size": ("받을 크기: {value}", "download: {value}"),
    "card.note": ("메모: {value}", "note: {value}"),
    "card.lm": (
        "언어 모델: {units} 단위 {order}-gram{ngrams} ({file})",
        "language model: {order}-gram over {units} units{ngrams} ({file})",
    ),
    "card.lm_ngrams": (", n-gram {count:,}개", ", {count:,} n-grams"),
    "card.greedy": ("그리디", "greedy"),
    "card.beam": ("빔 {size}", "beam {size}"),
    "card.beam_lm": ("{order}-gram 언어 모델({weight})", "{order}-gram LM ({weight})"),
    # -- the decoder (decoder): the status bar's tooltip shows it ----------------------------
    "decoder.greedy_chosen": (
        "그리디 디코딩: 디코더가 greedy로 설정되어 있습니다",
        "decoding greedily: --decoder greedy",
    ),
    "decoder.greedy_nothing": (
        "그리디 디코딩: 언어 모델({lm})도 사용자 단어도 없습니다",
        "decoding greedily: no language model ({lm}) and no custom words",
    ),
    "decoder.beam": ("빔 탐색(빔 {size})", "beam search (beam {size})"),
    "decoder.lm": (
        "{order}-gram 언어 모델 {label}(가중치 {weight:g}, 보너스 {bonus:g})",
        "{order}-gram LM {label} (weight {weight:g}, bonus {bonus:g})",
    ),
    "decoder.custom_words": ("사용자 단어 {count}개", "{count} custom words"),
    "lm.unnamed": ("없음", "none"),
    "lm.none_chosen": ("언어 모델이 none으로 설정됨", "--lm none"),
    "lm.no_model": ("언어 모델을 알려 줄 모델 카드가 없음", "no model card to name one"),
    "lm.not_in_card": (
        "{ref}의 카드에 기록된 언어 모델이 없음",
        "none recorded in the card of {ref} (build one: livekr-train lm)",
    ),
    "lm.from_card": ("{ref}의 카드에 기록된 {file}", "{file} from the card of {ref}"),
    "lm.unusable": ("{path}은(는) 쓸 수 없음", "{path} could not be used"),
    # -- custom words (hotwords) -------------------------------------------------------------
    "hotwords.not_number": (
        "{source}:{line}: 가중치 {boost!r}은(는) 숫자가 아닙니다. ‘단어<탭>가중치’ 형식으로 쓰세요(예: "
        "'김철수\t2.0')",
        "{source}:{line}: the boost {boost!r} is not a number; write 'word<TAB>boost', e.g. '김철수\t2.0'",
    ),
    "hotwords.out_of_range": (
        "{source}:{line}: 가중치는 0보다 크고 {max:g} 이하여야 합니다(받은 값: {boost:g})",
        "{source}:{line}: the boost must be above 0 and at most {max:g}, got {boost:g}",
    ),
    "hotwords.unreadable": (
        "사용자 단어 파일 {path}을(를) 읽을 수 없습니다: {reason}",
        "cannot read the custom words file {path}: {reason}",
    ),
    "hotwords.not_utf8": (
        "{path}은(는) UTF-8 텍스트가 아닙니다. 목록을 UTF-8로 저장하세요",
        "{path} is not UTF-8 text ({detail}); save the list as UTF-8",
    ),
    # -- talking to the hub, downloading models (catalogue_hub) ------------------------------
    **HUB,
    # -- dictation into other programs (catalogue_insert) ------------------------------------
    **INSERT,
}

WINDOW_ENGLISH: dict[str, str] = {
    # key: the English a window shows where the command line's names commands or flags
    "checkpoint.not_ctc": (
        "{ref} is not a CTC speech-recognition checkpoint (architectures: {architectures}); pick a *ForCTC "
        "checkpoint, or fine-tune this one first"
    ),
    "checkpoint.hub_unreachable": (
        "cannot load {ref!r}: it is not a local folder nor in the Hugging Face cache, and the hub is "
        "unreachable ({reason}); connect once to download it, or open a checkpoint folder from the Model "
        "menu"
    ),
    "checkpoint.hub_failed": (
        "cannot load {ref!r} from the Hugging Face hub ({detail}); check the id (owner/name), or open a "
        "checkpoint folder from the Model menu"
    ),
    # -- the decoder (decoder) ---------------------------------------------------------------
    "decoder.greedy_chosen": "decoding greedily: the decoder option is greedy",
    "lm.none_chosen": "the language model option is none",
    "lm.not_in_card": "none recorded in the card of {ref}",
    # -- downloads --------------------------------------------------------------------------
    "hub.not_found": (
        "no model {ref} on the Hugging Face hub, or it is private or gated (HTTP {code}); check the id "
        "(owner/name); a private or gated model must be downloaded with the hub's own tools, then opened "
        "as a checkpoint folder from the Model menu"
    ),
    # -- the microphone (microphone) ---------------------------------------------------------
    "mic.no_sounddevice": (
        "the microphone needs the sounddevice package, which is not installed: install it into the Python "
        "environment livekr runs in"
    ),
    "mic.no_portaudio": (
        "the microphone needs the PortAudio library, which is missing: install the package libportaudio2 "
        "(Debian/Ubuntu) or portaudio (Fedora), then start livekr again"
    ),
    "mic.none": (
        "no microphone found: connect one and check that the system sees it; Refresh List in the Input menu "
        "then shows it"
    ),
    "mic.ambiguous": "{spec!r} matches several input devices ({matches}); choose one in the Input menu",
    # -- audio files (audio) -----------------------------------------------------------------
    "audio.permission": "{path}: permission denied; livekr may not read this file (check its permissions)",
    "audio.unreadable": (
        "{path} is not audio that livekr can read ({detail}); convert it to WAV, FLAC, OGG or MP3"
    ),
}
