"""The catalogue's texts of talking to the Hugging Face hub and downloading models
(``hub_api``, ``hub_transfer``, ``hub_download``); ``livekr.catalogue`` joins them in."""

from __future__ import annotations

HUB: dict[str, tuple[str, str]] = {
    # -- talking to the hub (hub_api): "hint" and "check" are messages of their own -----------
    "hub.retry": ("다시 해 보세요", "then try again"),
    "hub.resume": (
        "다시 해 보세요. 내려받기는 멈춘 곳부터 이어집니다",
        "then try again: the download resumes where it stopped",
    ),
    "hub.check_connection": (
        "인터넷 연결이나 프록시 설정을 확인한 뒤 {hint}",
        "check your connection or proxy, {hint}",
    ),
    "hub.not_an_id": (
        "{ref!r}은(는) 허깅페이스 모델 ID가 아닙니다. ‘소유자/이름’ 형식으로 입력하세요",
        "{ref!r} is not a Hugging Face model id (owner/name)",
    ),
    "hub.timeout": (
        "허깅페이스 허브({host})가 {seconds:g}초 안에 응답하지 않았습니다. {check}",
        "the hub ({host}) did not answer within {seconds:g} s; {check}",
    ),
    "hub.no_such_host": (
        "허깅페이스 허브를 찾을 수 없습니다: {host} 주소를 알아낼 수 없습니다. {check}",
        "cannot find the hub: the name {host} does not resolve; {check}",
    ),
    "hub.refused": (
        "허깅페이스 허브({host})가 연결을 거부했습니다. {check}",
        "the hub ({host}) refused the connection; {check}",
    ),
    "hub.unreachable": (
        "허깅페이스 허브({host})에 연결할 수 없습니다. {check}",
        "cannot reach the hub ({host}): {detail}; {check}",
    ),
    "hub.not_found": (
        "허깅페이스 허브에 {ref} 모델이 없거나, 비공개 모델 또는 접근 승인이 필요한 모델입니다(HTTP {code}). "
        "모델 ID(소유자/이름)를 확인하세요. 비공개나 승인이 필요한 모델은 허깅페이스의 도구로 내려받은 뒤 "
        "모델 메뉴에서 체크포인트 폴더로 여세요",
        "no model {ref} on the Hugging Face hub, or it is private or gated (HTTP {code}); check the id "
        "(owner/name); a private or gated model must be downloaded with the hub's own tools (hf download) "
        "and loaded as a folder",
    ),
    "hub.server_error": (
        "허깅페이스 허브에 문제가 있어 {ref} 요청에 오류로 답했습니다(HTTP {code}). 잠시 뒤에 다시 해 보세요",
        "the hub answered HTTP {code} ({phrase}) for {ref}; the hub has a problem, try again later",
    ),
    "hub.http_error": (
        "허깅페이스 허브가 {ref} 요청에 오류로 답했습니다(HTTP {code}). {hint}",
        "the hub answered HTTP {code} ({phrase}) for {ref}; {hint}",
    ),
    "hub.list_refused": (
        "허깅페이스 허브가 {ref}의 파일 목록을 보내 주지 않았습니다(HTTP 416). {hint}",
        "the hub refused to list {ref} (HTTP 416); {hint}",
    ),
    "hub.not_json": (
        "{ref}에 대한 허브의 답을 읽을 수 없습니다(JSON이 아님). {endpoint}이(가) 허깅페이스 허브가 맞는지 "
        "확인한 뒤 {hint}",
        "the hub's answer about {ref} is not JSON ({detail}); is {endpoint} the Hugging Face hub? {hint}",
    ),
    "hub.bad_listing": (
        "허브가 보낸 {ref}의 파일 목록이 올바르지 않습니다. {hint}",
        "the hub's list of the files of {ref} lacks {detail}; {hint}",
    ),
    "hub.no_config": (
        "허브의 {ref}에는 config.json이 없어 transformers 체크포인트가 아닙니다. *ForCTC 음성 인식 모델을 "
        "고르세요",
        "{ref} has no config.json on the hub, so it is not a transformers checkpoint; pick a *ForCTC "
        "speech-recognition model",
    ),
    "hub.no_safetensors": (
        "허브의 {ref}에는 safetensors 가중치도, 그 변환본도 없습니다. livekr는 safetensors 가중치만 읽고 "
        "PyTorch 피클 파일은 읽지 않습니다: 가중치를 변환한 뒤(model.save_pretrained가 safetensors로 "
        "저장합니다) 그 폴더를 여세요",
        "{ref} has no safetensors weights on the hub (livekr loads safetensors only, never PyTorch pickles) "
        "and no conversion of them; convert it (model.save_pretrained(folder) writes safetensors) and load "
        "the folder",
    ),
    # -- downloading a model (hub_transfer, hub_download) -----------------------------------
    "download.cancelled": (
        "{ref} 내려받기를 취소했습니다. 받은 부분은 남겨 두었으니 다음에 내려받으면 거기서부터 이어집니다",
        "the download of {ref} was cancelled; the next download resumes from there",
    ),
    "download.cancelled_kept": (
        "{ref} 내려받기를 취소했습니다({total} 중 {done}을(를) 받아 두었습니다). 다음에 내려받으면 "
        "거기서부터 이어집니다",
        "the download of {ref} was cancelled with {done} of {total} here; the next download resumes from "
        "there",
    ),
    "download.send_refused": (
        "허깅페이스 허브가 {ref}의 {file} 파일을 보내 주지 않았습니다(HTTP 416). {hint}",
        "the hub refused to send {file} of {ref} (HTTP 416); {hint}",
    ),
    "download.write_failed": (
        "{path}에 쓸 수 없습니다: {reason}. 디스크 공간을 비운 뒤 {hint}",
        "cannot write {path}: {reason}; free some space, {hint}",
    ),
    "download.stalled": (
        "{file} 파일을 내려받다가 멈췄습니다: 허깅페이스 허브({host})에서 {seconds:g}초 동안 데이터가 오지 "
        "않았습니다. {check}",
        "the download of {file} stalled: no data from the hub ({host}) for {seconds:g} s; {check}",
    ),
    "download.broken": (
        "{file} 파일을 받는 도중에 허깅페이스 허브({host})와의 연결이 끊겼습니다. {hint}",
        "the connection to the hub ({host}) broke during {file} ({detail}); {hint}",
    ),
    "download.ended_early": (
        "{file} 파일을 {total} 중 {done}만 받았을 때 허깅페이스 허브({host})와의 연결이 끝났습니다. {hint}",
        "the connection to the hub ({host}) ended after {done} of {total} of {file}; {hint}",
    ),
    "download.damaged": (
        "{ref}의 {file} 파일이 손상된 채 도착했습니다({damage} 값이 허브에 적힌 값과 다릅니다). 손상된 "
        "부분은 지웠습니다. {hint}",
        "{file} of {ref} arrived damaged (its {damage} does not match the hub's); the damaged part was "
        "removed: {hint}",
    ),
    "download.size": ("크기", "size"),
    "download.sha256": ("SHA-256 체크섬", "SHA-256"),
    "download.create_failed": (
        "{ref}을(를) 내려받을 폴더 {folder}을(를) 만들 수 없습니다: {reason}",
        "cannot create {folder} for {ref}: {reason}",
    ),
    "download.lock_failed": (
        "{path} 파일을 만들 수 없습니다: {reason}",
        "cannot create {path}: {reason}",
    ),
    "download.busy": (
        "{ref}을(를) 지금 다른 livekr 창이나 프로세스가 내려받고 있습니다. 그 내려받기가 끝난 뒤에 다시 "
        "불러오세요",
        "{ref} is being downloaded by another livekr window or process right now; wait until it has "
        "finished, then load it again",
    ),
    "download.save_failed": (
        "내려받은 {ref}을(를) {folder}에 쓸 수 없습니다: {reason}",
        "cannot write the download of {ref} into {folder}: {reason}",
    ),
    "download.bad_index": (
        "{ref}: 허브의 model.safetensors.index.json이 올바른 safetensors 인덱스가 아닙니다. 다른 모델을 "
        "고르세요",
        "{ref}: model.safetensors.index.json is not a safetensors index ({detail})",
    ),
    "download.missing_shard": (
        "{ref}: model.safetensors.index.json에 적힌 가중치 조각 {shard}이(가) 허브에 없습니다. 다른 모델을 "
        "고르세요",
        "{ref}: the hub lacks {shard}, a shard its model.safetensors.index.json names",
    ),
}
