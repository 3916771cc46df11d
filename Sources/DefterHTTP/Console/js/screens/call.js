// New call: the operator records what the caller says while they are still talking.
// One callId per form, kept with the draft: a double submit or a retry never makes a second ticket.
import { catalog } from '../api.js';
import { h, fill, field, errorBox } from '../dom.js';
import { addStrings, t, istanbul, number } from '../i18n.js';

addStrings({
  tr: {
    'call.title': 'Yeni çağrı', 'call.name': 'Arayanın adı soyadı', 'call.phone': 'Telefon', 'call.nationalId': 'T.C. kimlik no',
    'call.district': 'İlçe', 'call.pickDistrict': 'İlçe seçin', 'call.neighbourhood': 'Mahalle', 'call.address': 'Adres',
    'call.text': 'Vatandaşın anlattığı', 'call.textHint': 'Yazdıkça yönlendirme önerisi güncellenir.',
    'call.phoneOk': 'Kaydedilecek: {0}', 'call.phoneBad': 'Türkiye numarası 0 ya da +90’dan sonra 10 haneli olur (ör. 0532 123 45 67).',
    'call.idOk': 'Kimlik numarası geçerli görünüyor.', 'call.idBad': 'Kimlik numarası 11 hane olmalı ve 0 ile başlamamalı.',
    'call.idChecksum': 'Kontrol haneleri tutmuyor: numara yanlış yazılmış olabilir.',
    'call.suggestion': 'Yönlendirme önerisi', 'call.waiting': 'Metin yazıldığında öneri burada görünür.',
    'call.confidence': 'güven %{0}', 'call.unsure': 'Emin değil: kaydedilirse ayıklamaya düşer.', 'call.words': 'Karar veren sözcükler:',
    'call.choice': 'Ne yapılacak?', 'call.accept': 'Öneriyi kabul et', 'call.other': 'Başka kategori seç', 'call.info': 'Yalnızca bilgi verildi',
    'call.category': 'Kategori', 'call.topic': 'Bilgi konusu', 'call.topicHint': 'ör. vergi-odeme, su-faturasi',
    'call.similar': 'Olası mükerrer başvurular (son 7 gün, aynı kategori ve yer)', 'call.noSimilar': 'Benzer açık başvuru yok.',
    'call.merge': 'Kaydet ve {0} ile birleştir', 'call.submit': 'Kaydet', 'call.submitting': 'Kaydediliyor…', 'call.new': 'Yeni çağrı',
    'call.keys': 'Kısayollar: Ctrl+Enter kaydeder, Alt+1…9 listelenen başvuruyla birleştirir, Alt+N yeni çağrı açar.',
    'call.recorded': 'Başvuru numarası', 'call.readBack': 'Vatandaşa okuyun:', 'call.due': 'Tahmini tamamlanma: {0}',
    'call.dest': 'Gönderildiği yer: {0}', 'call.triage': 'Ayıklama (bir operatör yönlendirecek)', 'call.closedInfo': 'Bilgi verildi, ilk temasta kapandı.',
    'call.merged': '{0} ile birleştirildi.', 'call.again': 'Aynı çağrı daha önce kaydedilmişti; yeni başvuru açılmadı.',
    'call.needText': 'Vatandaşın anlattığını yazın.', 'call.needDistrict': 'İlçeyi seçin.', 'call.needCategory': 'Bir kategori seçin.',
    'call.needTopic': 'Bilgi konusunu yazın (küçük harf, tire).', 'call.fix': 'Kaydedilmedi: işaretli alanları düzeltin.',
    'call.retry': 'Kaydedilmedi. Aynı çağrı numarasıyla yeniden deneyebilirsiniz; ikinci başvuru açılmaz.',
  },
  en: {
    'call.title': 'New call', 'call.name': 'Caller\'s name', 'call.phone': 'Phone', 'call.nationalId': 'National ID (T.C. kimlik no)',
    'call.district': 'District', 'call.pickDistrict': 'Choose a district', 'call.neighbourhood': 'Neighbourhood', 'call.address': 'Address',
    'call.text': 'What the caller says', 'call.textHint': 'The routing suggestion follows the typing.',
    'call.phoneOk': 'Will be recorded as {0}', 'call.phoneBad': 'A Turkish number has 10 digits after 0 or +90 (e.g. 0532 123 45 67).',
    'call.idOk': 'The ID number looks valid.', 'call.idBad': 'An ID number has 11 digits and does not start with 0.',
    'call.idChecksum': 'The check digits do not match: the number may be mistyped.',
    'call.suggestion': 'Routing suggestion', 'call.waiting': 'The suggestion appears here once text is typed.',
    'call.confidence': '{0}% confident', 'call.unsure': 'Unsure: if recorded, it goes to triage.', 'call.words': 'Words that decided it:',
    'call.choice': 'What to do', 'call.accept': 'Accept the suggestion', 'call.other': 'Choose another category', 'call.info': 'Information only',
    'call.category': 'Category', 'call.topic': 'Information topic', 'call.topicHint': 'e.g. vergi-odeme, su-faturasi',
    'call.similar': 'Possible duplicates (last 7 days, same category and place)', 'call.noSimilar': 'No similar open request.',
    'call.merge': 'Record and merge into {0}', 'call.submit': 'Record', 'call.submitting': 'Recording…', 'call.new': 'New call',
    'call.keys': 'Keys: Ctrl+Enter records, Alt+1…9 merges into a listed request, Alt+N starts a new call.',
    'call.recorded': 'Request number', 'call.readBack': 'Read to the caller:', 'call.due': 'Expected completion: {0}',
    'call.dest': 'Sent to: {0}', 'call.triage': 'Triage (an operator will route it)', 'call.closedInfo': 'Information given, closed at first contact.',
    'call.merged': 'Merged into {0}.', 'call.again': 'This call was already recorded; no second request was opened.',
    'call.needText': 'Type what the caller says.', 'call.needDistrict': 'Choose the district.', 'call.needCategory': 'Choose a category.',
    'call.needTopic': 'Type the topic (lower case, dashes).', 'call.fix': 'Not recorded: correct the marked fields.',
    'call.retry': 'Not recorded. You can try again with the same call id; no second request will be opened.',
  },
});

