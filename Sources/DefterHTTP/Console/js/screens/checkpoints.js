// Checkpoints: each signed tree head's signature, and that each is a prefix of the next (the log
// was only ever appended to), checked in this browser against the roots in the signed notes.
import { h, fill, errorBox } from '../dom.js';
import { addStrings, t, istanbul, number } from '../i18n.js';
import { verifyCheckpoint, verifyConsistency, fromHex, toHex } from '../verify.js';
import { logKey, stepWords } from './audit.js';

addStrings({
  tr: {
    'cp.title': 'Kontrol noktaları', 'cp.lead': 'Her imzalı kontrol noktasının imzası ve bir öncekiyle tutarlılığı (kayıt defterine yalnızca eklendiği, geriye dönük hiçbir şeyin değiştirilmediği) bu tarayıcıda doğrulanır.',
    'cp.size': 'Boyut', 'cp.time': 'Zaman', 'cp.root': 'Kök', 'cp.signature': 'İmza', 'cp.consistency': 'Öncekiyle tutarlılık',
    'cp.first': 'ilk kontrol noktası', 'cp.all': 'Bu tarayıcıda doğrulandı: {0} kontrol noktasının imzaları geçerli ve her biri bir öncekinin devamı.',
    'cp.some': 'Doğrulama BAŞARISIZ: {0}', 'cp.none': 'Henüz imzalı kontrol noktası yok.',
  },
  en: {
    'cp.title': 'Checkpoints', 'cp.lead': 'Each signed checkpoint\'s signature, and its consistency with the one before (the log was only appended to; nothing earlier changed), checked in this browser.',
    'cp.size': 'Size', 'cp.time': 'Time', 'cp.root': 'Root', 'cp.signature': 'Signature', 'cp.consistency': 'Consistent with the previous',
    'cp.first': 'first checkpoint', 'cp.all': 'Verified in this browser: all {0} checkpoint signatures are valid and each extends the one before.',
    'cp.some': 'Verification FAILED: {0}', 'cp.none': 'No signed checkpoint yet.',
  },
});

export async function render(root, ctx) {
  const verdict = h('div', { id: 'cp-result', 'aria-live': 'polite' });
  const table = h('table', { id: 'cp-table' });
  root.append(h('h1', {}, t('cp.title')), h('p', {}, t('cp.lead')), verdict, table);
  let notes;
  let key;
  try {
    [notes, key] = await Promise.all([ctx.api.get('/v1/log/checkpoints'), logKey(ctx)]);
  } catch (error) { fill(verdict, errorBox(error.words, t('err.detail', error.message))); return; }
  if (!notes.length) { fill(verdict, h('div', { class: 'notice' }, t('cp.none'))); return; }
  const failures = [];
  const rows = [];
  let previous = null;
  // The newest 50 at most: each needs one proof from the server.
  const shown = notes.slice(-50);
  for (const note of shown) {
    const signature = await verifyCheckpoint(note, key.vkey);
    const cp = signature.ok ? signature.checkpoint : null;
    if (!signature.ok) failures.push(`${t('cp.signature')}: ${stepWords(signature)}`);
    let consistency = { none: true };
    if (cp && previous) {
      try {
        const proof = await ctx.api.get(`/v1/log/consistency?from=${previous.treeSize}&to=${cp.treeSize}`);
        consistency = await verifyConsistency({ size1: previous.treeSize, size2: cp.treeSize, root1: previous.root, root2: cp.root, path: proof.proof.map(fromHex) });
      } catch (error) { consistency = { ok: false, step: error.words }; }
      if (!consistency.ok) failures.push(`${previous.treeSize} → ${cp.treeSize}: ${consistency.code ? stepWords(consistency) : consistency.step}`);
    }
    const time = cp?.extensions.find((line) => line.startsWith('time '))?.slice(5);
    const mark = (result) => (result.none ? h('span', { class: 'check-none' }, t('cp.first')) :
      result.ok ? h('span', { class: 'check-ok' }, t('audit.ok')) : h('span', { class: 'check-bad' }, '✘ ', result.step));
    rows.push(h('tr', {}, h('td', { class: 'num' }, cp ? number(cp.treeSize) : '?'), h('td', {}, istanbul(time, true)),
      h('td', { class: 'mono' }, cp ? toHex(cp.root).slice(0, 16) + '…' : '—'), h('td', {}, mark(signature)), h('td', {}, mark(consistency))));
    if (cp) previous = cp;
  }
  fill(table, h('thead', {}, h('tr', {}, h('th', { class: 'num' }, t('cp.size')), h('th', {}, t('cp.time')), h('th', {}, t('cp.root')),
    h('th', {}, t('cp.signature')), h('th', {}, t('cp.consistency')))), h('tbody', {}, rows.reverse()));
  fill(verdict, failures.length ? h('div', { class: 'error', role: 'alert', dataset: { result: 'failed' } }, t('cp.some', failures.join(' · ')))
    : h('div', { class: 'ok', dataset: { result: 'verified' } }, t('cp.all', shown.length)));
}
