"""The desktop window (PySide6). Qt is imported only under this package.

``livekr.gui.app.run_app`` is the entry point the ``livekr`` command calls.
"""
