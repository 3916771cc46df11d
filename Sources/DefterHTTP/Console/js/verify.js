// Checks, in the browser, what the log's server claims: RFC 9162 Merkle inclusion and consistency
// proofs, and C2SP signed-note checkpoints (tlog-checkpoint) signed with Ed25519. Nothing here
// trusts the server: every hash is recomputed with WebCrypto from the bytes given.
//
// Every check answers {ok: true, ...} or {ok: false, step, code}: `step` says in English which
// step failed, `code` names it for a translation (the screens map `verify.<code>` to Turkish).
// No check throws for bad data: garbage in gives {ok: false}. No dependencies, no eval.

const encoder = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// Encodings

/** Bytes from canonical (padded, standard-alphabet) base64; null when it is not that. */
export function fromBase64(text) {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch { return null; }
}

/** Base64 of bytes. */
export function toBase64(bytes) {
  let raw = '';
  for (const byte of bytes) raw += String.fromCharCode(byte);
  return btoa(raw);
}

/** Bytes from hex (either case); null when it is not hex. */
export function fromHex(text) {
  if (typeof text !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(text)) return null;
  return Uint8Array.from(text.match(/../g) || [], (pair) => parseInt(pair, 16));
}

/** Lowercase hex of bytes. */
export const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** Whether two byte arrays hold the same bytes. */
export const equalBytes = (a, b) => a instanceof Uint8Array && b instanceof Uint8Array
  && a.length === b.length && a.every((value, i) => value === b[i]);

const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
};

const isHash = (value) => value instanceof Uint8Array && value.length === 32;

// ---------------------------------------------------------------------------------------------
// Hashes (RFC 9162 section 2.1.1)

/** SHA-256 of bytes. */
export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

/** Leaf hash: SHA-256(0x00 || entry bytes). */
export const leafHash = (entry) => sha256(concat(Uint8Array.of(0), entry));

/** Interior node hash: SHA-256(0x01 || left || right). */
export const nodeHash = (left, right) => sha256(concat(Uint8Array.of(1), left, right));

/** A failed check. */
const fail = (step, code) => ({ ok: false, step, code });

/** Runs a check; anything it throws (unreadable input) becomes a failure, never an exception. */
async function guarded(check) {
  try {
    return await check();
  } catch (error) {
    return fail(`the data given could not be read (${error && error.name ? error.name : 'error'})`, 'bad-input');
  }
}

/** A non-negative integer as a BigInt, or null (also for 1.5, -1, '7', NaN). */
function size(value) {
  if (typeof value === 'bigint') return value >= 0n ? value : null;
  return Number.isSafeInteger(value) && value >= 0 ? BigInt(value) : null;
}

// ---------------------------------------------------------------------------------------------
// Merkle proofs

/**
 * Verifies that `leafHash` (32 bytes) is leaf number `leafIndex` (0-based) of the tree of
 * `treeSize` leaves whose root is `root`, with the inclusion proof `path` (array of 32-byte hashes),
 * following RFC 9162 section 2.1.3.2 step by step.
 */
