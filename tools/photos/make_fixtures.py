#!/usr/bin/env python3
"""Makes the photo fixtures the image tests use: tiny JPEG, PNG and WebP images drawn here (no
third-party pictures, so no attribution is owed) that carry the metadata Defter must strip: EXIF
with a GPS position and a camera serial, XMP, comments and text chunks.

    python3 -m pip install pillow && python3 tools/photos/make_fixtures.py

Writes Tests/DefterImagesTests/Fixtures/.
The outputs are committed; rerun only to change them.
"""
import io
import pathlib
import zlib
import struct

from PIL import Image, ImageDraw, PngImagePlugin

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "DefterImagesTests" / "Fixtures"
XMP = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
       b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
       b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="37,35.1N"/></rdf:RDF></x:xmpmeta>'
       b'<?xpacket end="w"?>')


def picture(size=(48, 32)):
    image = Image.new("RGB", size, (40, 90, 160))
    draw = ImageDraw.Draw(image)
    draw.rectangle((4, 4, 30, 20), fill=(230, 180, 20))
    draw.line((0, 31, 47, 0), fill=(200, 30, 30), width=2)
    return image


def exif_with_gps():
    exif = Image.Exif()
    exif[0x010F] = "DefterCam"          # Make
    exif[0x0110] = "Model GPS-1"        # Model
    exif[0xA431] = "SERIAL-12345"       # BodySerialNumber (Exif IFD in reality; fine as a marker)
    gps = {1: "N", 2: (37.0, 35.0, 6.0), 3: "E", 4: (36.0, 56.0, 12.0)}
    exif[0x8825] = gps                  # GPSInfo
    return exif


def jpeg_bytes():
    buffer = io.BytesIO()
    picture().save(buffer, "JPEG", quality=80, exif=exif_with_gps(), comment=b"taken at Ornek Sokak 5")
    data = buffer.getvalue()
    # Insert an XMP APP1 and an APP13 (Photoshop IRB) after the SOI and the APP0.
    xmp = b"http://ns.adobe.com/xap/1.0/\x00" + XMP
    app1 = b"\xff\xe1" + struct.pack(">H", len(xmp) + 2) + xmp
    irb = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x00"
    app13 = b"\xff\xed" + struct.pack(">H", len(irb) + 2) + irb
    return data[:2] + app1 + app13 + data[2:]


def png_bytes():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken at Ornek Sokak 5")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    info.add_text("Location", "37.585 36.937", zip=True)
    buffer = io.BytesIO()
    picture().save(buffer, "PNG", pnginfo=info, exif=exif_with_gps())
    data = buffer.getvalue()
    # Add a tIME chunk before IEND.
    body = b"tIME" + struct.pack(">HBBBBB", 2025, 3, 1, 8, 15, 0)
    chunk = struct.pack(">I", 7) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    return data[:-12] + chunk + data[-12:]


def webp_bytes():
    buffer = io.BytesIO()
    picture().save(buffer, "WEBP", quality=80, exif=exif_with_gps(), xmp=XMP)
    return buffer.getvalue()


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    files = {
        "gps.jpg": jpeg_bytes(),
        "gps.png": png_bytes(),
        "gps.webp": webp_bytes(),
    }
    plain = io.BytesIO()
    picture((16, 16)).save(plain, "PNG")
    files["plain.png"] = plain.getvalue()
    lossless = io.BytesIO()
    picture((20, 10)).save(lossless, "WEBP", lossless=True)
    files["lossless.webp"] = lossless.getvalue()
    for name, data in files.items():
        (OUT / name).write_bytes(data)
        Image.open(io.BytesIO(data)).load()
    print("wrote", ", ".join(f"{n} ({len(d)} B)" for n, d in files.items()))


if __name__ == "__main__":
    main()
