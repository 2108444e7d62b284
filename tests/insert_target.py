"""A program to type into, for the X11 insertion tests: a Tk text field in its own process.

Prints ``ready <window id>`` (its top-level window) once it is mapped. Reads commands on
stdin, one a line: ``dump`` prints the whole text as a JSON string; ``clear`` empties it and
prints ``ok``; ``quit`` (or the end of stdin) closes it. ``DISPLAY`` names the X display.
"""

from __future__ import annotations

import json
import sys
import tkinter

from Xlib import display as xdisplay


def top_level(window_id: int) -> int:
    """The child of the root window that holds ``window_id`` (Tk's wrapper window)."""
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


def main() -> None:
    root = tkinter.Tk()
    root.title(sys.argv[1] if len(sys.argv) > 1 else "livekr target")
    text = tkinter.Text(root, width=60, height=12)
    text.pack()
    text.focus_set()

    def on_command(*_: object) -> None:
        line = sys.stdin.readline()
        command = line.strip()
        if not line or command == "quit":
            root.destroy()
        elif command == "dump":
            print(json.dumps(text.get("1.0", "end-1c")), flush=True)
        elif command == "clear":
            text.delete("1.0", "end")
            print("ok", flush=True)

    root.tk.createfilehandler(sys.stdin, tkinter.READABLE, on_command)
    root.wait_visibility()
    print("ready", top_level(root.winfo_id()), flush=True)
    root.mainloop()


if __name__ == "__main__":
    main()
