// Runs the console's verifier (Sources/DefterHTTP/Console/js/verify.js) in this browser on:
//  - the RFC 6962 / RFC 9162 Merkle vectors the log's Swift tests use (read in place from
//    Tests/DefterLogTests/Fixtures/merkle, listed in ../fixtures/merkle-manifest.json),
//  - proofs of every leaf and every pair of sizes of trees up to 40 leaves, made here by an
//    independent transcription of RFC 9162's PATH and SUBPROOF definitions,
//  - RFC 8032's Ed25519 test vectors 1-3 (../fixtures/rfc8032.json),
//  - a real Defter log: its key, two signed checkpoints, inclusion and consistency proofs
//    (../fixtures/defter-log.json),
// each also with one byte changed (path, leaf, root, signature), plus malformed input.
// Writes one line per case, and sets document.body.dataset.results (JSON) and .done.
// Served from the repository's root (tools/browser/test_verify_js.py) so the paths below resolve.
import * as verify from '../../../Sources/DefterHTTP/Console/js/verify.js';

const results = [];
const record = (name, passed, detail = '') => results.push({ name, passed: Boolean(passed), detail: String(detail) });
const getJSON = async (path) => {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
};
const b64 = (text) => (text === null || text === undefined ? null : verify.fromBase64(text));
const hex = verify.fromHex;
/** A copy of `bytes` with one bit of byte `at` changed. */
const flip = (bytes, at = 0) => { const copy = Uint8Array.from(bytes); copy[at % copy.length] ^= 0x01; return copy; };
/** Expects a refusal, with the given code when one is named. */
const refused = (result, code) => !result.ok && typeof result.step === 'string' && (!code || result.code === code);
const describe = (result) => (result.ok ? 'accepted!' : `${result.code}: ${result.step}`);

