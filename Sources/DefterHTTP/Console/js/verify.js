// Checks, in the browser, what the log's server claims: RFC 9162 Merkle inclusion and
// consistency proofs, and C2SP signed-note checkpoints signed with Ed25519. Nothing here trusts
// the server: every hash is recomputed with WebCrypto from the bytes given. Each check answers
// {ok: true} or {ok: false, step: '<what failed, in words>'} and never throws for bad data.

const encoder = new TextEncoder();

/** Bytes from base64 (null when it is not base64). */
export function fromBase64(text) {
  try {
    const raw = atob(text);
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  } catch { return null; }
}

/** Base64 of bytes. */
export function toBase64(bytes) {
  let raw = '';
  for (const byte of bytes) raw += String.fromCharCode(byte);
  return btoa(raw);
}

/** Bytes from hex (null when it is not hex). */
export function fromHex(text) {
  if (!/^([0-9a-fA-F]{2})*$/.test(text)) return null;
  return Uint8Array.from(text.match(/../g) || [], (pair) => parseInt(pair, 16));
}

/** Lowercase hex of bytes. */
export const toHex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');

const equal = (a, b) => a.length === b.length && a.every((value, i) => value === b[i]);
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
};

/** SHA-256 of bytes. */
export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

/** RFC 9162 leaf hash: SHA-256(0x00 || entry). */
export const leafHash = (entry) => sha256(concat(Uint8Array.of(0), entry));
/** RFC 9162 interior node hash: SHA-256(0x01 || left || right). */
export const nodeHash = (left, right) => sha256(concat(Uint8Array.of(1), left, right));

/** A failed check: `code` names the step for a translation, `step` says it in English. */
const fail = (step, code = 'other') => ({ ok: false, step, code });

/**
 * Verifies that `leafHash` is leaf `leafIndex` (0-based) of the tree of `treeSize` leaves whose
 * root is `root`, with the audit path `path` (RFC 9162, section 2.1.3.2). Hashes are bytes.
 */
export async function verifyInclusion({ leafIndex, treeSize, leafHash: leaf, path, root }) {
  let fn = BigInt(leafIndex);
  let sn = BigInt(treeSize) - 1n;
  if (fn < 0n || fn > sn) return fail(`leaf index ${leafIndex} is not within a tree of ${treeSize}`, 'index');
  if ([leaf, root, ...path].some((hash) => !hash || hash.length !== 32)) return fail('a hash in the proof is not 32 bytes', 'bad-hash');
  let r = leaf;
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
  if (sn !== 0n) return fail('the proof has fewer hashes than the tree has levels', 'path-short');
  if (!equal(r, root)) return fail('the root computed from the entry and its proof differs from the checkpoint\'s root', 'root-mismatch');
  return { ok: true };
}

/**
 * Verifies that the tree of `size1` leaves with root `root1` is a prefix of the tree of
 * `size2` leaves with root `root2`, with the consistency proof `path` (RFC 9162, section 2.1.4.2).
 */
