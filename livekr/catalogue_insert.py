"""The catalogue's texts of dictation into other programs (``livekr.insert``: the platforms,
the worker, X11); ``livekr.catalogue`` joins them in."""

from __future__ import annotations

INSERT: dict[str, tuple[str, str]] = {
    # -- dictation into other programs (insert: platform, windows, macos, worker) -----------
    "insert.unsupported": (
        "이 시스템({platform})에서는 받아쓴 글을 다른 프로그램에 넣을 수 없습니다. "
        "Windows, macOS, X11을 쓰는 Linux에서 됩니다",
        "dictation into other programs is not supported on {platform}; it works on Windows, macOS and Linux "
        "with X11",
    ),
    "insert.no_display": (
        "화면(디스플레이)이 없어 받아쓴 글을 다른 프로그램에 넣을 수 없습니다. 데스크톱 세션 안에서 livekr를 "
        "실행하세요",
        "no display (DISPLAY is not set): dictation into other programs needs a desktop session; run livekr "
        "inside one",
    ),
    "insert.no_pynput": (
        "받아쓴 글을 다른 프로그램에 넣으려면 pynput 패키지가 필요한데 설치되어 있지 않습니다. "
        "livekr가 실행되는 파이썬 환경에 설치하세요",
        "dictation into other programs needs the pynput package, which is not installed: install it into "
        "the Python environment livekr runs in",
    ),
    "insert.mac_accessibility": (
        "받아쓴 글을 다른 프로그램에 넣으려면 손쉬운 사용 권한이 필요합니다. "
        "시스템 설정 ▸ 개인정보 보호 및 보안 ▸ 손쉬운 사용에서 livekr(또는 livekr를 실행하는 터미널이나 "
        "Python)를 허용한 뒤 livekr를 다시 시작하세요",
        "dictation into other programs needs the Accessibility permission: allow livekr (or the terminal or "
        "Python that runs it) in System Settings ▸ Privacy & Security ▸ Accessibility, then start livekr "
        "again",
    ),
    "insert.no_focus": (
        "글을 받을 창이 없습니다. 글을 넣을 프로그램의 입력란을 누른 뒤 다시 하세요",
        "no window has the keyboard focus; click into the program that should receive the text",
    ),
    "insert.typing_failed": (
        "포커스가 있는 프로그램에 글자를 보낼 수 없습니다",
        "cannot type into the focused program: {detail}",
    ),
    "insert.clipboard_busy": (
        "다른 프로그램이 클립보드를 쓰고 있어 붙여 넣을 수 없습니다. 다시 하거나 타이핑으로 넣으세요",
        "another program holds the clipboard, so the text cannot be pasted; try again, or insert by typing",
    ),
    "insert.clipboard_failed": (
        "클립보드를 쓸 수 없어 붙여 넣을 수 없습니다. 타이핑으로 넣어 보세요",
        "cannot use the clipboard ({detail}); try inserting by typing",
    ),
    "insert.moved": (
        "되돌릴 수 없습니다. 글을 넣은 뒤에 포커스가 옮겨졌거나 키보드나 마우스를 썼습니다. 아무것도 "
        "바꾸지 않았습니다",
        "cannot undo the insertion: the focus moved, or a key or the mouse was used, since it was inserted; "
        "nothing was changed",
    ),
    "insert.undo_not_last": (
        "가장 나중에 넣은 글만 되돌릴 수 있습니다",
        "only the text inserted last can be undone",
    ),
    "insert.hotkey_unknown_key": (
        "단축키 {hotkey}의 키 {key}을(를) 이 시스템에서 쓸 수 없습니다. 다른 키를 고르세요",
        "the shortcut {hotkey} uses the key {key!r}, which this system does not know; choose another key",
    ),
    "insert.hotkey_failed": (
        "전역 단축키 {hotkey}을(를) 지켜볼 수 없습니다",
        "cannot watch the global shortcut {hotkey}: {detail}",
    ),
    "insert.unexpected": (
        "다른 프로그램에 글을 넣다가 예상치 못한 오류가 났습니다. "
        "자세한 내용은 로그(터미널 출력)에 있습니다",
        "inserting text into the focused program failed unexpectedly: {detail}; the log has the details",
    ),
    # -- X11 ------------------------------------------------------------------------------------
    "insert.wayland": (
        "Wayland 세션은 다른 프로그램에 가상 입력을 보내거나 전역 단축키를 잡는 것을 막습니다. XWayland가 "
        "없으므로"
        "(DISPLAY 없음) livekr는 다른 프로그램에 입력할 수 없습니다. livekr 창에서 복사해 붙여 넣거나 X11 "
        "세션으로 로그인하세요",
        "a Wayland session does not let programs send input to others or grab global shortcuts, and without "
        "XWayland (DISPLAY is not set) livekr cannot type into other programs; copy from livekr's window, or "
        "log into an X11 session",
    ),
    "insert.wayland_xwayland": (
        "Wayland 세션입니다. livekr는 XWayland에서 실행되는 X11 프로그램에만 입력할 수 있고, Wayland 전용 "
        "프로그램에는 "
        "입력할 수 없습니다. 그런 프로그램에는 livekr 창에서 복사해 붙여 넣거나 X11 세션으로 로그인하세요",
        "this is a Wayland session: livekr can type only into X11 programs running under XWayland, not into "
        "Wayland programs; for those, copy from livekr's window, or log into an X11 session",
    ),
    "insert.no_xlib": (
        "다른 프로그램에 입력하려면 python-xlib 패키지가 필요합니다. livekr의 파이썬 환경에 설치하세요",
        "typing into other programs needs the python-xlib package, which is not installed; install it into "
        "livekr's Python environment",
    ),
    "insert.display_failed": (
        "X 디스플레이 {display}에 연결할 수 없습니다. 데스크톱 세션 안에서 livekr를 실행하세요",
        "cannot connect to the X display {display} ({detail}); run livekr inside the desktop session",
    ),
    "insert.no_xtest": (
        "X 서버 {display}에 XTEST 확장이 없어 키 입력을 보낼 수 없습니다",
        "the X server {display} lacks the XTEST extension, so livekr cannot send keys",
    ),
    "insert.display_gone": (
        "X 디스플레이 {display}와의 연결이 끊겼습니다(세션이 끝났거나 X 서버가 멈췄습니다). 더는 입력할 "
        "수 없습니다",
        "the connection to the X display {display} is lost (the session ended or the X server stopped); "
        "nothing more can be typed",
    ),
    "insert.own_window": (
        "포커스가 livekr 자신의 창에 있습니다. 입력할 프로그램을 클릭한 뒤 다시 하세요",
        "the focus is in livekr's own window; click into the program to type into, then try again",
    ),
    "insert.modifiers_held": (
        "수정 키({keys})가 눌려 있어 입력하지 않았습니다(단축키가 될 수 있습니다). 키를 놓고 다시 하세요",
        "modifier keys are held down ({keys}), so nothing was typed (the keys would become shortcuts); "
        "release them and try again",
    ),
    "insert.no_key": (
        "키보드 배치에 {key} 키가 없어 입력할 수 없습니다",
        "the keyboard layout has no {key} key, so livekr cannot do this",
    ),
    "insert.control_char": (
        "텍스트에 입력할 수 없는 제어 문자({code})가 있습니다",
        "the text holds a control character ({code}) that cannot be typed",
    ),
    "insert.no_spare_keycodes": (
        "키보드 배치에 없는 문자를 입력할 빈 키 코드가 없습니다. 붙여넣기 방식을 쓰세요",
        "there is no free key code to type the characters the keyboard layout lacks ({detail}); use the "
        "paste method",
    ),
    "insert.target_gone": (
        "입력하던 창이 닫혔습니다",
        "the window livekr was typing into has closed",
    ),
    "insert.unconfirmed": (
        "{title}이(가) {timeout_s:g}초 안에 키를 받았다고 응답하지 않았습니다. 그 창의 텍스트가 빠졌을 수 "
        "있으니 확인하세요. "
        "전체 텍스트는 livekr 창에 있습니다",
        "{title} did not confirm within {timeout_s:g} s that it took the keys; check its text, which may be "
        "incomplete (livekr's window has all of it)",
    ),
    "insert.not_responding": (
        "{title}이(가) {timeout_s:g}초 동안 응답하지 않아 입력하지 않았습니다",
        "{title} did not respond for {timeout_s:g} s, so nothing was typed",
    ),
    "insert.focus_changed": (
        "입력하는 동안 포커스가 다른 창으로 옮겨 갔습니다. {total}자 중 {done}자가 {title}에 들어갔고 "
        "나머지는 입력하지 "
        "않았습니다",
        "the focus moved to another window while typing: {done} of {total} characters went into {title}, "
        "the rest was not typed",
    ),
    "insert.clipboard_unavailable": (
        "livekr가 클립보드를 가져올 수 없습니다. 타이핑 방식으로 바꿔 보세요",
        "livekr cannot take the clipboard ({detail}); try the type method",
    ),
    "insert.paste_unanswered": (
        "Ctrl+V 뒤 {timeout_s:g}초 안에 {title}이(가) 클립보드를 요청하지 않았습니다. 그 프로그램은 "
        "Ctrl+V로 붙여 넣지 "
        "않을 수 있습니다(터미널은 Ctrl+Shift+V). 타이핑 방식을 쓰세요. 클립보드는 원래대로 돌려놓았습니다",
        "{title} did not ask for the clipboard within {timeout_s:g} s of Ctrl+V: it may not paste with "
        "Ctrl+V "
        "(terminals use Ctrl+Shift+V); use the type method. The clipboard was restored",
    ),
    "insert.no_idle": (
        "X 서버에 MIT-SCREEN-SAVER 확장이 없어 입력 뒤 키나 클릭이 있었는지 알 수 없습니다. 되돌리지 "
        "않았고 아무것도 "
        "바꾸지 않았습니다",
        "the X server lacks the MIT-SCREEN-SAVER extension, so livekr cannot tell whether a key or a click "
        "came since; not undone, nothing was changed",
    ),
    "insert.hotkey_taken": (
        "단축키 {hotkey}을(를) 다른 프로그램이 쓰고 있습니다. 다른 단축키를 고르세요",
        "the shortcut {hotkey} is taken by another program; choose another shortcut",
    ),
    "insert.hotkey_vt": (
        "{hotkey}은(는) X11에서 가상 터미널을 전환하는 키라 프로그램에 전달되지 않습니다. 다른 단축키를 "
        "고르세요",
        "{hotkey} switches virtual terminals on X11 and never reaches programs; choose another shortcut",
    ),
}
