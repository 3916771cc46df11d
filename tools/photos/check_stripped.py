#!/usr/bin/env python3
"""Checks, with Pillow, that the photos DefterImages stripped still decode to the same pixels as
the fixtures they came from and carry no EXIF, GPS, XMP or text. Run by check_stripped.sh."""
import pathlib
import sys

from PIL import Image

fixtures = pathlib.Path(sys.argv[1])
stripped = pathlib.Path(sys.argv[2])
names = sorted(p.name for p in stripped.iterdir())
assert names, "no stripped photos were written"
for name in names:
    before = Image.open(fixtures / name)
    after = Image.open(stripped / name)
    after.load()
    assert after.size == before.size, name
    assert after.convert("RGB").tobytes() == before.convert("RGB").tobytes(), f"{name}: pixels differ"
    assert len(after.getexif()) == 0, f"{name}: EXIF left: {dict(after.getexif())}"
    leftover = {k for k in after.info if k in ("exif", "xmp", "XML:com.adobe.xmp", "comment", "Comment", "Location", "photoshop")}
    assert not leftover, f"{name}: metadata left: {leftover}"
    print(f"ok {name}: {after.size[0]}x{after.size[1]}, decodes to the same pixels, no metadata")
