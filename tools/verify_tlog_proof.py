#!/usr/bin/env python3
"""Checks a C2SP tlog-proof of a Defter log offline: `defter log prove --seq S --format tlog-proof`
writes one, and the public tracking page offers one for each step of a request.

Usage: verify_tlog_proof.py PROOF_FILE --vkey KEY

It recomputes the leaf hash from the entry carried in the `extra` line (Defter's leaf is the
stored entry), walks the inclusion path (RFC 9162 section 2.1.3.2) to a root, and checks that
the root is the one in the embedded checkpoint, whose Ed25519 signature by KEY (the log's
published verifier key, or a file holding it) it checks too. It prints the entry's seq, stream
and type. Python's standard library only; the signature and hash code is tools/verify_log.py's.
Exit status: 0 the proof holds, 1 it does not, 2 bad usage or an unreadable file.
"""
import argparse
import base64
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from verify_log import check_note, leaf_hash, node_hash, parse_vkey  # noqa: E402

HEADER = "c2sp.org/tlog-proof@v1"


def root_from_inclusion(index, size, leaf, path):
    """RFC 9162 2.1.3.2; None when the path does not fit the index and size."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def check(text, vkey):
    """(seq, stream, type) of the proven entry; raises ValueError naming the failed step."""
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise ValueError("no empty line before the checkpoint")
    lines = head.split("\n")
    if lines[0] != HEADER:
        raise ValueError(f"the first line is not {HEADER}")
    if len(lines) < 3 or not lines[1].startswith("extra ") or not lines[2].startswith("index "):
        raise ValueError("expected the lines 'extra <base64 entry>' and 'index <n>' after the header")
    entry = base64.b64decode(lines[1][6:], validate=True)
    index = int(lines[2][6:])
    path = [base64.b64decode(line, validate=True) for line in lines[3:]]
    if any(len(h) != 32 for h in path):
        raise ValueError("a hash of the inclusion path is not 32 bytes")
    size, root = check_note(note, vkey, vkey[0])
    computed = root_from_inclusion(index, size, leaf_hash(entry), path)
    if computed is None:
        raise ValueError(f"the inclusion path does not fit index {index} in a tree of {size}")
    if computed != root:
        raise ValueError("the inclusion path leads to another root than the signed checkpoint's: the entry or the path was changed")
    fields = json.loads(entry)
    if fields.get("seq") != index + 1:
        raise ValueError(f"the entry says it is seq {fields.get('seq')}, not {index + 1}")
    return fields["seq"], fields.get("stream"), fields.get("type")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("proof")
    parser.add_argument("--vkey", required=True)
    args = parser.parse_args(argv)
    try:
        key = args.vkey
        if os.path.exists(key):
            with open(key, encoding="utf-8") as file:
                key = file.read()
        vkey = parse_vkey(key)
        with open(args.proof, encoding="utf-8") as file:
            text = file.read()
    except (OSError, ValueError) as error:
        print(f"verify_tlog_proof: {error}", file=sys.stderr)
        return 2
    try:
        seq, stream, kind = check(text, vkey)
    except (ValueError, KeyError, TypeError) as error:
        print(f"FAIL: {error}")
        print("0 passed, 1 failed")
        return 1
    print(f"ok: entry {seq} ({kind} in {stream}) is in the log {vkey[0]} signed at its checkpoint")
    print("1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
