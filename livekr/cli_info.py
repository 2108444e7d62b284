"""The commands that say what livekr can use here: ``livekr devices`` (microphones),
``livekr models`` (checkpoints, hub models downloaded, what was measured for them on this CPU,
published models) and ``livekr doctor`` (everything livekr needs, with the fix for what is
missing)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING

from livekr.console import EXIT_FAILED, EXIT_OK, say

if TYPE_CHECKING:
    from livekr.doctor import Check
    from livekr.microphone import InputDevice


def cmd_devices(args: argparse.Namespace, list_devices: Callable[[], list[InputDevice]] | None = None) -> int:
    """List the microphones (``list_devices`` defaults to PortAudio's list)."""
    if list_devices is None:
        from livekr.microphone import list_input_devices

        list_devices = list_input_devices
    devices = list_devices()
    if not devices:
        print("no input devices found: connect a microphone, or use `livekr --demo FILE`", file=sys.stderr)
        return EXIT_OK
    for d in devices:
        mark = "*" if d.is_default else " "
        print(f"{mark} {d.index:3d}  {d.name}  ({d.channels} ch, {d.default_rate:.0f} Hz, {d.host_api})")
    return EXIT_OK


def cmd_models(args: argparse.Namespace) -> int:
    from livekr.backends.store import remembered_lines
    from livekr.cpu import describe
    from livekr.hub_download import HUB_FOLDER, downloaded_models
    from livekr.hub_transfer import format_bytes
    from livekr.models import HUB_MODELS, card_lines, list_checkpoints, models_dir

    cpu = describe()
    print(f"# checkpoints in {models_dir()}")
    for info in list_checkpoints():
        print("  ".join([str(info.path), *card_lines(info)[:3]]))
        for line in remembered_lines(str(info.path), cpu):
            print(f"    {line}")
    downloaded = downloaded_models()
    print(f"# downloaded from the Hugging Face hub into {models_dir() / HUB_FOLDER} (load them by id)")
    for model in downloaded:
        print(f"{model.ref}  {format_bytes(model.size_bytes)}  {model.folder}")
        for line in remembered_lines(str(model.folder), cpu):
            print(f"    {line}")
    print(f"# this CPU: {cpu}")
    print("# published on the Hugging Face hub (downloaded on first use)")
    here = {model.ref for model in downloaded}
    for ref in HUB_MODELS:
        print(f"{ref}  (downloaded)" if ref in here else ref)
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace, checks: Sequence[Callable[[], Check]] | None = None) -> int:
    """Run the checks (``checks`` defaults to all of ``livekr.doctor``): one aligned line each
    as it finishes, or with ``--json`` a list of objects; exit 1 when any found a problem."""
    from livekr.doctor import CHECKS, format_check, has_problem, run_check, summary

    results = []
    for check in CHECKS if checks is None else checks:
        result = run_check(check)
        results.append(result)
        if not args.json:
            print(format_check(result), flush=True)
    if args.json:
        print(json.dumps([asdict(r) for r in results], ensure_ascii=False, indent=1))
    say(summary(results))
    return EXIT_FAILED if has_problem(results) else EXIT_OK
