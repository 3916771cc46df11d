#!/usr/bin/env python3
"""Checks a Defter log published as C2SP tlog-tiles, over HTTP, from any server or CDN.

Usage: verify_tiles.py URL --vkey KEY [--old-checkpoint FILE] [--save FILE]

URL is the log's prefix (the folder `defter log publish --to DIR` wrote, as served, or
`defter serve` itself). KEY is the log's verifier key (the text, or a file holding it, e.g.
DATA_DIR/checkpoint.vkey): pin the key the city publishes. It checks:

  * `checkpoint` is a signed note of the key's log with a valid Ed25519 signature;
  * every entry bundle `tile/entries/<N>[.p/<W>]` the checkpoint's size needs is there, holds
    exactly its entries (big-endian uint16 length, then the entry's bytes), and each entry is a
    JSON object whose `seq` is its place in the log;
  * the RFC 6962 root recomputed from those entries' bytes equals the checkpoint's root;
  * every hash tile `tile/<L>/<N>[.p/<W>]` the size needs holds exactly the recomputed subtree
    hashes;
  * with --witness KEY (repeatable) and --quorum N: at least N of those witnesses' C2SP
    tlog-cosignature lines on the checkpoint verify (Ed25519 over `cosignature/v1`, the time and
    the checkpoint's body);
  * with --old-checkpoint (a checkpoint saved earlier, e.g. by --save): it is validly signed by
    the same key, no larger than the new one, and the root recomputed at its size from the new
    entries equals its root: the log was only appended to since (consistency).

Python's standard library only (the Ed25519 and Merkle code is tools/verify_log.py's, which is
standard library too); it shares no code with Defter. Exit status: 0 every check passes, 1 a
check failed, 2 bad usage or the server could not be read.
"""
import argparse
import gzip
import hashlib
import json
import os
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from verify_log import _decode_point, b64, check_note, ed25519_verify, frontier_root, leaf_hash, parse_vkey, push_leaf  # noqa: E402

WIDTH = 256


def tile_path(level, index, width):
    """tile/<L>/<N>[.p/<W>], <N> in zero-padded groups of three, all but the last prefixed x."""
    groups = []
    while True:
        groups.insert(0, f"{index % 1000:03d}")
        index //= 1000
        if index == 0:
            break
    number = "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])
    return f"tile/{level}/{number}" + (f".p/{width}" if width < WIDTH else "")


