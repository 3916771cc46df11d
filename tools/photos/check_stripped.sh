#!/usr/bin/env bash
# Strips the photo fixtures with DefterImages (through its tests) and checks with Pillow that the
# results decode to the same pixels and hold no metadata. Needs a built test bundle and Pillow.
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 -c 'import PIL' 2>/dev/null || python3 -m pip install --quiet pillow 2>/dev/null || python3 -m pip install --quiet --break-system-packages pillow
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
DEFTER_STRIPPED_DIR="$out" swift test --skip-build --filter PhotoCleanerTests >/dev/null
python3 tools/photos/check_stripped.py Tests/DefterImagesTests/Fixtures "$out"