export function verifyInclusion(proof) {
  return guarded(async () => {
    const { leafIndex, treeSize, leafHash: leaf, path, root } = proof;
    const index = size(leafIndex);
    const total = size(treeSize);
    if (index === null || total === null || !Array.isArray(path)) return fail('the leaf index, tree size or proof is missing or not a whole number', 'bad-input');
    // 1. The leaf must be inside the tree.
    if (index >= total) return fail(`leaf index ${leafIndex} is not within a tree of ${treeSize} leaves`, 'index');
    if (!isHash(leaf) || !isHash(root) || !path.every(isHash)) return fail('a hash in the proof, the leaf or the root is not 32 bytes', 'bad-hash');
    // 2. fn is the leaf's index, sn the last index; 3. r starts as the leaf hash.
    let fn = index;
    let sn = total - 1n;
    let r = leaf;
    // 4. Fold in each hash of the path, on the side the index says.
    for (const p of path) {
      if (sn === 0n) return fail('the proof has more hashes than the tree has levels', 'path-long');
      if ((fn & 1n) === 1n || fn === sn) {
        r = await nodeHash(p, r);
        if ((fn & 1n) === 0n) while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      } else {
        r = await nodeHash(r, p);
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    // 5. Every level used, and the result is the root.
    if (sn !== 0n) return fail('the proof has fewer hashes than the tree has levels', 'path-short');
    if (!equalBytes(r, root)) return fail('the root computed from the entry and its proof differs from the checkpoint\'s root', 'root-mismatch');
    return { ok: true };
  });
}

/**
 * Verifies that the tree of `size1` leaves with root `root1` is a prefix of the tree of `size2`
 * leaves with root `root2` (nothing in it changed, it was only appended to), with the consistency
 * proof `path`, following RFC 9162 section 2.1.4.2.
 */
export function verifyConsistency(proof) {
  return guarded(async () => {
    const { size1, size2, root1, root2, path } = proof;
    const first = size(size1);
    const second = size(size2);
    const proof = path === null || path === undefined ? [] : path;
    if (first === null || second === null || !Array.isArray(proof)) return fail('a tree size or the proof is missing or not a whole number', 'bad-input');
    if (first > second) return fail(`the older tree (${size1}) is larger than the newer (${size2})`, 'sizes');
    // A proof from the empty tree proves nothing (every tree extends it); Defter never asks for one.
    if (first === 0n) return fail('a consistency proof from an empty tree proves nothing', 'empty-tree');
    if (!isHash(root1) || !isHash(root2) || !proof.every(isHash)) return fail('a hash in the proof or a root is not 32 bytes', 'bad-hash');
    // Equal sizes: the trees are the same tree; the proof is empty and the roots are equal.
    if (first === second) {
      if (proof.length !== 0) return fail('two trees of the same size need an empty proof', 'path-long');
      return equalBytes(root1, root2) ? { ok: true } : fail('two checkpoints of the same size have different roots', 'same-size-roots');
    }
    // 1. An empty proof cannot link two different sizes.
    if (proof.length === 0) return fail('the proof is empty', 'path-short');
    // 2. A power-of-two old tree is itself a node of the new one: the proof starts from its root.
    const hashes = (first & (first - 1n)) === 0n ? [root1, ...proof] : [...proof];
    // 3.-4. fn is the old tree's last index, sn the new one's; drop the levels where the old tree is a right child.
    let fn = first - 1n;
    let sn = second - 1n;
    while ((fn & 1n) === 1n) { fn >>= 1n; sn >>= 1n; }
    // 5. Both running roots start from the first hash.
    let fr = hashes[0];
    let sr = hashes[0];
    // 6. Each further hash goes into both roots, or into the new root only.
    for (const c of hashes.slice(1)) {
      if (sn === 0n) return fail('the proof has more hashes than needed', 'path-long');
      if ((fn & 1n) === 1n || fn === sn) {
        fr = await nodeHash(c, fr);
        sr = await nodeHash(c, sr);
        if ((fn & 1n) === 0n) while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      } else {
        sr = await nodeHash(sr, c);
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    // 7. Every level used, and both computed roots are the signed ones.
    if (sn !== 0n) return fail('the proof has fewer hashes than needed', 'path-short');
    if (!equalBytes(fr, root1)) return fail('the proof does not lead to the older checkpoint\'s root', 'old-root');
    if (!equalBytes(sr, root2)) return fail('the proof does not lead to the newer checkpoint\'s root', 'new-root');
    return { ok: true };
  });
}

// ---------------------------------------------------------------------------------------------
// Signed notes (C2SP signed-note) holding a checkpoint (C2SP tlog-checkpoint)

/**
 * Parses a signed note holding a checkpoint: "<origin>\n<size>\n<base64 root>\n[extension lines]\n"
 * (Defter writes one extension, "time <RFC 3339>"), a blank line, then signature lines
 * "— <key name> <base64(4-byte key id || signature)>\n".
 * Returns {ok, origin, treeSize, root, extensions, body, signatures: [{name, keyId, signature}]}.
 * `body` is the signed message: the text up to and including the newline before the blank line.
 */
export function parseSignedNote(text) {
  const malformed = (why) => fail(`the checkpoint is malformed: ${why}`, 'malformed-note');
  if (typeof text !== 'string') return malformed('it is not text');
  if (!text.endsWith('\n')) return malformed('it does not end with a newline');
  // Only newlines among the control characters.
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text)) return malformed('it holds a control character');
  const split = text.lastIndexOf('\n\n');
  if (split < 0) return malformed('there is no blank line between its text and its signatures');
  const body = text.slice(0, split + 1);
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) return malformed('the text needs an origin, a tree size and a root');
  if (lines.some((line) => line === '')) return malformed('the text holds an empty line');
  const [origin, sizeLine, rootLine, ...extensions] = lines;
  if (!/^(0|[1-9][0-9]{0,19})$/.test(sizeLine)) return malformed(`the tree size "${sizeLine}" is not a decimal number`);
  const root = fromBase64(rootLine);
  if (!root || root.length !== 32) return malformed('the root is not a base64 SHA-256 hash');
  const signatureText = text.slice(split + 2, -1);
  if (signatureText === '') return malformed('it carries no signature');
  const signatures = [];
  for (const line of signatureText.split('\n')) {
    const match = /^\u2014 ([^\s+]+) (\S+)$/.exec(line);
    const blob = match && fromBase64(match[2]);
    if (!blob || blob.length < 5) return malformed('a signature line is not "— <key name> <base64 signature>"');
    signatures.push({ name: match[1], keyId: blob.slice(0, 4), signature: blob.slice(4) });
  }
  return { ok: true, origin, treeSize: Number(sizeLine), treeSizeText: sizeLine, root, extensions, body, signatures };
}

/**
 * Parses a signed-note verifier key "<name>+<8 hex key id>+<base64(0x01 || 32-byte Ed25519 key)>"
 * and checks that the key id is the first 4 bytes of SHA-256(name || 0x0A || 0x01 || key).
 * Returns {ok, name, keyId (4 bytes), keyIdHex, publicKey (32 bytes)}.
 */
export function parseVerifierKey(vkey) {
  return guarded(async () => {
    // The name holds no '+' nor space, the id is 8 hex digits; the base64 key may itself hold '+'.
    const match = typeof vkey === 'string' ? /^([^+\s]+)\+([0-9a-fA-F]{8})\+(\S+)$/.exec(vkey.trim()) : null;
    if (!match) return fail('the log key is not "<name>+<key id>+<key>"', 'malformed-key');
    const [, name, idHex, keyText] = match;
    const key = fromBase64(keyText);
    if (!key || key.length !== 33 || key[0] !== 1) return fail('the log key is not an Ed25519 key (type 0x01 and 32 bytes)', 'malformed-key');
    const keyId = (await sha256(concat(encoder.encode(name), Uint8Array.of(0x0a), key))).slice(0, 4);
    if (toHex(keyId) !== idHex.toLowerCase()) return fail('the key id written in the log key does not match the key itself', 'key-id');
    return { ok: true, name, keyId, keyIdHex: toHex(keyId), publicKey: key.slice(1) };
  });
}

/** Verifies an Ed25519 signature with WebCrypto: true, false, or null when the browser cannot. */
export async function verifyEd25519(publicKey, message, signature) {
  let key;
  try {
    key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
  } catch (error) {
    return error && error.name === 'NotSupportedError' ? null : false;
  }
  try {
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message);
  } catch { return false; }
}

