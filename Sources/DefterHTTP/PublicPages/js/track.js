// "Başvurum ne durumda?": a citizen looks up their request with its number and the last four
// digits of the phone they called from, sees its status and timeline, and can check every step
// against the signed log in the browser with the staff console's verifier.
import { addStrings, lang, t, istanbul, eventName } from '/console/js/i18n.js';
import { h, fill } from '/console/js/dom.js';
import { fromBase64, leafHash, verifyInclusion, verifyCheckpoint, toBase64 } from '/console/js/verify.js';
import { getJSON, frame, errorBlock } from './common.js';

addStrings({
  tr: {
    'track.title': 'Başvurum ne durumda?',
    'track.intro': 'Size verilen başvuru numarasını ve bizi aradığınız telefonun son dört hanesini yazın.',
    'track.number': 'Başvuru numarası', 'track.numberHint': 'Örnek: 2025-000123', 'track.phone4': 'Telefonun son dört hanesi',
    'track.phoneHint': 'Yalnızca rakam, örnek: 4567', 'track.submit': 'Sorgula',
    'track.badNumber': 'Başvuru numarası yıl, tire ve altı rakamdır, örneğin 2025-000123.',
    'track.badPhone': 'Telefonun son dört hanesini rakamla yazın, örneğin 4567.',
    'track.status': 'Durum', 'track.department': 'İlgilenen birim', 'track.category': 'Konu', 'track.district': 'İlçe',
    'track.received': 'Başvuru zamanı', 'track.expected': 'Beklenen tamamlanma', 'track.resolvedAt': 'Çözüldüğü zaman',
    'track.overdue': 'Süresi geçti', 'track.timeline': 'Başvurunuzun geçmişi',
    'track.check': 'Bunu doğrula', 'track.checking': 'Doğrulanıyor…',
    'track.checkIntro': 'Doğrulama, her adımın belediyenin imzalı kayıt defterinde yer aldığını bu tarayıcıda, sunucuya güvenmeden hesaplar.',
    'track.sigOk': 'Kontrol noktasının imzası geçerli (ağaç boyutu {0}).', 'track.sigBad': 'Kontrol noktasının imzası doğrulanamadı: {0}',
    'track.stepOk': '✓ kayıtta', 'track.stepBad': '✗ doğrulanamadı: {0}', 'track.stepPending': 'henüz bir kontrol noktasında değil; bir sonraki imzadan sonra doğrulanabilir',
    'track.stepHashOnly': '✓ kayıtta (içeriği personel bilgisi taşıdığı için yayımlanmaz; yalnızca özeti doğrulandı)',
    'track.allOk': 'Bütün adımlar imzalı kayıt defterinde.', 'track.someBad': 'Bazı adımlar doğrulanamadı; belediyeye bildirin.',
    'track.download': 'kanıtı indir', 'track.noProof': 'Bu anahtar: {0}',
    'track.key': 'Doğrulamada kullanılan anahtar: {0}. Belediyenin yayımladığı anahtarla aynı olduğundan emin olun.',
    'detail.to': '→ {0}', 'detail.note': 'Açıklama: {0}', 'detail.satisfaction': 'Puan: {0}/5',
    'detail.photoCitizen': 'Gönderdiğiniz fotoğraf eklendi (fotoğrafınız kişisel veridir, yalnızca belediye görür)',
    'detail.photoAfter': 'Ekip, işin bitmiş hâlinin fotoğrafını ekledi',
    'track.afterPhotos': 'İşin bitmiş hâli', 'track.afterPhotoAlt': 'Ekibin çektiği, işin bitmiş hâlinin fotoğrafı',
  },
  en: {
    'track.title': 'Where is my request?',
    'track.intro': 'Enter the request number you were given and the last four digits of the phone you called from.',
    'track.number': 'Request number', 'track.numberHint': 'For example 2025-000123', 'track.phone4': 'Last four digits of the phone',
    'track.phoneHint': 'Digits only, e.g. 4567', 'track.submit': 'Look up',
    'track.badNumber': 'A request number is a year, a dash and six digits, e.g. 2025-000123.',
    'track.badPhone': 'Enter the last four digits of the phone as digits, e.g. 4567.',
    'track.status': 'Status', 'track.department': 'Handled by', 'track.category': 'Subject', 'track.district': 'District',
    'track.received': 'Received', 'track.expected': 'Expected completion', 'track.resolvedAt': 'Resolved',
    'track.overdue': 'Overdue', 'track.timeline': 'Your request\'s history',
    'track.check': 'Check this', 'track.checking': 'Checking…',
    'track.checkIntro': 'The check computes, in this browser and without trusting the server, that every step is in the municipality\'s signed ledger.',
    'track.sigOk': 'The checkpoint\'s signature is valid (tree size {0}).', 'track.sigBad': 'The checkpoint\'s signature does not verify: {0}',
    'track.stepOk': '✓ in the ledger', 'track.stepBad': '✗ does not verify: {0}', 'track.stepPending': 'not in a checkpoint yet; checkable after the next signature',
    'track.stepHashOnly': '✓ in the ledger (its content names staff, so only its hash is published and checked)',
    'track.allOk': 'Every step is in the signed ledger.', 'track.someBad': 'Some steps do not verify; tell the municipality.',
    'track.download': 'download the proof', 'track.noProof': 'This key: {0}',
    'track.key': 'Key used for the check: {0}. Make sure it is the one the municipality publishes.',
    'detail.to': '→ {0}', 'detail.note': 'Note: {0}', 'detail.satisfaction': 'Rating: {0}/5',
    'detail.photoCitizen': 'Your photo was attached (it is personal data: only the municipality sees it)',
    'detail.photoAfter': 'The crew attached a photo of the finished work',
    'track.afterPhotos': 'The finished work', 'track.afterPhotoAlt': 'The crew\'s photo of the finished work',
  },
});