const draftKey = 'defter.callDraft';

/** +90 and ten digits, or null when it is not a Turkish number. */
export function normalisePhone(text) {
  let digits = text.replace(/\D/g, '');
  if (digits.startsWith('90') && digits.length === 12) digits = digits.slice(2);
  else if (digits.startsWith('0')) digits = digits.slice(1);
  if (digits.length !== 10 || digits[0] === '0' || digits[0] === '1') return null;
  return `+90 ${digits.slice(0, 3)} ${digits.slice(3, 6)} ${digits.slice(6, 8)} ${digits.slice(8)}`;
}

/** 'ok', 'format' or 'checksum' for a T.C. kimlik number (the server checks again). */
export function checkNationalId(text) {
  if (!/^[1-9]\d{10}$/.test(text)) return 'format';
  const d = [...text].map(Number);
  const tenth = ((d[0] + d[2] + d[4] + d[6] + d[8]) * 7 - (d[1] + d[3] + d[5] + d[7])) % 10;
  const eleventh = d.slice(0, 10).reduce((a, b) => a + b, 0) % 10;
  return (tenth + 10) % 10 === d[9] && eleventh === d[10] ? 'ok' : 'checksum';
}

export async function render(root, ctx) {
  const cat = await catalog();
  let draft = JSON.parse(sessionStorage.getItem(draftKey) || 'null') || { callId: crypto.randomUUID() };
  const save = () => sessionStorage.setItem(draftKey, JSON.stringify(draft));

  const input = (name, attributes = {}) => {
    const control = h(attributes.tag || 'input', { id: `call-${name}`, name, autocomplete: 'off', ...attributes, tag: null });
    control.value = draft[name] || '';
    control.addEventListener('input', () => { draft[name] = control.value; save(); });
    return control;
  };
  const name = input('name');
  const phone = input('phone', { type: 'tel', inputmode: 'tel' });
  const nationalId = input('nationalId', { inputmode: 'numeric', maxlength: 11 });
  const district = h('select', { id: 'call-district', name: 'district' },
    h('option', { value: '' }, t('call.pickDistrict')), cat.districts.map((d) => h('option', { value: d }, d)));
  district.value = draft.district || '';
  district.addEventListener('change', () => { draft.district = district.value; save(); similarSoon(); });
  const neighbourhood = input('neighbourhood');
  neighbourhood.addEventListener('input', () => similarSoon());
  const address = input('address');
  const text = input('text', { tag: 'textarea', rows: 4 });

  const phoneField = field(t('call.phone'), phone);
  const idField = field(t('call.nationalId'), nationalId);
  const textField = field(t('call.text'), text, t('call.textHint'));
  const districtField = field(t('call.district'), district);
  const message = (f) => f.querySelector('.field-message');
  const say = (f, words, kind) => { const m = message(f); m.textContent = words || ''; m.className = `field-message ${kind || ''}`; };

  const checkPhone = () => {
    if (!phone.value.trim()) { say(phoneField, ''); phone.removeAttribute('aria-invalid'); return true; }
    const normal = normalisePhone(phone.value);
    say(phoneField, normal ? t('call.phoneOk', normal) : t('call.phoneBad'), normal ? 'good' : 'bad');
    phone.setAttribute('aria-invalid', normal ? 'false' : 'true');
    return Boolean(normal);
  };
  const checkId = () => {
    const value = nationalId.value.trim();
    if (!value) { say(idField, ''); nationalId.removeAttribute('aria-invalid'); return true; }
    const verdict = value.length < 11 && /^\d*$/.test(value) ? 'typing' : checkNationalId(value);
    if (verdict === 'typing') { say(idField, ''); return false; }
    say(idField, t(verdict === 'ok' ? 'call.idOk' : verdict === 'format' ? 'call.idBad' : 'call.idChecksum'), verdict === 'ok' ? 'good' : 'bad');
    nationalId.setAttribute('aria-invalid', verdict === 'ok' ? 'false' : 'true');
    return verdict === 'ok';
  };
  phone.addEventListener('input', checkPhone);
  nationalId.addEventListener('input', checkId);

  // The suggestion, the choice, and possible duplicates.
  let suggestion = null;
  let similar = [];
  const suggestionBox = h('div', { class: 'suggestion', id: 'suggestion', 'aria-live': 'polite' }, h('p', { class: 'muted' }, t('call.waiting')));
  const highlighted = h('div', { class: 'highlighted', id: 'highlighted', 'aria-hidden': 'true' });
  const choiceName = 'call-choice';
  const radio = (value, label) => {
    const control = h('input', { type: 'radio', name: choiceName, value, id: `choice-${value}` });
    control.checked = (draft.choice || 'accept') === value;
    control.addEventListener('change', () => { draft.choice = value; save(); showChoice(); similarSoon(); });
    return h('div', {}, control, ' ', h('label', { for: `choice-${value}` }, label));
  };
  const categorySelect = h('select', { id: 'call-category' }, h('option', { value: '' }, '—'),
    cat.departments.map((d) => h('optgroup', { label: d.name }, d.categories.map((c) => h('option', { value: c.id }, c.name)))));
  categorySelect.value = draft.category || '';
  categorySelect.addEventListener('change', () => { draft.category = categorySelect.value; save(); similarSoon(); });
  const topic = input('topic', { placeholder: t('call.topicHint') });
  const categoryField = field(t('call.category'), categorySelect);
  const topicField = field(t('call.topic'), topic);
  const showChoice = () => {
    categoryField.hidden = (draft.choice || 'accept') !== 'other';
    topicField.hidden = draft.choice !== 'info';
  };
  const choice = h('fieldset', {}, h('legend', {}, t('call.choice')), radio('accept', t('call.accept')), radio('other', t('call.other')),
    categoryField, radio('info', t('call.info')), topicField);
  showChoice();
  const similarBox = h('div', { id: 'similar' });

  const chosenCategory = () => (draft.choice === 'other' ? categorySelect.value : draft.choice === 'info' ? null : suggestion?.category) || null;

  const showSuggestion = () => {
    if (!suggestion) { fill(suggestionBox, h('p', { class: 'muted' }, t('call.waiting'))); fill(highlighted); return; }
    const category = cat.categories.get(suggestion.category);
    const department = cat.departmentsById.get(suggestion.department);
    fill(suggestionBox,
      h('div', { class: 'dept' }, department?.name || suggestion.department),
      h('div', {}, category?.name || suggestion.category, ' · ', t('call.confidence', number(suggestion.confidence * 100))),
      suggestion.auto ? null : h('div', { class: 'notice' }, t('call.unsure')),
      h('div', { class: 'muted' }, t('call.words')));
    // The deciding words, marked in a copy of the text (text nodes and <mark>, never markup).
    const value = text.value;
    const parts = [];
    let at = 0;
    for (const span of suggestion.highlights || []) {
      if (span.start < at || span.end > value.length) continue;
      parts.push(value.slice(at, span.start), h('mark', {}, value.slice(span.start, span.end)));
      at = span.end;
    }
    parts.push(value.slice(at));
    fill(highlighted, ...parts);
  };

  let classifyTimer = null;
  let classifyRun = 0;
  const classify = async () => {
    const value = text.value.trim();
    const run = ++classifyRun;
    if (value.length < 3) { suggestion = null; showSuggestion(); return; }
    try {
      const answer = await ctx.api.post('/v1/routing/classify', { text: text.value });
      if (run !== classifyRun) return;  // a later keystroke's answer wins
      suggestion = answer;
      showSuggestion();
      similarSoon();
    } catch (error) {
      if (run === classifyRun) fill(suggestionBox, errorBox(error.words));
    }
  };
  text.addEventListener('input', () => { clearTimeout(classifyTimer); classifyTimer = setTimeout(classify, 100); });

  let similarTimer = null;
  const similarSoon = () => { clearTimeout(similarTimer); similarTimer = setTimeout(loadSimilar, 150); };
  const loadSimilar = async () => {
    const category = chosenCategory();
    if (!category || !district.value) { similar = []; fill(similarBox); return; }
    const query = new URLSearchParams({ category, district: district.value });
    if (neighbourhood.value.trim()) query.set('neighbourhood', neighbourhood.value.trim());
    try {
      similar = (await ctx.api.get(`/v1/tickets/similar?${query}`)).items.slice(0, 9);
    } catch { similar = []; }
    fill(similarBox, h('h2', {}, t('call.similar')), similar.length === 0 ? h('p', { class: 'muted' }, t('call.noSimilar')) :
      h('ol', {}, similar.map((item, index) => h('li', {},
        h('a', { href: `/console/ticket/${item.ticket}`, target: '_blank' }, item.ticket), ' · ', item.neighbourhood || item.district, ' · ',
        istanbul(item.receivedAt), ' ',
        h('button', { type: 'button', class: 'merge', accesskey: String(index + 1), onclick: () => submit(item.ticket) },
          t('call.merge', item.ticket), ' ', h('kbd', {}, `Alt+${index + 1}`))))));
  };

  // Submitting.
  const problems = h('div', { id: 'call-problems' });
  const submitButton = h('button', { type: 'submit', class: 'primary', id: 'call-submit' }, t('call.submit'), ' ', h('kbd', {}, 'Ctrl+Enter'));
  const result = h('section', { id: 'call-result', 'aria-live': 'assertive' });
  let inFlight = false;

  async function submit(mergeInto = null) {
    if (inFlight) return;
    problems.replaceChildren();
    const missing = [];
    if (!text.value.trim()) { say(textField, t('call.needText'), 'bad'); missing.push(text); } else say(textField, '');
    if (!district.value) { say(districtField, t('call.needDistrict'), 'bad'); missing.push(district); } else say(districtField, '');
    if (!checkPhone()) missing.push(phone);
    if (nationalId.value.trim() && !checkId()) missing.push(nationalId);
    if (draft.choice === 'other' && !categorySelect.value) { say(categoryField, t('call.needCategory'), 'bad'); missing.push(categorySelect); }
    if (draft.choice === 'info' && !/^[a-z0-9][a-z0-9._-]*$/.test(topic.value.trim())) { say(topicField, t('call.needTopic'), 'bad'); missing.push(topic); }
    if (missing.length) { problems.append(errorBox(t('call.fix'))); missing[0].focus(); return; }
    const caller = { text: text.value.trim() };
    if (name.value.trim()) caller.name = name.value.trim();
    if (phone.value.trim()) caller.phone = phone.value.trim();
    if (nationalId.value.trim()) caller.nationalId = nationalId.value.trim();
    if (address.value.trim()) caller.address = address.value.trim();
    const body = { callId: draft.callId, channel: 'phone', operatorId: ctx.session.name, district: district.value, caller };
    if (neighbourhood.value.trim()) body.neighbourhood = neighbourhood.value.trim();
    if (draft.choice === 'other') body.category = categorySelect.value;
    if (draft.choice === 'info') body.informationTopic = topic.value.trim();
    inFlight = true;
    submitButton.disabled = true;
    submitButton.firstChild.textContent = t('call.submitting');
    try {
      const answer = await ctx.api.post('/v1/calls', body);
      let merged = null;
      if (mergeInto && answer.status !== 'merged') {
        await ctx.api.post(`/v1/tickets/${answer.ticket}/merge`, { duplicateOf: mergeInto });
        merged = mergeInto;
      }
      const view = answer.destination ? await ctx.api.get(`/v1/tickets/${answer.ticket}`).catch(() => null) : null;
      showResult(answer, view, merged);
      sessionStorage.removeItem(draftKey);
    } catch (error) {
      problems.append(errorBox(error.status === 0 ? t('call.retry') : error.words, error.status === 0 ? null : t('err.detail', error.message)));
    } finally {
      inFlight = false;
      submitButton.disabled = false;
      submitButton.firstChild.textContent = t('call.submit');
    }
  }

  function showResult(answer, view, merged) {
    const destination = answer.destination === 'triage' ? t('call.triage') :
      answer.destination ? (cat.departmentsById.get(answer.destination)?.name || answer.destination) : null;
    fill(result, h('div', { class: 'card ok' },
      h('div', {}, t('call.readBack')), h('div', { class: 'ticket-number', id: 'ticket-number' }, answer.ticket),
      answer.duplicate ? h('p', {}, t('call.again')) : null,
      destination ? h('p', {}, t('call.dest', destination)) : h('p', {}, t('call.closedInfo')),
      view?.dueAt ? h('p', { id: 'ticket-due' }, t('call.due', istanbul(view.dueAt))) : null,
      merged ? h('p', {}, t('call.merged', merged)) : null,
      h('button', { type: 'button', id: 'call-new', onclick: startNew }, t('call.new'), ' ', h('kbd', {}, 'Alt+N'))));
    form.hidden = true;
    result.querySelector('#call-new').focus();
  }

  function startNew() {
    sessionStorage.removeItem(draftKey);
    ctx.navigate('/console/call', true);
  }

  const form = h('form', { id: 'call-form', novalidate: true },
    h('div', { class: 'grid' },
      h('div', { class: 'card' },
        h('div', { class: 'row' }, field(t('call.name'), name), phoneField, idField),
        h('div', { class: 'row' }, districtField, field(t('call.neighbourhood'), neighbourhood), field(t('call.address'), address)),
        textField, problems, h('div', { class: 'actions' }, submitButton), h('p', { class: 'hint' }, t('call.keys'))),
      h('div', {},
        h('div', { class: 'card' }, h('h2', {}, t('call.suggestion')), suggestionBox, highlighted),
        h('div', { class: 'card' }, choice, similarBox))));
  form.addEventListener('submit', (event) => { event.preventDefault(); submit(); });
  const keys = (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && !form.hidden) { event.preventDefault(); submit(); }
    if (event.altKey && (event.key === 'n' || event.key === 'N')) { event.preventDefault(); startNew(); }
  };
  document.addEventListener('keydown', keys);
  root.append(h('h1', {}, t('call.title')), result, form);
  checkPhone();
  if (draft.nationalId) checkId();
  if (text.value.trim()) classify();
  name.focus();
  return () => document.removeEventListener('keydown', keys);
}
