"""Dictation into other programs: each final typed or pasted at the cursor of the focused
program (``base`` is the contract; one module per platform implements it)."""
