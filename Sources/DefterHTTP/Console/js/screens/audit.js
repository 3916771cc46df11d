// Audit: a ticket's whole history, every event's inclusion proof and the checkpoint's signature
// checked here, in this browser, from the bytes themselves; never a server's "ok".
import { h, fill, field, errorBox } from '../dom.js';
import { addStrings, t, istanbul, eventName, lang } from '../i18n.js';
import { fromBase64, leafHash, verifyInclusion, verifyCheckpoint, parseVerifierKey, toHex } from '../verify.js';

addStrings({
  tr: {
    'audit.title': 'Denetim', 'audit.ticket': 'Başvuru numarası', 'audit.check': 'Geçmişi getir ve doğrula',
    'audit.lead': 'Her olayın kayıttaki baytlarından özeti bu tarayıcıda hesaplanır, imzalı kontrol noktasına dahil olduğu kanıtlanır, kontrol noktasının imzası kayıt defterinin açık anahtarıyla doğrulanır.',
    'audit.key': 'Kayıt defterinin anahtarı', 'audit.pin': 'Bu anahtarı sabitle', 'audit.pinned': 'Sabitlenmiş anahtar kullanılıyor.',
    'audit.keyChanged': 'DİKKAT: Sunucunun verdiği anahtar, bu tarayıcıda sabitlediğiniz anahtardan farklı! Doğrulama sabitlenmiş anahtarla yapıldı.',
    'audit.unpinned': 'Anahtar sunucudan alındı. Belediyenin yayımladığı anahtarla karşılaştırıp sabitleyin.',
    'audit.verified': 'Bu tarayıcıda doğrulandı: {0} olayın tamamı {1} boyutlu imzalı kontrol noktasına dahil ve imza geçerli.',
    'audit.failed': 'Doğrulama BAŞARISIZ: {0}', 'audit.partly': '{0} olay doğrulandı; {1} olay henüz imzalı bir kontrol noktasında değil.',
    'audit.noCheckpoint': 'Henüz imzalı kontrol noktası yok; kanıt doğrulanamaz.', 'audit.signature': 'Kontrol noktasının imzası',
    'audit.event': 'Olay', 'audit.seq': 'Sıra', 'audit.when': 'Zaman', 'audit.actor': 'Kim', 'audit.proof': 'Kanıt',
    'audit.ok': '✔ doğrulandı', 'audit.notCovered': 'henüz kontrol noktasında değil', 'audit.stepEntry': 'olay {0}: {1}',
    'audit.entryMismatch': 'kayıttaki baytlar gösterilen olayla (sıra ya da tür) uyuşmuyor',
    'audit.leafMismatch': 'baytlardan hesaplanan yaprak özeti sunucunun verdiğinden farklı',
    'verify.index': 'olayın sırası ağacın boyutunun dışında', 'verify.bad-hash': 'kanıttaki bir özet 32 bayt değil',
    'verify.path-long': 'kanıtta ağacın katmanlarından fazla özet var', 'verify.path-short': 'kanıtta ağacın katmanlarından az özet var',
    'verify.root-mismatch': 'olaydan ve kanıtından hesaplanan kök, kontrol noktasının kökünden farklı',
    'verify.old-root': 'kanıt eski kontrol noktasının köküne varmıyor', 'verify.new-root': 'kanıt yeni kontrol noktasının köküne varmıyor',
    'verify.wrong-key': 'kontrol noktası kayıt defterinin anahtarıyla imzalanmamış', 'verify.key-id': 'anahtar kimliği anahtarla uyuşmuyor',
    'verify.bad-signature': 'kontrol noktasının Ed25519 imzası kayıt defterinin anahtarıyla doğrulanmıyor',
    'verify.malformed-key': 'kayıt defterinin anahtarı okunamıyor', 'verify.no-ed25519': 'bu tarayıcı Ed25519 imzası doğrulayamıyor; güncel bir Chromium ya da Firefox kullanın',
  },
  en: {
    'audit.title': 'Audit', 'audit.ticket': 'Request number', 'audit.check': 'Fetch the history and verify',
    'audit.lead': 'Each event\'s hash is computed in this browser from its stored bytes, proven to be in a signed checkpoint, and the checkpoint\'s signature is checked with the log\'s public key.',
    'audit.key': 'The log\'s key', 'audit.pin': 'Pin this key', 'audit.pinned': 'Using the pinned key.',
    'audit.keyChanged': 'WARNING: the key the server gives differs from the one pinned in this browser! Verification used the pinned key.',
    'audit.unpinned': 'The key came from the server. Compare it with the key the city publishes, then pin it.',
    'audit.verified': 'Verified in this browser: all {0} events are in the signed checkpoint of size {1}, and its signature is valid.',
    'audit.failed': 'Verification FAILED: {0}', 'audit.partly': '{0} events verified; {1} are not yet in a signed checkpoint.',
    'audit.noCheckpoint': 'No signed checkpoint yet: nothing can be proven.', 'audit.signature': 'Checkpoint signature',
    'audit.event': 'Event', 'audit.seq': 'Seq', 'audit.when': 'When', 'audit.actor': 'Who', 'audit.proof': 'Proof',
    'audit.ok': '✔ verified', 'audit.notCovered': 'not yet in a checkpoint', 'audit.stepEntry': 'event {0}: {1}',
    'audit.entryMismatch': 'the stored bytes do not match the event shown (sequence or type)',
    'audit.leafMismatch': 'the leaf hash computed from the bytes differs from the server\'s',
  },
});