export async function verifyConsistency({ size1, size2, root1, root2, path }) {
  const first = BigInt(size1);
  const second = BigInt(size2);
  if (first > second) return fail(`the older size ${size1} is larger than the newer ${size2}`);
  // An empty tree is consistent with anything: a proof from it proves nothing, so none is accepted.
  if (first === 0n) return fail('a consistency proof from an empty tree proves nothing');
  if (!root1 || !root2) return fail('a root is missing');
  if (first === second) {
    if (path.length !== 0) return fail('equal sizes need an empty proof');
    return equal(root1, root2) ? { ok: true } : fail('two checkpoints of the same size have different roots');
  }
  if ([root1, root2, ...path].some((hash) => !hash || hash.length !== 32)) return fail('a hash in the proof is not 32 bytes');
  if (path.length === 0) return fail('the proof is empty');
  // A power-of-two old tree is itself a node of the new one: the proof starts from its root.
  const hashes = (first & (first - 1n)) === 0n ? [root1, ...path] : [...path];
  let fn = first - 1n;
  let sn = second - 1n;
  while ((fn & 1n) === 1n) { fn >>= 1n; sn >>= 1n; }
  let fr = hashes[0];
  let sr = hashes[0];
  for (const c of hashes.slice(1)) {
    if (sn === 0n) return fail('the proof has more hashes than needed');
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
  if (sn !== 0n) return fail('the proof has fewer hashes than needed');
  if (!equal(fr, root1)) return fail('the proof does not lead to the older checkpoint\'s root', 'old-root');
  if (!equal(sr, root2)) return fail('the proof does not lead to the newer checkpoint\'s root', 'new-root');
  return { ok: true };
}

/**
 * Parses a C2SP signed note holding a tlog-checkpoint (origin, size, base64 root, then extension
 * lines such as Defter's `time ...`). Returns {ok, origin, treeSize, root, body, signatures} or a failure.
 */
export function parseSignedNote(text) {
  if (typeof text !== 'string') return fail('the checkpoint is not text');
  const split = text.indexOf('\n\n');
  if (split < 0) return fail('the checkpoint has no empty line between its body and its signatures');
  const body = text.slice(0, split + 1);
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3 || !lines[0]) return fail('the checkpoint body needs an origin, a size and a root');
  if (!/^(0|[1-9]\d*)$/.test(lines[1])) return fail(`the tree size "${lines[1]}" is not a decimal number`);
  const root = fromBase64(lines[2]);
  if (!root || root.length !== 32) return fail('the root is not a base64 SHA-256 hash');
  const signatures = [];
  for (const line of text.slice(split + 2).split('\n')) {
    if (line === '') continue;
    const match = /^\u2014 (\S+) (\S+)$/.exec(line);
    const blob = match && fromBase64(match[2]);
    if (!blob || blob.length < 5) return fail('a signature line is not "— <name> <base64>"');
    signatures.push({ name: match[1], keyId: blob.slice(0, 4), signature: blob.slice(4) });
  }
  if (!signatures.length) return fail('the checkpoint carries no signature');
  return { ok: true, origin: lines[0], treeSize: Number(lines[1]), root, extensions: lines.slice(3), body, signatures };
}

/** Parses a signed-note verifier key `<name>+<hex key id>+<base64(0x01 || Ed25519 public key)>`. */
export async function parseVerifierKey(vkey) {
  // The name holds no '+', the key id is 8 hex digits; the base64 key may itself contain '+'.
  const match = typeof vkey === 'string' ? /^([^+\s]+)\+([0-9a-fA-F]{8})\+(\S+)$/.exec(vkey.trim()) : null;
  if (!match) return fail('the log key is not "<name>+<key id>+<key>"', 'malformed-key');
  const [, name, idHex, keyText] = match;
  const key = fromBase64(keyText);
  if (!key || key.length !== 33 || key[0] !== 1) return fail('the log key is not an Ed25519 key (type 0x01, 32 bytes)', 'malformed-key');
  const keyId = (await sha256(concat(encoder.encode(name), Uint8Array.of(0x0a), key))).slice(0, 4);
  if (toHex(keyId) !== idHex.toLowerCase()) return fail('the key id in the log key does not match the key', 'key-id');
  return { ok: true, name, keyId, publicKey: key.slice(1) };
}

/** Checks a signed checkpoint against a verifier key: its name, key id, then the Ed25519 signature. */
export async function verifyCheckpoint(noteText, vkey) {
  const note = parseSignedNote(noteText);
  if (!note.ok) return note;
  const key = await parseVerifierKey(vkey);
  if (!key.ok) return key;
  const signed = note.signatures.find((s) => s.name === key.name);
  if (!signed) return fail(`the checkpoint is not signed by the key "${key.name}"`, 'wrong-key');
  if (!equal(signed.keyId, key.keyId)) return fail('the checkpoint\'s signature names another key id than the log key', 'key-id');
  if (signed.signature.length !== 64) return fail('the signature is not 64 bytes');
  let valid = false;
  try {
    const publicKey = await crypto.subtle.importKey('raw', key.publicKey, { name: 'Ed25519' }, false, ['verify']);
    valid = await crypto.subtle.verify({ name: 'Ed25519' }, publicKey, signed.signature, encoder.encode(note.body));
  } catch (error) {
    return fail(`this browser cannot check Ed25519 signatures (${error.name}); use a current Chromium or Firefox`, 'no-ed25519');
  }
  if (!valid) return fail('the Ed25519 signature over the checkpoint does not verify with the log key', 'bad-signature');
  return { ok: true, checkpoint: note };
}

/** Verifies raw Ed25519: for the RFC 8032 vectors. */
export async function verifyEd25519(publicKey, message, signature) {
  try {
    const key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message);
  } catch { return false; }
}