async function main() {
  // ---- Encodings
  const sample = Uint8Array.from({ length: 70 }, (_, i) => (i * 37) & 0xff);
  record('base64 round trip', verify.equalBytes(verify.fromBase64(verify.toBase64(sample)), sample));
  record('hex round trip', verify.equalBytes(verify.fromHex(verify.toHex(sample)), sample));
  record('non-canonical base64 is refused', verify.fromBase64('AQI') === null && verify.fromBase64('AQ I=') === null && verify.fromBase64('!!!!') === null);
  record('non-hex is refused', verify.fromHex('abc') === null && verify.fromHex('zz') === null);
  record('leaf hash of the empty entry (RFC 6962)', verify.toHex(await verify.leafHash(new Uint8Array()))
    === '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');

  // ---- The Swift tests' RFC 6962 vectors
  const manifest = await getJSON('../fixtures/merkle-manifest.json');
  const folder = `../../../${manifest.folder}/`;
  const reference = await getJSON(folder + manifest.reference);
  const leaves = reference.leaves_hex.map(hex);
  for (let n = 0; n <= leaves.length; n += 1) {
    const root = verify.toHex(await mth(leaves.slice(0, n)));
    record(`reference root of the first ${n} leaves`, root === reference.roots_hex_by_size[n], root);
  }
  const inclusion = await Promise.all(manifest.inclusion.map(async (file) => ({ file, ...(await getJSON(`${folder}inclusion/${file}`)) })));
  const consistency = await Promise.all(manifest.consistency.map(async (file) => ({ file, ...(await getJSON(`${folder}consistency/${file}`)) })));
  for (const c of inclusion) {
    const result = await verify.verifyInclusion({ leafIndex: c.leafIdx, treeSize: c.treeSize, leafHash: b64(c.leafHash), root: b64(c.root), path: (c.proof || []).map(b64) });
    record(`vector inclusion/${c.file} (${c.wantErr ? 'refused' : 'accepted'})`, result.ok === !c.wantErr, describe(result));
  }
  for (const c of consistency) {
    const result = await verify.verifyConsistency({ size1: c.size1, size2: c.size2, root1: b64(c.root1), root2: b64(c.root2), path: (c.proof || []).map(b64) });
    record(`vector consistency/${c.file} (${c.wantErr ? 'refused' : 'accepted'})`, result.ok === !c.wantErr, describe(result));
  }

  // ---- One changed byte in a good vector's path, leaf or root is always refused
  for (const c of inclusion.filter((v) => !v.wantErr)) {
    const base = { leafIndex: c.leafIdx, treeSize: c.treeSize, leafHash: b64(c.leafHash), root: b64(c.root), path: (c.proof || []).map(b64) };
    (c.proof || []).forEach((_, i) => {
      const path = base.path.slice();
      path[i] = flip(path[i], 7 + i);
      results.push(verify.verifyInclusion({ ...base, path }).then((r) => ({ name: `inclusion/${c.file}: path hash ${i + 1} with one byte changed is refused`, passed: refused(r, 'root-mismatch'), detail: describe(r) })));
    });
    results.push(verify.verifyInclusion({ ...base, leafHash: flip(base.leafHash, 3) }).then((r) => ({ name: `inclusion/${c.file}: the leaf with one byte changed is refused`, passed: refused(r, 'root-mismatch'), detail: describe(r) })));
    results.push(verify.verifyInclusion({ ...base, root: flip(base.root, 31) }).then((r) => ({ name: `inclusion/${c.file}: the root with one byte changed is refused`, passed: refused(r, 'root-mismatch'), detail: describe(r) })));
  }
  for (const c of consistency.filter((v) => !v.wantErr && (v.proof || []).length > 0)) {
    const base = { size1: c.size1, size2: c.size2, root1: b64(c.root1), root2: b64(c.root2), path: c.proof.map(b64) };
    c.proof.forEach((_, i) => {
      const path = base.path.slice();
      path[i] = flip(path[i], 11);
      results.push(verify.verifyConsistency({ ...base, path }).then((r) => ({ name: `consistency/${c.file}: path hash ${i + 1} with one byte changed is refused`, passed: refused(r), detail: describe(r) })));
    });
    results.push(verify.verifyConsistency({ ...base, root1: flip(base.root1, 0) }).then((r) => ({ name: `consistency/${c.file}: the old root with one byte changed is refused`, passed: refused(r), detail: describe(r) })));
    results.push(verify.verifyConsistency({ ...base, root2: flip(base.root2, 0) }).then((r) => ({ name: `consistency/${c.file}: the new root with one byte changed is refused`, passed: refused(r, 'new-root'), detail: describe(r) })));
  }
  await settle();

  // ---- Trees of 1 to 40 leaves: every leaf, every pair of sizes (equal sizes, powers of two...)
  const many = Array.from({ length: 40 }, (_, i) => verify.fromHex(`${i.toString(16).padStart(2, '0')}ab`).slice(0, 1 + (i % 5)));
  const memo = new Map();
  const root = (from, to) => {
    const key = `${from}-${to}`;
    if (!memo.has(key)) memo.set(key, mth(many.slice(from, to)));
    return memo.get(key);
  };
  for (let n = 1; n <= many.length; n += 1) {
    const treeRoot = await root(0, n);
    const problems = [];
    for (let m = 0; m < n; m += 1) {
      const path = await auditPath(m, 0, n, root);
      const leaf = await verify.leafHash(many[m]);
      const good = await verify.verifyInclusion({ leafIndex: m, treeSize: n, leafHash: leaf, path, root: treeRoot });
      if (!good.ok) problems.push(`leaf ${m}: ${describe(good)}`);
      if (path.length) {
        const bad = await verify.verifyInclusion({ leafIndex: m, treeSize: n, leafHash: leaf, path: path.map((p, i) => (i === m % path.length ? flip(p, m) : p)), root: treeRoot });
        if (bad.ok) problems.push(`leaf ${m} with a changed path: accepted`);
      }
      const wrongIndex = await verify.verifyInclusion({ leafIndex: (m + 1) % n, treeSize: n, leafHash: leaf, path, root: treeRoot });
      if (n > 1 && wrongIndex.ok) problems.push(`leaf ${m} claimed at index ${(m + 1) % n}: accepted`);
    }
    record(`generated: inclusion of every leaf of a ${n}-leaf tree (and refused when changed)`, problems.length === 0, problems.join('; '));
  }
  for (let n = 1; n <= many.length; n += 1) {
    const problems = [];
    for (let m = 1; m <= n; m += 1) {
      const proof = await subproof(m, 0, n, true, root);
      const args = { size1: m, size2: n, root1: await root(0, m), root2: await root(0, n), path: proof };
      const good = await verify.verifyConsistency(args);
      if (!good.ok) problems.push(`${m}→${n}: ${describe(good)}`);
      if (proof.length) {
        const bad = await verify.verifyConsistency({ ...args, path: proof.map((p, i) => (i === proof.length - 1 ? flip(p, 5) : p)) });
        if (bad.ok) problems.push(`${m}→${n} with a changed path: accepted`);
      }
      if (m < n) {
        const swapped = await verify.verifyConsistency({ ...args, root1: args.root2, root2: args.root1 });
        if (swapped.ok) problems.push(`${m}→${n} with the roots swapped: accepted`);
      }
    }
    record(`generated: consistency of every size 1..${n} with the ${n}-leaf tree (and refused when changed)`, problems.length === 0, problems.join('; '));
  }
  const r4 = await root(0, 4);
  const r8 = await root(0, 8);
  record('equal sizes, equal roots, empty proof: accepted', (await verify.verifyConsistency({ size1: 8, size2: 8, root1: r8, root2: r8, path: [] })).ok);
  record('equal sizes, different roots: refused', refused(await verify.verifyConsistency({ size1: 8, size2: 8, root1: r8, root2: flip(r8), path: [] }), 'same-size-roots'));
  record('equal sizes with a non-empty proof: refused', refused(await verify.verifyConsistency({ size1: 8, size2: 8, root1: r8, root2: r8, path: [r4] })));
  record('a power-of-two old tree (4 → 8) needs only the new half: accepted',
    (await verify.verifyConsistency({ size1: 4, size2: 8, root1: r4, root2: r8, path: [await root(4, 8)] })).ok);
  record('a power-of-two old tree with its own root repeated in the proof: refused',
    refused(await verify.verifyConsistency({ size1: 4, size2: 8, root1: r4, root2: r8, path: [r4, await root(4, 8)] })));

  // ---- Malformed input never throws
  const garbage = [undefined, null, {}, { leafIndex: 1.5, treeSize: 2, leafHash: r4, path: [], root: r4 }, { leafIndex: -1, treeSize: 2, leafHash: r4, path: [], root: r4 },
    { leafIndex: 0, treeSize: 2, leafHash: 'aa', path: 'x', root: r4 }, { leafIndex: 0, treeSize: 2, leafHash: r4, path: [new Uint8Array(31)], root: r4 }];
  for (const [i, input] of garbage.entries()) {
    let result;
    try { result = await verify.verifyInclusion(input); } catch (error) { result = { threw: error }; }
    record(`malformed inclusion input ${i + 1} is refused, not thrown`, refused(result), result.threw || describe(result));
    try { result = await verify.verifyConsistency(input); } catch (error) { result = { threw: error }; }
    record(`malformed consistency input ${i + 1} is refused, not thrown`, refused(result), result.threw || describe(result));
  }

  // ---- RFC 8032 Ed25519
  const ed = await getJSON('../fixtures/rfc8032.json');
  for (const v of ed.vectors) {
    const key = hex(v.publicKey);
    const message = hex(v.message);
    const signature = hex(v.signature);
    record(`RFC 8032 ${v.name}: the signature verifies`, (await verify.verifyEd25519(key, message, signature)) === true);
    record(`RFC 8032 ${v.name}: with one signature byte changed it does not`, (await verify.verifyEd25519(key, message, flip(signature, 10))) === false);
    record(`RFC 8032 ${v.name}: with another message it does not`, (await verify.verifyEd25519(key, message.length ? flip(message, 0) : Uint8Array.of(0), signature)) === false);
    record(`RFC 8032 ${v.name}: with another key it does not`, (await verify.verifyEd25519(flip(key, 1), message, signature)) !== true);
  }

  // ---- A real Defter log
  const log = await getJSON('../fixtures/defter-log.json');
  const key = await verify.parseVerifierKey(log.vkey);
  record('Defter log key: parsed, and its key id matches SHA-256(name || 0x0A || 0x01 || key)', key.ok, describe(key));
  const checkpoints = [];
  for (const [i, note] of log.checkpoints.entries()) {
    const checked = await verify.verifyCheckpoint(note, log.vkey, { origin: key.name });
    record(`Defter checkpoint ${i + 1} (size ${checked.ok ? checked.checkpoint.treeSize : '?'}): signature valid`, checked.ok, describe(checked));
    checkpoints.push(checked.ok ? checked.checkpoint : null);
  }
  const note = log.checkpoints[0];
  const lines = note.split('\n');
  const withLine = (index, text) => { const copy = lines.slice(); copy[index] = text; return copy.join('\n'); };
  const sigLine = lines.findIndex((line) => line.startsWith('\u2014 '));
  const [, sigName, sigBlob] = lines[sigLine].split(' ');
  const cases = [
    ['a changed root byte', withLine(2, verify.toBase64(flip(verify.fromBase64(lines[2]), 3))), log.vkey, 'bad-signature'],
    ['a changed tree size', withLine(1, String(Number(lines[1]) + 1)), log.vkey, 'bad-signature'],
    ['a changed time', withLine(3, lines[3].replace(/.$/, 'Y')), log.vkey, 'bad-signature'],
    ['a changed signature byte', withLine(sigLine, `\u2014 ${sigName} ${verify.toBase64(flip(verify.fromBase64(sigBlob), 20))}`), log.vkey, 'bad-signature'],
    ['a changed key id in the signature', withLine(sigLine, `\u2014 ${sigName} ${verify.toBase64(flip(verify.fromBase64(sigBlob), 0))}`), log.vkey, 'key-id'],
    ['another key name in the signature', withLine(sigLine, `\u2014 other.example/log ${sigBlob}`), log.vkey, 'wrong-key'],
    ['a log key whose id does not match it', note, log.vkey.replace(/\+([0-9a-f]{8})\+/, (_, id) => `+${id.slice(0, 7)}${id[7] === '0' ? '1' : '0'}+`), 'key-id'],
    ['another public key under the same name and id', note, (() => { const [n, id, k] = splitKey(log.vkey); return `${n}+${id}+${verify.toBase64(flip(verify.fromBase64(k), 5))}`; })(), 'key-id'],
    ['a log key that is not Ed25519', note, 'name+00000000+AAAA', 'malformed-key'],
    ['no blank line before the signatures', note.replace('\n\n', '\n'), log.vkey, 'malformed-note'],
    ['no final newline', note.slice(0, -1), log.vkey, 'malformed-note'],
    ['a tree size that is not a number', withLine(1, '12a'), log.vkey, 'malformed-note'],
    ['a root that is not base64', withLine(2, 'not base64!'), log.vkey, 'malformed-note'],
    ['no signature line', `${lines.slice(0, sigLine).join('\n')}\n`, log.vkey, 'malformed-note'],
    ['a control character', withLine(3, `${lines[3]}\u0007`), log.vkey, 'malformed-note'],
    ['no text at all', 42, log.vkey, 'malformed-note'],
  ];
  for (const [what, text, vkey, code] of cases) {
    const result = await verify.verifyCheckpoint(text, vkey);
    record(`Defter checkpoint with ${what}: refused (${code})`, refused(result, code), describe(result));
  }
  const otherOrigin = await verify.verifyCheckpoint(note, log.vkey, { origin: 'another.example/log' });
  record('Defter checkpoint of another origin than expected: refused (origin)', refused(otherOrigin, 'origin'), describe(otherOrigin));

  for (const p of log.inclusion) {
    const cp = checkpoints[p.checkpoint];
    const entry = verify.fromBase64(p.entry);
    const leaf = await verify.leafHash(entry);
    record(`Defter entry ${p.seq}: its leaf hash from the stored bytes is the log's`, verify.toHex(leaf) === p.leafHash, verify.toHex(leaf));
    const args = { leafIndex: p.seq - 1, treeSize: cp.treeSize, leafHash: leaf, path: p.proof.map(hex), root: cp.root };
    const good = await verify.verifyInclusion(args);
    record(`Defter entry ${p.seq}: included in signed checkpoint ${p.checkpoint + 1} (size ${cp.treeSize})`, good.ok, describe(good));
    const changedEntry = await verify.verifyInclusion({ ...args, leafHash: await verify.leafHash(flip(entry, 40)) });
    record(`Defter entry ${p.seq} with one stored byte changed: refused`, refused(changedEntry, 'root-mismatch'), describe(changedEntry));
    const path = args.path.slice();
    path[0] = flip(path[0], 9);
    const changedPath = await verify.verifyInclusion({ ...args, path });
    record(`Defter entry ${p.seq} with one proof byte changed: refused`, refused(changedPath, 'root-mismatch'), describe(changedPath));
    const shorter = await verify.verifyInclusion({ ...args, path: args.path.slice(0, -1) });
    record(`Defter entry ${p.seq} with a hash missing from its proof: refused`, refused(shorter, 'path-short'), describe(shorter));
  }
  const [older, newer] = checkpoints;
  const c = log.consistency;
  const args = { size1: older.treeSize, size2: newer.treeSize, root1: older.root, root2: newer.root, path: c.proof.map(hex) };
  record(`Defter checkpoints ${c.from} → ${c.to}: the proof matches the sizes in the notes`, c.from === older.treeSize && c.to === newer.treeSize);
  const good = await verify.verifyConsistency(args);
  record(`Defter checkpoints ${c.from} → ${c.to}: consistent (roots from the signed notes)`, good.ok, describe(good));
  const changed = await verify.verifyConsistency({ ...args, path: args.path.map((p, i) => (i === 2 ? flip(p, 2) : p)) });
  record(`Defter checkpoints ${c.from} → ${c.to} with one proof byte changed: refused`, refused(changed), describe(changed));
  const changedRoot = await verify.verifyConsistency({ ...args, root1: flip(args.root1, 30) });
  record(`Defter checkpoints ${c.from} → ${c.to} with the old root changed: refused`, refused(changedRoot), describe(changedRoot));
}