const main = document.getElementById('main');
let found = null;   // the last answer
let checks = null;  // seq -> result of the check, and the checkpoint's
let typed = { no: new URLSearchParams(location.search).get('no') || sessionStorage.getItem('track.no') || '', phone4: '' };
let failure = null;

function form() {
  const number = h('input', { type: 'text', id: 'ticket', name: 'no', value: typed.no, autocomplete: 'off', inputmode: 'numeric', required: true, 'aria-describedby': 'ticket-hint' });
  const phone = h('input', { type: 'text', id: 'phone4', name: 'phone4', value: typed.phone4, autocomplete: 'off', inputmode: 'numeric', maxlength: 4, required: true, 'aria-describedby': 'phone-hint' });
  for (const input of [number, phone]) {
    input.addEventListener('input', () => {
      typed = { no: number.value, phone4: phone.value };
      sessionStorage.setItem('track.no', number.value);
    });
  }
  return h('form', { class: 'track card', id: 'lookup', onsubmit: (event) => { event.preventDefault(); lookup(); } },
    h('label', { for: 'ticket' }, t('track.number'), number, h('span', { class: 'hint', id: 'ticket-hint' }, t('track.numberHint'))),
    h('label', { for: 'phone4' }, t('track.phone4'), phone, h('span', { class: 'hint', id: 'phone-hint' }, t('track.phoneHint'))),
    h('button', { type: 'submit', class: 'primary', id: 'submit' }, t('track.submit')));
}

async function lookup() {
  const no = typed.no.trim();
  const phone4 = typed.phone4.trim();
  found = null; checks = null; failure = null;
  if (!/^\d{4}-\d{6}$/.test(no)) { failure = t('track.badNumber'); return render(); }
  if (!/^\d{4}$/.test(phone4)) { failure = t('track.badPhone'); return render(); }
  try {
    found = await getJSON(`/v1/public/requests/${encodeURIComponent(no)}?phone4=${encodeURIComponent(phone4)}`);
    history.replaceState(null, '', `/takip?no=${encodeURIComponent(no)}`);
  } catch (error) {
    failure = error;
  }
  render();
}

const statusClass = (r) => (r.overdue ? 'status late' : ['resolved', 'closed', 'closed-at-first-contact'].includes(r.status) ? 'status done' : 'status');

function details(step) {
  const parts = [];
  if (step.departmentName) parts.push(t('detail.to', step.departmentName));
  if (step.details.note) parts.push(t('detail.note', step.details.note));
  if (step.details.text) parts.push(step.details.text);
  if (step.details.satisfaction) parts.push(t('detail.satisfaction', step.details.satisfaction));
  if (step.type === 'PhotoAttached') parts.push(t(step.details.role === 'after' ? 'detail.photoAfter' : 'detail.photoCitizen'));
  return parts.length ? h('div', {}, parts.join(' · ')) : null;
}

function checkText(step) {
  if (!checks) return null;
  const result = checks.steps[step.seq];
  if (!result) return null;
  if (result.pending) return h('span', { class: 'check muted' }, t('track.stepPending'));
  if (!result.ok) return h('span', { class: 'check fail' }, t('track.stepBad', result.step));
  return h('span', { class: 'check ok' }, step.entry ? t('track.stepOk') : t('track.stepHashOnly'));
}

