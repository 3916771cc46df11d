#!/usr/bin/env python3
"""Independent verifier for a Defter event log (format `defter-log/1`).

Standard library plus py-lmdb only, so that an auditor can check a log without trusting Defter's
own code. The format is specified in Schemas/log-format.md. Given a data folder it checks:

  * meta `format` is `defter-log/1`;
  * `events` keys are 8-byte big-endian 1, 2, 3, ... with no gap; every value is UTF-8 JSON,
    an object with exactly the nine envelope fields (actor, data, id, recordedAt, schemaVersion,
    seq, stream, streamVersion, type) of the right types, whose `seq` equals its key, stored in
    canonical form: json.dumps(obj, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
    reproduces the stored bytes exactly;
  * stream versions are 1, 2, 3, ... per stream, and the `streams` and `ids` indexes point at
    each entry and hold exactly one row per entry;
  * the RFC 6962 Merkle tree recomputed from the stored bytes (streaming, with a frontier of
    perfect subtrees) agrees with every node stored in `merkle`, which has exactly
    sum_{L>=0} floor(n / 2^L) rows;
  * every checkpoint in `checkpoints` (numbered 1, 2, ...) is a well-formed signed note for this
    log's origin, carries a valid Ed25519 signature (RFC 8032, implemented below) by the verifier
    key, has a size no smaller than the previous one, and its root equals the recomputed root at
    its size. A checkpoint larger than the log means entries were removed (truncation).

The verifier key comes from --vkey (the key text, or a file holding it, e.g.
DATA_DIR/checkpoint.vkey); without it the key stored in the log's own meta is used, which only
proves self-consistency: an auditor should pin the published key.

Exit status: 0 all checks pass, 1 a problem was found, 2 bad usage or not a Defter log.
"""
import argparse
import base64
import hashlib
import json
import os
import re
import sys

# ---- Ed25519 verification (RFC 8032, section 5.1), extended coordinates ----------------------
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
IDENTITY = (0, 1, 1, 0)


def _add(p, q):
    a, b = (p[1] - p[0]) * (q[1] - q[0]) % P, (p[1] + p[0]) * (q[1] + q[0]) % P
    c, d = 2 * p[3] * q[3] * D % P, 2 * p[2] * q[2] % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s, p):
    q = IDENTITY
    while s:
        if s & 1:
            q = _add(q, p)
        p, s = _add(p, p), s >> 1
    return q


def _same(p, q):
    return (p[0] * q[2] - q[0] * p[2]) % P == 0 and (p[1] * q[2] - q[1] * p[2]) % P == 0


