"""A program to type into, for the X11 insertion tests: a text field in its own process, Tk
(``insert_target.py``, libX11 reading the keymap lazily) or Qt (``insert_target.py qt``,
xcb and xkbcommon; ``QT_QPA_PLATFORM=xcb``).

Prints ``ready <window id>`` (its top-level window) once it is mapped. Reads commands on
stdin, one a line: ``dump`` prints the whole text as a JSON string; ``clear`` empties it and
prints ``ok``; ``quit`` (or the end of stdin) closes it. ``DISPLAY`` names the X display.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

TITLE = "livekr target"


def answer(command: str, text: Callable[[], str], clear: Callable[[], None]) -> bool:
    """Carry out one command; ``False`` for quit."""
    if command == "dump":
        print(json.dumps(text()), flush=True)
    elif command == "clear":
        clear()
        print("ok", flush=True)
    return command not in ("", "quit")


def top_level(window_id: int) -> int:
    """The child of the root window that holds ``window_id`` (Tk's wrapper window)."""
    from Xlib import display as xdisplay

    connection = xdisplay.Display()
    try:
        window = connection.create_resource_object("window", window_id)
        root = connection.screen().root.id
        while True:
            parent = window.query_tree().parent
            if parent.id == root:
                return int(window.id)
            window = parent
    finally:
        connection.close()


def run_tk() -> None:
    import tkinter

    root = tkinter.Tk()
    root.title(TITLE)
    field = tkinter.Text(root, width=60, height=12)
    field.pack()
    field.focus_set()

    def on_command(*_: object) -> None:
        command = sys.stdin.readline().strip()
        if not answer(command, lambda: field.get("1.0", "end-1c"), lambda: field.delete("1.0", "end")):
            root.destroy()

    root.tk.createfilehandler(sys.stdin, tkinter.READABLE, on_command)
    root.wait_visibility()
    print("ready", top_level(root.winfo_id()), flush=True)
    root.mainloop()


def run_qt() -> None:
    from PySide6.QtCore import QEvent, QObject, QSocketNotifier
    from PySide6.QtWidgets import QApplication, QTextEdit

    app = QApplication([sys.argv[0]])
    field = QTextEdit()
    field.setWindowTitle(TITLE)

    class Exposed(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Expose and field.windowHandle().isExposed():
                field.windowHandle().removeEventFilter(self)
                print("ready", int(field.winId()), flush=True)
            return False

    def on_command() -> None:
        if not answer(sys.stdin.readline().strip(), field.toPlainText, field.clear):
            app.quit()

    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(on_command)
    field.winId()
    exposed = Exposed()
    field.windowHandle().installEventFilter(exposed)
    field.show()
    app.exec()


if __name__ == "__main__":
    run_qt() if sys.argv[1:] == ["qt"] else run_tk()