const splitKey = (vkey) => { const [name, id, ...rest] = vkey.split('+'); return [name, id, rest.join('+')]; };

/** Waits for the checks recorded as promises. */
async function settle() {
  for (let i = 0; i < results.length; i += 1) results[i] = await results[i];
}

// ---- RFC 9162 section 2.1, written out independently of verify.js

/** MTH(D[n]). */
async function mth(entries) {
  if (entries.length === 0) return verify.sha256(new Uint8Array());
  if (entries.length === 1) return verify.leafHash(entries[0]);
  const k = split(entries.length);
  return verify.nodeHash(await mth(entries.slice(0, k)), await mth(entries.slice(k)));
}

/** The largest power of two smaller than n. */
function split(n) {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** PATH(m, D[from:to]) (section 2.1.3.1); `root(a, b)` is MTH(D[a:b]). */
async function auditPath(m, from, to, root) {
  const n = to - from;
  if (n === 1) return [];
  const k = split(n);
  if (m < k) return [...await auditPath(m, from, from + k, root), await root(from + k, to)];
  return [...await auditPath(m - k, from + k, to, root), await root(from, from + k)];
}

/** SUBPROOF(m, D[from:to], b) (section 2.1.4.1). */
async function subproof(m, from, to, b, root) {
  const n = to - from;
  if (m === n) return b ? [] : [await root(from, to)];
  const k = split(n);
  if (m <= k) return [...await subproof(m, from, from + k, b, root), await root(from + k, to)];
  return [...await subproof(m - k, from + k, to, false, root), await root(from, from + k)];
}

try {
  await main();
} catch (error) {
  record('the test page itself ran to the end', false, `${error.name}: ${error.message}`);
}
await settle();
const failed = results.filter((r) => !r.passed);
document.getElementById('summary').textContent = `${results.length - failed.length} passed, ${failed.length} failed`;
document.getElementById('out').textContent = results.map((r) => `${r.passed ? 'PASS' : 'FAIL'} ${r.name}${r.passed ? '' : `: ${r.detail}`}`).join('\n');
document.body.dataset.results = JSON.stringify(results);
document.body.dataset.done = 'true';
