#!/usr/bin/env bash
# Screenshot of the real livekr window during a --demo-style session, saved as
# assets/screenshot.png. Needs xvfb-run, espeak-ng and sox, and a Korean font (fonts-nanum).
#   scripts/screenshot.sh                  untrained random-weight model: random Hangul text
#   scripts/screenshot.sh --model DIR      a trained checkpoint folder instead
#   scripts/screenshot.sh --model DIR --audio assets/sample_ko.flac
#   scripts/screenshot.sh --lang en --out /tmp/shot.png
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
command -v xvfb-run >/dev/null || { echo "screenshot: install xvfb (apt install xvfb xauth)" >&2; exit 1; }
exec xvfb-run -a -s "-screen 0 1280x800x24" "$python" scripts/screenshot.py "$@"