def _decode_point(b):
    """RFC 8032 5.1.3; None when the 32 bytes do not encode a curve point."""
    if len(b) != 32:
        return None
    y = int.from_bytes(b, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P or (x == 0 and sign):
        return None
    if x & 1 != sign:
        x = P - x
    return (x, y, 1, x * y % P)


B = _decode_point((4 * pow(5, P - 2, P) % P).to_bytes(32, "little"))  # y = 4/5, x even


def ed25519_verify(public, message, signature):
    """RFC 8032 5.1.7, cofactored check [8][S]B == [8]R + [8][k]A."""
    if len(signature) != 64:
        return False
    a, r = _decode_point(public), _decode_point(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % L
    return _same(_mul(8 * s, B), _mul(8, _add(r, _mul(k, a))))


def self_test():
    vectors = [  # RFC 8032 section 7.1, TEST 1 and TEST 2: (public key, message, signature)
        ("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
        ("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
         "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ]
    ok = True
    for n, (pk, msg, sig) in enumerate(vectors, 1):
        pk, msg, sig = bytes.fromhex(pk), bytes.fromhex(msg), bytes.fromhex(sig)
        bad_sig = sig[:40] + bytes([sig[40] ^ 1]) + sig[41:]
        results = [ed25519_verify(pk, msg, sig), not ed25519_verify(pk, msg + b"x", sig),
                   not ed25519_verify(pk, msg, bad_sig)]
        print(f"RFC 8032 test {n}: {'ok' if all(results) else 'FAILED'}")
        ok = ok and all(results)
    leaves, frontier, merkle_ok = [], [], frontier_root([]) == hashlib.sha256(b"").digest()
    for i in range(100):  # the streaming frontier agrees with the recursive MTH at every size
        leaves.append(leaf_hash(b"%d" % i))
        push_leaf(frontier, leaves[-1])
        merkle_ok = merkle_ok and frontier_root(frontier) == mth(leaves)
    merkle_ok = merkle_ok and merkle_root(b"%d" % i for i in range(100)) == mth(leaves)
    print(f"Merkle frontier vs RFC 6962 MTH, sizes 0..100: {'ok' if merkle_ok else 'FAILED'}")
    return 0 if ok and merkle_ok else 1


# ---- Merkle tree (RFC 6962 / RFC 9162 section 2.1.1) -----------------------------------------
def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves):
    """Recursive MTH over leaf hashes (used only in the self-test)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)  # largest power of two < n
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def push_leaf(frontier, leaf):
    """Adds a leaf hash to `frontier`, the stack of perfect subtrees [(level, hash)] of the tree
    so far, merging equal levels. Returns the perfect nodes the leaf completes, [(level, hash)],
    the leaf first: the rows `merkle` gets when that leaf is appended."""
    made = [(0, leaf)]
    while frontier and frontier[-1][0] == made[-1][0]:
        made.append((made[-1][0] + 1, node_hash(frontier.pop()[1], made[-1][1])))
    frontier.append(made[-1])
    return made


def merkle_root(entries):
    """The RFC 6962 root of an iterable of entry bytes, streaming (one frontier, no leaf list)."""
    frontier = []
    for entry in entries:
        push_leaf(frontier, leaf_hash(entry))
    return frontier_root(frontier)


def frontier_root(frontier):
    if not frontier:
        return hashlib.sha256(b"").digest()
    root = frontier[-1][1]
    for _, h in reversed(frontier[:-1]):
        root = node_hash(h, root)
    return root


# ---- Signed notes and verifier keys ----------------------------------------------------------
def b64(text):
    return base64.b64decode(text, validate=True)


def be(n):
    return n.to_bytes(8, "big")


def merkle_key(level, index):
    """`merkle` key of perfect node (level, index): BE64 of its last leaf's index, then the level."""
    return be(((index + 1) << level) - 1) + bytes([level])


def parse_vkey(text):
    name, key_id, blob = (text.strip().split("+", 2) + ["", ""])[:3]
    raw = b64(blob)
    if not name or len(raw) != 33 or raw[0] != 1 or _decode_point(raw[1:]) is None:
        raise ValueError("not an Ed25519 verifier key of the form name+keyid+base64")
    if hashlib.sha256(name.encode() + b"\n\x01" + raw[1:]).digest()[:4].hex() != key_id:
        raise ValueError("the key id does not match the key")
    return name, bytes.fromhex(key_id), raw[1:]


TIME = re.compile(r"time ([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z)")


def check_note(text, vkey, origin, cosignatures=None):
    """Returns (tree size, root bytes) of a valid checkpoint note; raises ValueError otherwise.
    With `cosignatures` (a list), further signature lines after the log's are allowed (witnesses'
    cosignatures, C2SP tlog-cosignature) and appended to it as (name, key id, blob, body)."""
    body, sep, sig_line = text.partition("\n\n")
    if not sep:
        raise ValueError("no empty line between body and signature")
    if cosignatures is not None:
        first, newline, rest = sig_line.partition("\n")
        sig_line = first + newline
        for line in rest.split("\n"):
            if not line:
                continue
            if not line.startswith("\u2014 ") or line.count(" ") != 2:
                raise ValueError(f"a cosignature line is not '\u2014 <name> <base64>': {line[:80]}")
            name, blob = line[2:].split(" ")
            blob = b64(blob)
            cosignatures.append((name, blob[:4], blob[4:], body + "\n"))
    body += "\n"
    lines = body[:-1].split("\n")
    if len(lines) != 4 or not re.fullmatch(r"0|[1-9][0-9]*", lines[1]) or not TIME.fullmatch(lines[3]):
        raise ValueError("the body is not origin, size, root, time")
    size, root = int(lines[1]), b64(lines[2])
    if len(root) != 32 or base64.b64encode(root).decode() != lines[2]:
        raise ValueError("the root is not a base64 SHA-256 hash")
    if lines[0] != origin:
        raise ValueError(f"it is for log '{lines[0]}', not '{origin}'")
    if not sig_line.startswith("\u2014 ") or not sig_line.endswith("\n") or sig_line.count(" ") != 2:
        raise ValueError("the signature line is not '\u2014 <name> <base64>'")
    name, blob = sig_line[2:-1].split(" ")
    blob = b64(blob)
    if name != vkey[0] or blob[:4] != vkey[1] or len(blob) != 68:
        raise ValueError(f"it is signed by '{name}' (key id {blob[:4].hex()}), not by '{vkey[0]}' ({vkey[1].hex()})")
    if not ed25519_verify(vkey[2], body.encode(), blob[4:]):
        raise ValueError("the Ed25519 signature does not verify")
    return size, root


# ---- The log ---------------------------------------------------------------------------------
FIELDS = ["actor", "data", "id", "recordedAt", "schemaVersion", "seq", "stream", "streamVersion", "type"]
RECORDED_AT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")


def _strict_object(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")
    return dict(pairs)


def _no_constants(name):
    raise ValueError(f"{name} is not JSON")


def check_entry(seq, raw):
    """Returns (entry object or None, list of problems)."""
    try:
        obj = json.loads(raw.decode("utf-8"), object_pairs_hook=_strict_object, parse_constant=_no_constants)
    except ValueError as e:
        return None, [f"entry {seq} is not UTF-8 JSON without duplicate keys: {e}"]
    if not isinstance(obj, dict) or sorted(obj) != FIELDS:
        return None, [f"entry {seq} is not an object with exactly the fields {', '.join(FIELDS)}"]
    problems = []
    canonical = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if canonical != raw:
        at = next((i for i, (x, y) in enumerate(zip(canonical, raw)) if x != y), min(len(raw), len(canonical)))
        problems.append(f"entry {seq} is not in canonical form (first difference at byte {at + 1}: "
                        f"stored {raw[at:at + 24]!r}, canonical {canonical[at:at + 24]!r})")
    ints = {k: obj[k] for k in ("seq", "streamVersion", "schemaVersion")}
    if any(type(v) is not int or v < 1 for v in ints.values()) or not isinstance(obj["data"], dict) \
            or not all(isinstance(obj[k], str) and obj[k] for k in ("actor", "id", "stream", "type")) \
            or not isinstance(obj["recordedAt"], str) or not RECORDED_AT.fullmatch(obj["recordedAt"]):
        problems.append(f"entry {seq} has a field of the wrong type or form")
        return None, problems
    if obj["seq"] != seq:
        problems.append(f"entry {seq} says it is entry {obj['seq']}")
    return obj, problems


def verify(path, vkey_arg):
    import lmdb
    try:
        env = lmdb.open(path, readonly=True, lock=False, max_dbs=16, subdir=True)
    except lmdb.Error as e:
        raise UsageError(f"cannot open {path} as an LMDB environment: {e}")
    problems, notes = [], []
    with env.begin() as txn:
        try:
            meta = dict(txn.cursor(env.open_db(b"meta", txn=txn, create=False)))
        except lmdb.NotFoundError:
            meta = {}
        if meta.get(b"format") != b"defter-log/1":
            raise UsageError(f"{path} is not a Defter log (meta format is {meta.get(b'format')!r})")
        origin = meta.get(b"origin", b"").decode()
        if b"indexes-pending-from" in meta:
            first = int.from_bytes(meta[b"indexes-pending-from"], "big")
            problems.append(
                f"the id and stream index rows of entries {first} on are not written yet (a mirror stopped while catching up); "
                "open the log once with `defter mirror` or `defter serve` to write them, then verify again")
        if vkey_arg is None:
            notes.append("using the verifier key stored in the log itself; an auditor should pin the published key with --vkey")
            vkey_arg = meta.get(b"vkey", b"").decode()
        elif os.path.isfile(vkey_arg):
            vkey_arg = open(vkey_arg, encoding="utf-8").read()
        try:
            vkey = parse_vkey(vkey_arg)
        except ValueError as e:
            raise UsageError(f"bad verifier key: {e}")
        dbs = {}
        for name in ("events", "streams", "ids", "merkle", "checkpoints"):
            try:
                dbs[name] = env.open_db(name.encode(), txn=txn, create=False)
            except lmdb.NotFoundError:
                raise UsageError(f"{path} is not a Defter log (no '{name}' database)")

        # Checkpoints first, so that the scan knows at which sizes to record the root.
        checkpoints = []  # (number, size, root)
        for number, (key, value) in enumerate(txn.cursor(dbs["checkpoints"]), 1):
            if key != be(number):
                problems.append(f"checkpoint #{number} is missing (next key is {key.hex()})")
                break
            try:
                size, root = check_note(value.decode("utf-8"), vkey, origin)
            except (ValueError, UnicodeDecodeError) as e:
                problems.append(f"checkpoint #{number} is not valid: {e}")
                continue
            if checkpoints and checkpoints[-1][1] > size:
                problems.append(f"checkpoint #{number} covers {size} entries, fewer than checkpoint #{checkpoints[-1][0]}: the log shrank")
            checkpoints.append((number, size, root))
        wanted = {size for _, size, _ in checkpoints}
        roots = {0: frontier_root([])}

        frontier, versions, n = [], {}, 0
        get = lambda db, key: txn.get(key, db=dbs[db])
        for key, raw in txn.cursor(dbs["events"]):
            if key != be(n + 1):
                problems.append(f"entry {n + 1} is missing: the next stored key is {key.hex()}")
            n += 1
            obj, found = check_entry(n, raw)
            problems += found
            if obj is not None:
                stream, version = obj["stream"], obj["streamVersion"]
                if version != versions.get(stream, 0) + 1:
                    problems.append(f"entry {n} is version {version} of stream '{stream}', which is at version {versions.get(stream, 0)}")
                versions[stream] = version
                if get("streams", stream.encode() + b"\x00" + be(version)) != key:
                    problems.append(f"the stream index does not point at entry {n}")
                if get("ids", obj["id"].encode()) != key:
                    problems.append(f"the id index does not point at entry {n}")
            for level, node in push_leaf(frontier, leaf_hash(raw)):
                index = (n - 1) >> level
                if get("merkle", merkle_key(level, index)) == node:
                    continue
                problems.append(f"entry {n}'s bytes differ from its recorded leaf hash" if level == 0 else
                                f"the recorded Merkle node at level {level}, index {index} differs from the recomputed one")
            if n in wanted:
                roots[n] = frontier_root(frontier)
        root = frontier_root(frontier)

        stats = {name: txn.stat(dbs[name])["entries"] for name in ("streams", "ids", "merkle")}
        expected_nodes = sum(n >> lvl for lvl in range(n.bit_length()))
        for name, want in (("streams", n), ("ids", n), ("merkle", expected_nodes)):
            if stats[name] != want:
                problems.append(f"the {name} database holds {stats[name]} rows; {n} entries need exactly {want}")

    verified = 0
    for number, size, cp_root in checkpoints:
        if size > n:
            problems.append(f"checkpoint #{number} covers {size} entries but the log holds {n}: entries {n + 1}..{size} were removed")
        elif roots[size] != cp_root:
            problems.append(f"checkpoint #{number} (size {size}) signed root {cp_root.hex()}, but the entries give {roots[size].hex()}: the log was rewritten")
        else:
            verified += 1
    newest = {"treeSize": checkpoints[-1][1], "root": checkpoints[-1][2].hex()} if checkpoints else None
    return {"ok": not problems, "size": n, "root": root.hex(), "checkpoints": verified,
            "newestCheckpoint": newest, "problems": problems}, notes


class UsageError(Exception):
    pass


def main(argv):
    parser = argparse.ArgumentParser(description="Independently verify a Defter log folder.")
    parser.add_argument("data_dir", nargs="?")
    parser.add_argument("--vkey", help="the verifier key text, or a file holding it (e.g. DATA_DIR/checkpoint.vkey)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--self-test", action="store_true", help="check the Ed25519 code against RFC 8032 vectors")
    args = parser.parse_args(argv)  # exits 2 on bad usage
    if args.self_test:
        return self_test()
    if not args.data_dir:
        parser.error("DATA_DIR is required")
    try:
        if not os.path.isfile(os.path.join(args.data_dir, "data.mdb")):
            raise UsageError(f"{args.data_dir!r} is not a folder holding data.mdb")
        report, notes = verify(args.data_dir, args.vkey)
    except UsageError as e:
        print(f"verify_log: {e}", file=sys.stderr)
        return 2
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps(report, sort_keys=True))
    else:
        print(f"entries:     {report['size']}")
        print(f"root:        {report['root']}")
        cp = report["newestCheckpoint"]
        print(f"checkpoints: {report['checkpoints']} verified" + (f"; newest covers {cp['treeSize']}, root {cp['root']}" if cp else ""))
        for problem in report["problems"]:
            print(f"PROBLEM: {problem}")
        print("OK" if report["ok"] else f"FAILED: {len(report['problems'])} problem(s)")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
