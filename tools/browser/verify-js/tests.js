// Runs the console's verifier (verify.js) on the RFC 6962 Merkle vectors the log's Swift tests
// use, on RFC 8032's Ed25519 vectors, and on a checkpoint Defter signed; then on each with one
// byte changed. Writes one line per case and sets document.body.dataset.done.
import * as verify from './verify.js';

const vectors = await (await fetch('vectors.json')).json();
const results = [];
const record = (name, passed, detail = '') => results.push({ name, passed, detail });
const b64 = (text) => (text === null || text === undefined ? null : verify.fromBase64(text));
const flip = (bytes, at = 0) => { const copy = Uint8Array.from(bytes); copy[at % copy.length] ^= 1; return copy; };

// RFC 6962 reference roots: hash the first N reference leaves into a tree, as the log does.
async function rootOf(leaves) {
  if (leaves.length === 0) return verify.sha256(new Uint8Array());
  if (leaves.length === 1) return verify.leafHash(leaves[0]);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return verify.nodeHash(await rootOf(leaves.slice(0, k)), await rootOf(leaves.slice(k)));
}
const leaves = vectors.reference.leaves_hex.map(verify.fromHex);
for (let n = 0; n <= leaves.length; n += 1) {
  const root = verify.toHex(await rootOf(leaves.slice(0, n)));
  record(`reference root of ${n} leaves`, root === vectors.reference.roots_hex_by_size[n], root);
}

for (const c of vectors.inclusion) {
  const result = await verify.verifyInclusion({
    leafIndex: c.leafIdx, treeSize: c.treeSize, leafHash: b64(c.leafHash), root: b64(c.root), path: (c.proof || []).map(b64),
  });
  record(`inclusion ${c.file}`, result.ok === !c.wantErr, result.step || '');
}
for (const c of vectors.consistency) {
  const result = await verify.verifyConsistency({ size1: c.size1, size2: c.size2, root1: b64(c.root1), root2: b64(c.root2), path: (c.proof || []).map(b64) });
  record(`consistency ${c.file}`, result.ok === !c.wantErr, result.step || '');
}
// A happy path with one byte of one hash changed must fail, whichever hash it is.
for (const c of vectors.inclusion.filter((v) => !v.wantErr && (v.proof || []).length > 0).slice(0, 8)) {
  const path = c.proof.map(b64);
  path[path.length - 1] = flip(path[path.length - 1], 7);
  const result = await verify.verifyInclusion({ leafIndex: c.leafIdx, treeSize: c.treeSize, leafHash: b64(c.leafHash), root: b64(c.root), path });
  record(`inclusion ${c.file} with a changed byte`, !result.ok, result.step || 'accepted!');
}

for (const v of vectors.ed25519.vectors) {
  const key = verify.fromHex(v.publicKey);
  const message = verify.fromHex(v.message);
  const signature = verify.fromHex(v.signature);
  record(`RFC 8032 ${v.name}`, await verify.verifyEd25519(key, message, signature));
  record(`RFC 8032 ${v.name} with a changed byte`, !(await verify.verifyEd25519(key, message, flip(signature, 10))));
}

const { note, vkey } = vectors.checkpoint;
const good = await verify.verifyCheckpoint(note, vkey);
record('Defter checkpoint verifies with its key', good.ok, good.step || '');
const parts = note.split('\n');
parts[2] = verify.toBase64(flip(verify.fromBase64(parts[2]), 3));
const tampered = await verify.verifyCheckpoint(parts.join('\n'), vkey);
record('Defter checkpoint with a changed root is refused', !tampered.ok && /signature/.test(tampered.step), tampered.step || 'accepted!');
const [name, id, key] = vkey.split('+');
const otherKey = `${name}+${id}+${verify.toBase64(flip(verify.fromBase64(key), 5))}`;
const wrongKey = await verify.verifyCheckpoint(note, otherKey);
record('a key whose id does not match is refused', !wrongKey.ok && /key id/.test(wrongKey.step), wrongKey.step || 'accepted!');
const malformed = verify.parseSignedNote('no body here');
record('a note without signatures is refused', !malformed.ok, malformed.step || '');

const out = document.getElementById('out');
out.textContent = results.map((r) => `${r.passed ? 'PASS' : 'FAIL'} ${r.name}${r.passed ? '' : `: ${r.detail}`}`).join('\n');
document.body.dataset.results = JSON.stringify(results);
document.body.dataset.done = 'true';