function timeline(r) {
  return h('ol', { class: 'timeline', id: 'timeline' }, r.timeline.map((step) => h('li', { dataset: { seq: step.seq } },
    h('strong', {}, eventName(step.type)), ' ', h('span', { class: 'when' }, istanbul(step.at)),
    details(step),
    h('div', { class: 'small' },
      checkText(step),
      step.entry && step.proof ? [' ', h('a', { href: `/v1/public/requests/${encodeURIComponent(r.ticket)}/proof?seq=${step.seq}&phone4=${encodeURIComponent(typed.phone4)}`, download: `${r.ticket}-${step.seq}.tlog-proof`, class: 'proof-download' }, t('track.download'))] : null))));
}

/** Checks the checkpoint's signature, then every step's leaf and inclusion path. */
async function check() {
  const r = found;
  checks = { running: true, steps: {} };
  render();
  const signature = r.checkpoint ? await verifyCheckpoint(r.checkpoint.note, r.vkey) : { ok: false, step: 'no checkpoint yet' };
  const root = r.checkpoint ? fromBase64(r.checkpoint.root) : null;
  const steps = {};
  for (const step of r.timeline) {
    if (!step.proof) { steps[step.seq] = { pending: true }; continue; }
    let leaf = fromBase64(step.leafHash);
    if (step.entry) {
      const computed = await leafHash(fromBase64(step.entry));
      if (toBase64(computed) !== step.leafHash) { steps[step.seq] = { ok: false, step: 'the entry does not hash to its leaf' }; continue; }
      leaf = computed;
    }
    steps[step.seq] = await verifyInclusion({
      leafIndex: step.proof.leafIndex, treeSize: step.proof.treeSize, leafHash: leaf,
      path: step.proof.path.map(fromBase64), root,
    });
  }
  checks = { running: false, signature, steps };
  render();
}

function checkSummary(r) {
  if (!checks || checks.running) return null;
  const all = Object.values(checks.steps).filter((x) => !x.pending);
  const good = checks.signature.ok && all.every((x) => x.ok);
  return h('div', { id: 'check-result', role: 'status' },
    h('p', { class: checks.signature.ok ? 'ok' : 'fail' },
      checks.signature.ok ? t('track.sigOk', r.checkpoint.treeSize) : t('track.sigBad', checks.signature.step)),
    h('p', { class: good ? 'ok' : 'fail', id: 'check-verdict' }, good ? t('track.allOk') : t('track.someBad')),
    h('p', { class: 'small muted' }, t('track.key', r.vkey)));
}

/** The crew's photos of the finished work: the only photos a public page shows. */
function afterPhotos(r) {
  if (!r.afterPhotos?.length) return null;
  return h('figure', { class: 'after-photos', id: 'after-photos' },
    r.afterPhotos.map((photo) => h('img', { src: photo.url, alt: t('track.afterPhotoAlt'), loading: 'lazy', class: 'after-photo' })),
    h('figcaption', {}, t('track.afterPhotos')));
}

function result(r) {
  return h('section', { class: 'card', id: 'result' },
    h('h2', {}, r.ticket, ' ', h('span', { class: statusClass(r), id: 'status' }, t(`status.${r.status}`)),
      r.overdue ? [' ', h('span', { class: 'status late' }, t('track.overdue'))] : null),
    h('dl', { class: 'facts' },
      h('dt', {}, t('track.department')), h('dd', { id: 'department' }, r.departmentName || '—'),
      h('dt', {}, t('track.category')), h('dd', {}, r.categoryName || '—'),
      h('dt', {}, t('track.district')), h('dd', {}, r.district),
      h('dt', {}, t('track.received')), h('dd', {}, istanbul(r.receivedAt)),
      r.resolvedAt ? [h('dt', {}, t('track.resolvedAt')), h('dd', {}, istanbul(r.resolvedAt))]
        : [h('dt', {}, t('track.expected')), h('dd', { id: 'expected' }, istanbul(r.expectedBy))]),
    afterPhotos(r),
    h('h3', {}, t('track.timeline')),
    timeline(r),
    h('p', { class: 'small muted' }, t('track.checkIntro')),
    h('button', { type: 'button', class: 'primary', id: 'check', disabled: checks?.running, onclick: check },
      checks?.running ? t('track.checking') : t('track.check')),
    checkSummary(r));
}

function render() {
  fill(main,
    h('h1', {}, t('track.title')),
    h('p', { class: 'muted' }, t('track.intro')),
    form(),
    failure ? (typeof failure === 'string' ? h('div', { class: 'error', role: 'alert', id: 'track-error' }, failure)
      : h('div', { id: 'track-error' }, errorBlock(failure, null))) : null,
    found ? result(found) : null);
}

frame('track.title', render);
render();