def fetch(base, path):
    request = urllib.request.Request(base.rstrip("/") + "/" + path, headers={"Accept-Encoding": "gzip, identity"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
            if response.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            return body
    except urllib.error.HTTPError as error:
        raise LookupError(f"{path}: HTTP {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        raise ConnectionError(f"cannot read {base}/{path}: {error}") from None


def tiles_of(size):
    """(level, index, width) of every tile a tree of `size` has; level 'entries' for bundles."""
    out = []
    level = 0
    while size >> (8 * level):
        hashes = size >> (8 * level)
        out += [(level, n, WIDTH) for n in range(hashes // WIDTH)]
        if hashes % WIDTH:
            out.append((level, hashes // WIDTH, hashes % WIDTH))
        level += 1
    out += [("entries", n, WIDTH) for n in range(size // WIDTH)]
    if size % WIDTH:
        out.append(("entries", size // WIDTH, size % WIDTH))
    return out


def read_key(text):
    if os.path.exists(text):
        with open(text, encoding="utf-8") as file:
            text = file.read()
    return parse_vkey(text)


def parse_cosigner(text):
    """A cosigner key name+keyid+base64(0x04 || key) (C2SP tlog-cosignature): (name, id, key)."""
    if os.path.exists(text):
        with open(text, encoding="utf-8") as file:
            text = file.read()
    name, key_id, blob = (text.strip().split("+", 2) + ["", ""])[:3]
    raw = b64(blob)
    if not name or len(raw) != 33 or raw[0] != 4 or _decode_point(raw[1:]) is None:
        raise ValueError(f"'{text.strip()[:80]}' is not an Ed25519 cosigner key name+keyid+base64(0x04 || key)")
    if hashlib.sha256(name.encode() + b"\n\x04" + raw[1:]).digest()[:4].hex() != key_id:
        raise ValueError("the cosigner key id does not match the key")
    return name, bytes.fromhex(key_id), raw[1:]


def cosigned_by(cosignatures, witness):
    """Whether one of the note's cosignature lines is a valid cosignature by `witness`."""
    name, key_id, key = witness
    for line_name, line_id, blob, body in cosignatures:
        if line_name != name or line_id != key_id or len(blob) != 72:
            continue
        time = int.from_bytes(blob[:8], "big")
        if time and ed25519_verify(key, f"cosignature/v1\ntime {time}\n".encode() + body.encode(), blob[8:]):
            return True
    return False


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--vkey", required=True, help="the log's verifier key, or a file holding it")
    parser.add_argument("--old-checkpoint", help="a checkpoint of this log saved earlier, to check consistency with")
    parser.add_argument("--save", help="write the checkpoint checked here to this file")
    parser.add_argument("--witness", action="append", default=[], help="a witness's cosigner key (or a file); repeatable")
    parser.add_argument("--quorum", type=int, default=0, help="how many of the --witness keys must have cosigned")
    args = parser.parse_args(argv)
    results = []

    def check(name, passed, detail=""):
        results.append(passed)
        print(f"{'ok' if passed else 'FAIL'}: {name}{': ' + detail if detail and not passed else ''}")
        return passed

    try:
        vkey = read_key(args.vkey)
        origin = vkey[0]
        note = fetch(args.url, "checkpoint").decode("utf-8")
        cosignatures = []
        try:
            size, root = check_note(note, vkey, origin, cosignatures)
            check(f"the checkpoint is signed by {origin} (tree size {size})", True)
        except ValueError as error:
            check("the checkpoint's signature", False, str(error))
            return finish(results)
        if args.witness or args.quorum:
            witnesses = [parse_cosigner(text) for text in args.witness]
            vouching = [w[0] for w in witnesses if cosigned_by(cosignatures, w)]
            check(f"{len(vouching)} of {len(witnesses)} witnesses cosigned it ({', '.join(vouching) or 'none'}); the quorum is {args.quorum}",
                  len(vouching) >= args.quorum, "too few cosignatures")
        old = None
        if args.old_checkpoint:
            with open(args.old_checkpoint, encoding="utf-8") as file:
                try:
                    old = check_note(file.read(), vkey, origin, [])
                    check(f"the old checkpoint is signed by {origin} (tree size {old[0]})", True)
                except ValueError as error:
                    check("the old checkpoint's signature", False, str(error))
                    old = None
            if old and not check("the old checkpoint is no larger than the new one", old[0] <= size, f"{old[0]} > {size}"):
                old = None

        # Entries, leaf by leaf: the root, the old root, and every perfect node a tile holds.
        frontier, expected, bundles_ok, old_root = [], {}, True, None
        for level, index, width in [t for t in tiles_of(size) if t[0] == "entries"]:
            data = fetch(args.url, tile_path("entries", index, width))
            offset, count = 0, 0
            while offset < len(data):
                if offset + 2 > len(data):
                    break
                length = int.from_bytes(data[offset:offset + 2], "big")
                entry = data[offset + 2:offset + 2 + length]
                offset += 2 + length
                leaf = index * WIDTH + count
                count += 1
                if len(entry) != length:
                    break
                try:
                    seq = json.loads(entry)["seq"]
                except (ValueError, KeyError, TypeError):
                    seq = None
                if seq != leaf + 1:
                    bundles_ok = check(f"entry {leaf + 1} in {tile_path('entries', index, width)}", False, f"its seq is {seq}")
                for made_level, made_hash in push_leaf(frontier, leaf_hash(entry)):
                    if made_level % 8 == 0:
                        expected[(made_level // 8, leaf >> made_level)] = made_hash
                if old and leaf + 1 == old[0]:
                    old_root = frontier_root(list(frontier))
            if offset != len(data) or count != width:
                bundles_ok = check(f"bundle {tile_path('entries', index, width)}", False,
                                   f"holds {count} whole entries in {len(data)} bytes, not {width}")
        check(f"every entry bundle holds its {size} entries in order", bundles_ok)
        check("the root recomputed from the entries equals the checkpoint's", frontier_root(frontier) == root)
        if old:
            check(f"consistent with the old checkpoint: the root at size {old[0]} is unchanged", old_root == old[1])

        tiles_ok = True
        for level, index, width in [t for t in tiles_of(size) if t[0] != "entries"]:
            data = fetch(args.url, tile_path(level, index, width))
            want = b"".join(expected.get((level, index * WIDTH + i), b"") for i in range(width))
            if data != want or len(want) != 32 * width:
                tiles_ok = check(f"hash tile {tile_path(level, index, width)}", False, "differs from the hashes recomputed from the entries")
        check("every hash tile holds the recomputed subtree hashes", tiles_ok)
        if args.save:
            with open(args.save, "w", encoding="utf-8") as file:
                file.write(note)
    except (LookupError, ConnectionError, ValueError, OSError) as error:
        print(f"verify_tiles: {error}", file=sys.stderr)
        results.append(False)
        finish(results)
        return 2
    return finish(results)


def finish(results):
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
