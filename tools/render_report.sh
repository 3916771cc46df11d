#!/usr/bin/env bash
# Renders an HTML report in headless Chromium to a PNG, and fails when the page is broken.
# Usage: tools/render_report.sh HTML_FILE OUT_PNG
#
# Fails (exit 1) when Chromium writes no PNG, when the PNG is blank (nearly every pixel the same
# colour), or when the page logged anything to the JavaScript console: a report holds no script
# but its JSON data block, so an uncaught error or any console message is a defect. (Chromium
# 156 logs console.error at INFO level, as `INFO:CONSOLE`, so every CONSOLE line counts.)
# Exit 2 for bad usage or when Chromium cannot be installed. Installs Debian's `chromium` when
# it is missing (with sudo when not root).
set -euo pipefail

[[ $# == 2 ]] || { echo "usage: $0 HTML_FILE OUT_PNG" >&2; exit 2; }
HTML=$1
OUT=$2
[[ -f $HTML ]] || { echo "render_report: no such file: $HTML" >&2; exit 2; }

if ! command -v chromium >/dev/null; then
    SUDO=()
    [[ $(id -u) == 0 ]] || SUDO=(sudo)
    echo "render_report: installing chromium" >&2
    { "${SUDO[@]}" apt-get update -qq && "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2 ||
        { echo "render_report: could not install chromium" >&2; exit 2; }
fi

URL=$(python3 -c 'import pathlib, sys; print(pathlib.Path(sys.argv[1]).resolve().as_uri())' "$HTML")
OUT=$(python3 -c 'import os, sys; print(os.path.abspath(sys.argv[1]))' "$OUT")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
rm -f "$OUT"  # never judge a stale screenshot

rc=0
timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$WORK/profile" \
    --enable-logging=stderr --v=0 --window-size=1280,4000 --screenshot="$OUT" "$URL" >"$WORK/log" 2>&1 || rc=$?
if [[ $rc != 0 ]]; then
    echo "render_report: chromium exited with status $rc" >&2
    tail -n 20 "$WORK/log" >&2
    exit 1
fi
if grep -E ':CONSOLE[(:]|Uncaught' "$WORK/log" >"$WORK/console"; then
    echo "render_report: the page logged to the JavaScript console ($HTML):" >&2
    sed 's/^/    /' "$WORK/console" >&2
    exit 1
fi
[[ -s $OUT ]] || { echo "render_report: chromium wrote no PNG at $OUT" >&2; exit 1; }

# Decode the PNG (8-bit RGB or RGBA, not interlaced, as Chromium writes) with the standard library
# and count the pixels that differ from the most common colour.
python3 - "$OUT" <<'EOF'
import collections, struct, sys, zlib

path = sys.argv[1]
data = open(path, "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit(f"render_report: {path} is not a PNG")
pos, idat, header = 8, [], None
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        header = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat.append(body)
    pos += 12 + length
if header is None:
    sys.exit(f"render_report: {path} has no IHDR chunk")
width, height, depth, colour, _, _, interlace = header
if depth != 8 or colour not in (2, 6) or interlace:
    sys.exit(f"render_report: {path}: only 8-bit RGB/RGBA non-interlaced PNGs are checked (got depth {depth}, colour type {colour}, interlace {interlace})")
bpp = 3 if colour == 2 else 4
stride = width * bpp
try:
    raw = zlib.decompress(b"".join(idat))
except zlib.error as e:
    sys.exit(f"render_report: {path}: its image data does not decompress: {e}")
if len(raw) != height * (stride + 1):
    sys.exit(f"render_report: {path}: {len(raw)} bytes of image data, {height * (stride + 1)} expected")
rows, prev = [], bytearray(stride)
for y in range(height):  # undo the per-row filters (PNG spec, section 9)
    kind, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    if kind == 1:
        for i in range(bpp, stride):
            row[i] = (row[i] + row[i - bpp]) & 255
    elif kind == 2:
        row = bytearray((a + b) & 255 for a, b in zip(row, prev))
    elif kind == 3:
        for i in range(stride):
            row[i] = (row[i] + ((row[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
    elif kind == 4:
        for i in range(stride):
            a, b, c = (row[i - bpp], prev[i], prev[i - bpp]) if i >= bpp else (0, prev[i], 0)
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(row))
    prev = row
sample = collections.Counter(row[i:i + bpp] for row in rows[::7] for i in range(0, stride, 7 * bpp))
common = sample.most_common(1)[0][0]
uniform = common * width
other = sum(0 if row == uniform else sum(row[i:i + bpp] != common for i in range(0, stride, bpp)) for row in rows)
share = other / (width * height)
print(f"render_report: {path}: {width}x{height}, {other} pixels ({share:.3%}) differ from the background #{common[:3].hex()}")
if share < 0.0001:
    sys.exit(f"render_report: {path} is blank: fewer than 0.01% of its pixels differ from #{common[:3].hex()}")
EOF