/**
 * Checks a signed checkpoint with a verifier key, in order: the note is well formed, it has a
 * signature under the key's name, that signature names the key's id, the Ed25519 signature over the
 * note's text verifies, and (when `origin` is given) the checkpoint is of that log.
 * Returns {ok, checkpoint (the parsed note), key} or the failed step.
 */
export function verifyCheckpoint(noteText, vkey, options) {
  return guarded(async () => {
    const origin = options ? options.origin : undefined;
    const note = parseSignedNote(noteText);
    if (!note.ok) return note;
    const key = await parseVerifierKey(vkey);
    if (!key.ok) return key;
    const signed = note.signatures.find((s) => s.name === key.name);
    if (!signed) {
      const names = note.signatures.map((s) => s.name).join(', ');
      return fail(`the checkpoint is not signed under the log key's name "${key.name}" (it is signed by: ${names})`, 'wrong-key');
    }
    if (!equalBytes(signed.keyId, key.keyId)) return fail('the signature names another key id than the log key\'s', 'key-id');
    if (signed.signature.length !== 64) return fail('the signature is not 64 bytes long, as Ed25519 signatures are', 'bad-signature');
    const valid = await verifyEd25519(key.publicKey, encoder.encode(note.body), signed.signature);
    if (valid === null) return fail('this browser cannot check Ed25519 signatures; use a current Chromium or Firefox', 'no-ed25519');
    if (!valid) return fail('the Ed25519 signature over the checkpoint does not verify with the log key', 'bad-signature');
    if (origin !== undefined && note.origin !== origin) return fail(`the checkpoint is of the log "${note.origin}", not "${origin}"`, 'origin');
    return { ok: true, checkpoint: note, key };
  });
}