const pinKey = 'defter.pinnedLogKey';

/** A failed check's step in the user's language (the English of verify.js when it has no translation). */
export function stepWords(result) {
  const key = `verify.${result.code}`;
  const words = t(key);
  return words === key || lang !== 'tr' ? result.step : words;
}

/** The key to verify with: the pinned one when there is one. Returns {vkey, note}. */
export async function logKey(ctx) {
  const served = await ctx.api.get('/v1/log/key');
  const pinned = localStorage.getItem(pinKey);
  if (pinned && pinned !== served.vkey) return { vkey: pinned, served: served.vkey, warning: t('audit.keyChanged') };
  return { vkey: pinned || served.vkey, served: served.vkey, note: pinned ? t('audit.pinned') : t('audit.unpinned') };
}

export async function render(root, ctx) {
  const input = h('input', { id: 'audit-ticket', value: ctx.params.id || '', placeholder: '2025-000123' });
  const form = h('form', { class: 'card row', id: 'audit-form' }, field(t('audit.ticket'), input),
    h('div', { class: 'field' }, h('button', { type: 'submit', class: 'primary' }, t('audit.check'))));
  const keyBox = h('div', { class: 'card', id: 'audit-key' });
  const verdict = h('div', { id: 'audit-verdict', 'aria-live': 'polite' });
  const table = h('table', { id: 'audit-table' });
  root.append(h('h1', {}, t('audit.title')), h('p', {}, t('audit.lead')), form, keyBox, verdict, table);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const id = input.value.trim();
    if (id) ctx.navigate(`/console/audit/${encodeURIComponent(id)}`);
  });
  if (!ctx.params.id) { input.focus(); return; }

  let key;
  let history;
  try {
    [key, history] = await Promise.all([logKey(ctx), ctx.api.get(`/v1/tickets/${encodeURIComponent(ctx.params.id)}/history`)]);
  } catch (error) {
    fill(verdict, errorBox(error.words, t('err.detail', error.message)));
    return;
  }
  const parsedKey = await parseVerifierKey(key.vkey);
  fill(keyBox, h('strong', {}, t('audit.key')), ': ', h('span', { class: 'mono' }, key.vkey),
    parsedKey.ok ? null : errorBox(stepWords(parsedKey)), key.warning ? errorBox(key.warning) : h('p', { class: 'muted' }, key.note),
    localStorage.getItem(pinKey) ? null : h('button', { type: 'button', id: 'audit-pin', onclick: () => { localStorage.setItem(pinKey, key.served); ctx.navigate(location.pathname, true); } }, t('audit.pin')));

  const failures = [];
  let signature = { ok: false, step: t('audit.noCheckpoint') };
  let root32 = null;
  if (history.checkpoint) {
    signature = await verifyCheckpoint(history.checkpoint.note, key.vkey);
    if (signature.ok) root32 = signature.checkpoint.root;
    else failures.push(`${t('audit.signature')}: ${stepWords(signature)}`);
  }
  const rows = [];
  let proven = 0;
  let uncovered = 0;
  for (const event of history.events) {
    let result;
    if (!event.proof) {
      result = { none: true };
      uncovered += 1;
    } else if (!root32) {
      result = { ok: false, step: stepWords(signature) };
    } else {
      result = await checkEvent(event, root32, signature.checkpoint.treeSize);
      if (result.ok) proven += 1;
      else {
        result = { ok: false, step: result.code ? stepWords(result) : result.step };
        failures.push(t('audit.stepEntry', event.seq, result.step));
      }
    }
    rows.push(h('tr', { dataset: { seq: event.seq } }, h('td', { class: 'num' }, event.seq), h('td', {}, eventName(event.type)),
      h('td', {}, istanbul(event.at || event.recordedAt, true)), h('td', {}, event.actor),
      h('td', {}, result.none ? h('span', { class: 'check-none' }, t('audit.notCovered')) :
        result.ok ? h('span', { class: 'check-ok' }, t('audit.ok')) : h('span', { class: 'check-bad' }, '✘ ', result.step))));
  }
  fill(table, h('thead', {}, h('tr', {}, h('th', { class: 'num' }, t('audit.seq')), h('th', {}, t('audit.event')), h('th', {}, t('audit.when')),
    h('th', {}, t('audit.actor')), h('th', {}, t('audit.proof')))), h('tbody', {}, rows));
  if (failures.length) {
    fill(verdict, h('div', { class: 'error', role: 'alert', id: 'audit-result', dataset: { result: 'failed' } }, h('strong', {}, t('audit.failed', failures[0])),
      failures.length > 1 ? h('ul', {}, failures.slice(1).map((f) => h('li', {}, f))) : null));
  } else if (!history.checkpoint) {
    fill(verdict, h('div', { class: 'notice', id: 'audit-result', dataset: { result: 'none' } }, t('audit.noCheckpoint')));
  } else {
    fill(verdict, h('div', { class: 'ok', id: 'audit-result', dataset: { result: 'verified' } },
      h('strong', {}, t('audit.verified', proven, signature.checkpoint.treeSize)),
      uncovered ? h('div', {}, t('audit.partly', proven, uncovered)) : null,
      h('div', { class: 'mono' }, `root ${toHex(root32)}`)));
  }
}

/** One event: its bytes are what is shown, they hash to the leaf, the leaf is in the tree. */
async function checkEvent(event, root, treeSize) {
  const bytes = event.entry ? fromBase64(event.entry) : null;
  if (!bytes) return { ok: false, step: 'the event carries no stored bytes to hash' };
  try {
    const stored = JSON.parse(new TextDecoder().decode(bytes));
    if (stored.seq !== event.seq || stored.type !== event.type) return { ok: false, step: t('audit.entryMismatch') };
  } catch { return { ok: false, step: t('audit.entryMismatch') }; }
  const leaf = await leafHash(bytes);
  const claimed = fromBase64(event.proof.leafHash);
  if (!claimed || claimed.some((b, i) => b !== leaf[i])) return { ok: false, step: t('audit.leafMismatch') };
  if (event.proof.treeSize !== treeSize) return { ok: false, step: `the proof is for a tree of ${event.proof.treeSize}, the checkpoint's is ${treeSize}` };
  const path = event.proof.path.map(fromBase64);
  return verifyInclusion({ leafIndex: event.seq - 1, treeSize, leafHash: leaf, path, root });
}
