// One ticket: its state, its whole timeline, the caller's data on request (the read is
// recorded), and the department's actions, each sent with If-Match so no change is lost.
import { catalog } from '../api.js';
import { h, fill, field, errorBox, toast } from '../dom.js';
import { addStrings, t, istanbul, eventName } from '../i18n.js';

addStrings({
  tr: {
    'ticket.title': 'Başvuru {0}', 'ticket.status': 'Durum', 'ticket.department': 'Birim', 'ticket.category': 'Kategori',
    'ticket.place': 'Yer', 'ticket.received': 'Geliş', 'ticket.due': 'Son tarih', 'ticket.assignee': 'Atanan', 'ticket.version': 'Sürüm',
    'ticket.overdue': 'SÜRESİ GEÇTİ', 'ticket.timeline': 'Geçmiş', 'ticket.by': '{0} tarafından',
    'ticket.forbidden': 'Bu başvuru başka bir birime ait; yalnızca kendi biriminizin başvurularını açabilirsiniz.',
    'ticket.notFound': '{0} numaralı bir başvuru yok. Numarayı kontrol edin.',
    'ticket.photos': 'Fotoğraflar', 'ticket.noPhotos': 'Fotoğraf yok.', 'ticket.photo.citizen': 'vatandaşın', 'ticket.photo.after': 'iş sonrası (herkese açık)',
    'ticket.photoAfter': 'Yapılan işin fotoğrafı (herkese gösterilir; yüz ve plaka olmasın)', 'ticket.photoUpload': 'Fotoğrafı ekle',
    'ticket.photoNote': 'Bir fotoğrafı açmak kişisel veri görüntüleme olarak kayda geçer (KVKK). Konum ve kamera bilgileri yüklemede silinir.',
    'ticket.personal': 'Kişisel veriler', 'ticket.personalShow': 'Kişisel verileri göster', 'ticket.reason': 'Neden görmeniz gerekiyor?',
    'ticket.personalNote': 'Bu görüntüleme kim, ne zaman ve neden bilgisiyle kalıcı olarak kayda geçer (KVKK).',
    'ticket.reasonNeeded': 'Bir neden yazın.', 'ticket.erased': 'Vatandaşın kişisel verileri silinmiş (KVKK); geri getirilemez.',
    'ticket.pd.text': 'Anlatılan', 'ticket.pd.name': 'Ad', 'ticket.pd.phone': 'Telefon', 'ticket.pd.nationalId': 'T.C. kimlik no',
    'ticket.pd.address': 'Adres', 'ticket.pd.email': 'E-posta', 'ticket.pd.mediaURL': 'Vatandaşın bağlantısı (sunucu açmaz)',
    'ticket.actions': 'İşlemler', 'ticket.acknowledge': 'Alındı', 'ticket.start': 'Çalışmaya başla', 'ticket.assign': 'Ata',
    'ticket.assigneeName': 'Atanacak kişi ya da ekip', 'ticket.resolve': 'Çözüldü olarak kapat', 'ticket.code': 'Sonuç',
    'ticket.code.completed': 'Tamamlandı', 'ticket.code.not-found': 'Yerinde sorun bulunamadı', 'ticket.code.not-municipal': 'Belediyenin yetkisi dışında',
    'ticket.code.planned': 'Programa alındı', 'ticket.template': 'Hazır yanıt', 'ticket.templateNone': 'Hazır yanıt seçin (isteğe bağlı)',
    'ticket.resolutionNote': 'Vatandaşa açıklama', 'ticket.refer': 'Başka birime gönder', 'ticket.referTo': 'Gönderilecek birim',
    'ticket.referReason': 'Gönderme nedeni', 'ticket.note': 'Not ekle', 'ticket.noteText': 'Not', 'ticket.visibility': 'Kim görecek?',
    'ticket.internal': 'Yalnızca personel (iç not)', 'ticket.public': 'Vatandaş da görecek (açık not)',
    'ticket.pickVisibility': 'Notun kimlere görüneceğini seçin.', 'ticket.noteNeeded': 'Notu yazın.', 'ticket.noteVis.internal': 'iç not',
    'ticket.noteVis.public': 'açık not', 'ticket.done': 'Kaydedildi.', 'ticket.conflictTitle': 'Bu başvuru siz bakarken değişti',
    'ticket.conflictBody': 'İşleminiz kaydedilmedi; yazdıklarınız duruyor. Şu değişiklikler oldu:', 'ticket.reload': 'Güncel hâlini yükle (yazdıklarım kalsın)',
    'ticket.noActions': 'Bu durumda sizin yapabileceğiniz bir işlem yok.',
    'ticket.imported': 'Aktarılan kayıt',
    'ticket.importedNote': '{0} sistemindeki {1} numaralı kayıt; zamanları o sistemin kaydettiği gibidir, bu defterin tanıklığı değildir.',
    'ticket.field.status': 'durum', 'ticket.field.department': 'birim', 'ticket.field.category': 'kategori', 'ticket.field.assignee': 'atanan',
    'ticket.field.dueAt': 'son tarih', 'ticket.field.priority': 'öncelik', 'ticket.field.duplicateOf': 'asıl başvuru',
  },
  en: {
    'ticket.title': 'Request {0}', 'ticket.status': 'Status', 'ticket.department': 'Department', 'ticket.category': 'Category', 'ticket.place': 'Place',
    'ticket.received': 'Received', 'ticket.due': 'Due', 'ticket.assignee': 'Assignee', 'ticket.version': 'Version', 'ticket.overdue': 'OVERDUE',
    'ticket.timeline': 'History', 'ticket.by': 'by {0}',
    'ticket.forbidden': 'This request belongs to another department; you can open only your own department\'s requests.',
    'ticket.notFound': 'There is no request {0}. Check the number.', 'ticket.personal': 'Personal data', 'ticket.personalShow': 'Show personal data',
    'ticket.reason': 'Why do you need to see it?', 'ticket.personalNote': 'This read is recorded for good: who, when and why (KVKK).',
    'ticket.reasonNeeded': 'Give a reason.', 'ticket.erased': 'The citizen\'s personal data was erased (KVKK); it cannot be recovered.',
    'ticket.pd.text': 'What they said', 'ticket.pd.name': 'Name', 'ticket.pd.phone': 'Phone', 'ticket.pd.nationalId': 'National ID',
    'ticket.pd.address': 'Address', 'ticket.pd.email': 'E-mail', 'ticket.pd.mediaURL': 'Citizen\'s link (never fetched by the server)', 'ticket.actions': 'Actions', 'ticket.acknowledge': 'Acknowledge',
    'ticket.start': 'Start work', 'ticket.assign': 'Assign', 'ticket.assigneeName': 'Person or crew', 'ticket.resolve': 'Resolve',
    'ticket.code': 'Outcome', 'ticket.code.completed': 'Completed', 'ticket.code.not-found': 'No problem found on site',
    'ticket.code.not-municipal': 'Not the municipality\'s responsibility', 'ticket.code.planned': 'Scheduled',
    'ticket.template': 'Reply template', 'ticket.templateNone': 'Pick a reply (optional)', 'ticket.resolutionNote': 'Explanation for the citizen',
    'ticket.refer': 'Refer to another department', 'ticket.referTo': 'Department', 'ticket.referReason': 'Reason', 'ticket.note': 'Add a note',
    'ticket.noteText': 'Note', 'ticket.visibility': 'Who sees it?', 'ticket.internal': 'Staff only (internal)', 'ticket.public': 'The citizen too (public)',
    'ticket.pickVisibility': 'Choose who may see the note.', 'ticket.noteNeeded': 'Write the note.', 'ticket.noteVis.internal': 'internal',
    'ticket.noteVis.public': 'public', 'ticket.done': 'Saved.', 'ticket.conflictTitle': 'This request changed while you were looking at it',
    'ticket.conflictBody': 'Your action was not saved; what you typed is kept. These changes happened:', 'ticket.reload': 'Load the current state (keep what I typed)',
    'ticket.noActions': 'Nothing you can do in this status.',
    'ticket.imported': 'Imported record',
    'ticket.importedNote': 'record {1} of {0}; its times are as that system recorded them, not witnessed by this log.',
    'ticket.field.status': 'status', 'ticket.field.department': 'department', 'ticket.field.category': 'category', 'ticket.field.assignee': 'assignee',
    'ticket.field.dueAt': 'due', 'ticket.field.priority': 'priority', 'ticket.field.duplicateOf': 'original',
    'ticket.photos': 'Photos', 'ticket.noPhotos': 'No photos.', 'ticket.photo.citizen': 'citizen\'s', 'ticket.photo.after': 'after (public)',
    'ticket.photoAfter': 'Photo of the finished work (shown publicly; no faces or number plates)', 'ticket.photoUpload': 'Attach the photo',
    'ticket.photoNote': 'Opening a photo is recorded as a personal-data read (KVKK). Location and camera data are removed on upload.',
  },
});

// The fields whose changes a clerk reads in the timeline; the first events set everything.
const shownChanges = new Set(['status', 'department', 'category', 'assignee', 'dueAt', 'priority', 'duplicateOf']);
const firstEvents = new Set(['CallReceived', 'TicketOpened', 'TicketImported']);

export async function render(root, ctx) {
  const id = ctx.params.id;
  let drawPhotos = () => {};
  const cat = await catalog();
  const isDepartment = ctx.session.role.startsWith('department:');
  let view;
  try {
    view = await ctx.api.get(`/v1/tickets/${encodeURIComponent(id)}`);
  } catch (error) {
    root.append(h('h1', {}, t('ticket.title', id)),
      h('p', { class: 'refusal', id: 'ticket-refusal', role: 'alert' },
        error.status === 403 ? t('ticket.forbidden') : error.status === 404 || error.status === 400 ? t('ticket.notFound', id) : error.words));
    return undefined;
  }
  const facts = h('dl', { class: 'facts', id: 'ticket-facts' });
  const timeline = h('ol', { class: 'timeline', id: 'ticket-timeline' });
  const conflict = h('div', { id: 'ticket-conflict' });
  const actionsBox = h('div', { id: 'ticket-actions' });
  root.append(h('h1', {}, t('ticket.title', id)),
    h('div', { class: 'grid' },
      h('div', {}, h('div', { class: 'card' }, facts), conflict, h('div', { class: 'card' }, h('h2', {}, t('ticket.actions')), actionsBox)),
      h('div', {}, personalCard(), photosCard(), h('div', { class: 'card' }, h('h2', {}, t('ticket.timeline')), timeline))));

  // The ticket's photos: thumbnails served from this origin with the session cookie (each
  // opening is recorded), and for the owning department the crew's "after" photo once resolved.
  function photosCard() {
    const list = h('div', { class: 'photos', id: 'ticket-photos' });
    const file = h('input', { type: 'file', id: 'photo-after', accept: 'image/jpeg,image/png,image/webp' });
    const form = h('form', { id: 'photo-upload' }, field(t('ticket.photoAfter'), file), h('div', { class: 'problems' }),
      h('button', { type: 'submit' }, t('ticket.photoUpload')));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const problems = form.querySelector('.problems');
      problems.replaceChildren();
      if (!file.files.length) return;
      try {
        await ctx.api.upload(`/v1/tickets/${encodeURIComponent(id)}/photos?role=after`, file.files[0]);
        form.reset();
        toast(t('ticket.done'));
        view = await ctx.api.get(`/v1/tickets/${encodeURIComponent(id)}`);
        drawFacts();
        drawActions();
        drawTimeline();
        drawPhotos();
      } catch (error) {
        problems.append(errorBox(error.words, t('err.detail', error.message)));
      }
    });
    drawPhotos = async () => {
      form.hidden = !(isDepartment && ['resolved', 'closed'].includes(view.status));
      let data;
      try { data = await ctx.api.get(`/v1/tickets/${encodeURIComponent(id)}/photos`); } catch (error) {
        fill(list, errorBox(error.words));
        return;
      }
      fill(list, data.photos.length === 0 ? h('p', { class: 'muted' }, t('ticket.noPhotos')) : data.photos.map((p) =>
        h('figure', { class: 'photo', dataset: { role: p.role, sha256: p.sha256 } },
          h('a', { href: p.url, target: '_blank', rel: 'noopener' }, h('img', { src: p.url, alt: t(`ticket.photo.${p.role}`), loading: 'lazy' })),
          h('figcaption', {}, `${t(`ticket.photo.${p.role}`)} · ${istanbul(p.at)}`))));
    };
    return h('div', { class: 'card' }, h('h2', {}, t('ticket.photos')), h('p', { class: 'notice' }, t('ticket.photoNote')), list, form);
  }

  function drawFacts() {
    const overdue = view.dueAt && new Date(view.dueAt) < new Date() && ['routed', 'acknowledged', 'in-progress', 'triage'].includes(view.status);
    const item = (label, value, extra) => [h('dt', {}, label), h('dd', {}, value, extra || null)];
    fill(facts,
      item(t('ticket.status'), t(`status.${view.status}`)),
      item(t('ticket.department'), cat.departmentsById.get(view.department)?.name || view.department || '—'),
      item(t('ticket.category'), cat.categories.get(view.category)?.name || view.category || '—'),
      item(t('ticket.place'), [view.district, view.neighbourhood].filter(Boolean).join(' / ')),
      item(t('ticket.received'), istanbul(view.receivedAt)),
      item(t('ticket.due'), istanbul(view.dueAt), overdue ? h('span', { class: 'badge bad' }, '⚠ ', t('ticket.overdue')) : null),
      item(t('ticket.assignee'), view.assignee || '—'),
      item(t('ticket.version'), h('span', { id: 'ticket-version' }, String(view.version))),
      view.source ? item(t('ticket.imported'), h('span', { id: 'ticket-source' }, t('ticket.importedNote', view.source.system, view.source.id))) : []);
  }

  async function drawTimeline() {
    let history;
    try { history = await ctx.api.get(`/v1/tickets/${encodeURIComponent(id)}/history`); } catch (error) {
      fill(timeline, h('li', {}, errorBox(error.words)));
      return;
    }
    fill(timeline, history.events.map((event) => {
      const changes = firstEvents.has(event.type) ? [] : (event.changes || []).filter((c) => shownChanges.has(c.field));
      return h('li', { dataset: { type: event.type } },
        h('strong', {}, eventName(event.type)),
        event.type === 'NoteAdded' ? h('span', { class: 'badge' }, t(`ticket.noteVis.${event.data.visibility}`)) : null,
        h('div', { class: 'when' }, istanbul(event.at || event.recordedAt), ' · ', t('ticket.by', event.actor)),
        event.type === 'NoteAdded' ? h('div', { class: 'note-text' }, event.data.text) : null,
        event.type === 'TicketResolved' && event.data.note ? h('div', { class: 'note-text' }, event.data.note) : null,
        changes.length ? h('div', { class: 'muted' }, changes.map((c) => `${t(`ticket.field.${c.field}`)}: ${plain(c.field, c.before)} → ${plain(c.field, c.after)}`).join(' · ')) : null);
    }));
  }

  function personalCard() {
    const box = h('div', { class: 'card', id: 'personal' }, h('h2', {}, t('ticket.personal')));
    if (view.personalData === 'erased') { box.append(h('p', {}, t('ticket.erased'))); return box; }
    const reason = h('input', { id: 'personal-reason' });
    const out = h('div', { id: 'personal-data' });
    const form = h('form', {}, h('p', { class: 'notice' }, t('ticket.personalNote')), field(t('ticket.reason'), reason),
      h('button', { type: 'submit', id: 'personal-show' }, t('ticket.personalShow')), out);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!reason.value.trim()) { fill(out, errorBox(t('ticket.reasonNeeded'))); reason.focus(); return; }
      try {
        const data = await ctx.api.get(`/v1/tickets/${encodeURIComponent(id)}/personal-data?reason=${encodeURIComponent(reason.value.trim())}`);
        if (data.erased) { fill(out, h('p', {}, t('ticket.erased'))); return; }
        const pd = data.personalData;
        const shown = (k) => k === 'mediaURL'
          ? h('a', { href: pd[k], target: '_blank', rel: 'noopener noreferrer nofollow', id: 'personal-media-url' }, pd[k])
          : pd[k];
        fill(out, h('dl', { class: 'facts' }, ['text', 'name', 'phone', 'nationalId', 'address', 'email', 'mediaURL'].filter((k) => pd[k])
          .map((k) => [h('dt', {}, t(`ticket.pd.${k}`)), h('dd', {}, shown(k))])));
        drawTimeline();
      } catch (error) { fill(out, errorBox(error.words, t('err.detail', error.message))); }
    });
    box.append(form);
    return box;
  }

  // The action forms are built once: a reload after a conflict refreshes the facts and keeps them.
  const forms = {};
  async function act(action, body, form) {
    const problems = form.querySelector('.problems');
    problems.replaceChildren();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const answer = await ctx.api.post(`/v1/tickets/${encodeURIComponent(id)}/${action}`, body, { ifMatch: view.version });
      view = await ctx.api.get(`/v1/tickets/${encodeURIComponent(id)}`);
      form.reset();
      fill(conflict);
      toast(t('ticket.done'));
      drawFacts();
      drawActions();
      drawTimeline();
      drawPhotos();
      return answer;
    } catch (error) {
      if (error.code === 'version_conflict') showConflict(error.body);
      else problems.append(errorBox(error.words, t('err.detail', error.message)));
      return null;
    } finally {
      button.disabled = false;
    }
  }

  function showConflict(body) {
    fill(conflict, h('div', { class: 'error', role: 'alert', id: 'conflict-message' },
      h('strong', {}, t('ticket.conflictTitle')), h('p', {}, t('ticket.conflictBody')),
      h('ul', {}, (body.changes || []).map((c) => h('li', {}, `${t(`event.${c.type}`)} · ${c.actor} · ${istanbul(c.at || c.recordedAt, true)}`))),
      h('button', { type: 'button', id: 'conflict-reload', onclick: reload }, t('ticket.reload'))));
    conflict.querySelector('button').focus();
  }

  async function reload() {
    view = await ctx.api.get(`/v1/tickets/${encodeURIComponent(id)}`);
    fill(conflict);
    drawFacts();
    drawActions();
    drawTimeline();
  }

  const simple = (action, label) => {
    const form = h('form', { id: `action-${action}` }, h('div', { class: 'problems' }), h('button', { type: 'submit' }, label));
    form.addEventListener('submit', (event) => { event.preventDefault(); act(action, {}, form); });
    return form;
  };
  forms.acknowledge = simple('acknowledge', t('ticket.acknowledge'));
  forms.start = simple('start', t('ticket.start'));
  {
    const who = h('input', { id: 'assign-name', value: ctx.session.name });
    const form = h('form', { id: 'action-assign', class: 'row' }, field(t('ticket.assigneeName'), who), h('div', { class: 'problems' }),
      h('div', { class: 'field' }, h('button', { type: 'submit' }, t('ticket.assign'))));
    form.addEventListener('submit', (event) => { event.preventDefault(); act('assign', { assignee: who.value.trim() }, form); });
    forms.assign = form;
  }
  {
    const code = h('select', { id: 'resolve-code' }, ['completed', 'planned', 'not-found', 'not-municipal'].map((c) => h('option', { value: c }, t(`ticket.code.${c}`))));
    const note = h('textarea', { id: 'resolve-note', rows: 3 });
    const template = h('select', { id: 'resolve-template' }, h('option', { value: '' }, t('ticket.templateNone')),
      (cat.replies[view.category] || []).map((r) => h('option', { value: r.id }, r.title)));
    template.addEventListener('change', () => {
      const reply = (cat.replies[view.category] || []).find((r) => r.id === template.value);
      if (reply) note.value = reply.text;
    });
    const form = h('form', { id: 'action-resolve' }, field(t('ticket.code'), code), field(t('ticket.template'), template),
      field(t('ticket.resolutionNote'), note), h('div', { class: 'problems' }), h('button', { type: 'submit', class: 'primary' }, t('ticket.resolve')));
    form.addEventListener('submit', (event) => { event.preventDefault(); act('resolve', { code: code.value, note: note.value.trim() }, form); });
    forms.resolve = form;
  }
  {
    const to = h('select', { id: 'refer-to' }, cat.departments.filter((d) => d.id !== view.department).map((d) => h('option', { value: d.id }, d.name)));
    const reason = h('input', { id: 'refer-reason' });
    const form = h('form', { id: 'action-refer' }, field(t('ticket.referTo'), to), field(t('ticket.referReason'), reason),
      h('div', { class: 'problems' }), h('button', { type: 'submit' }, t('ticket.refer')));
    form.addEventListener('submit', (event) => { event.preventDefault(); act('refer', { to: to.value, reason: reason.value.trim() }, form); });
    forms.refer = form;
  }
  {
    const text = h('textarea', { id: 'note-text', rows: 3 });
    const draftKey = `defter.note.${id}`;
    text.value = sessionStorage.getItem(draftKey) || '';
    text.addEventListener('input', () => sessionStorage.setItem(draftKey, text.value));
    const option = (value) => h('div', {}, h('input', { type: 'radio', name: 'note-visibility', id: `note-${value}`, value }), ' ',
      h('label', { for: `note-${value}` }, t(`ticket.${value}`)));
    const form = h('form', { id: 'action-note' }, field(t('ticket.noteText'), text),
      h('fieldset', {}, h('legend', {}, t('ticket.visibility')), option('internal'), option('public')),
      h('div', { class: 'problems' }), h('button', { type: 'submit', id: 'note-submit' }, t('ticket.note')));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const problems = form.querySelector('.problems');
      const visibility = form.querySelector('input[name=note-visibility]:checked')?.value;
      if (!text.value.trim()) { fill(problems, errorBox(t('ticket.noteNeeded'))); text.focus(); return; }
      if (!visibility) { fill(problems, errorBox(t('ticket.pickVisibility'))); return; }
      const typed = text.value;
      if (await act('note', { text: typed.trim(), visibility }, form)) sessionStorage.removeItem(draftKey);
      else text.value = typed;
    });
    forms.note = form;
  }

  function drawActions() {
    const status = view.status;
    const shown = [];
    if (isDepartment) {
      if (status === 'routed') shown.push('acknowledge');
      if (status === 'acknowledged') shown.push('start');
      if (['routed', 'acknowledged', 'in-progress'].includes(status)) shown.push('assign');
      if (['acknowledged', 'in-progress'].includes(status)) shown.push('resolve');
      if (['routed', 'acknowledged', 'in-progress'].includes(status)) shown.push('refer');
    }
    shown.push('note');
    for (const form of Object.values(forms)) form.remove();
    fill(actionsBox, shown.length ? shown.map((name) => forms[name]) : h('p', {}, t('ticket.noActions')));
  }

  drawFacts();
  drawActions();
  drawPhotos();
  await drawTimeline();
  return undefined;
}

function plain(fieldName, json) {
  try {
    const value = JSON.parse(json);
    if (value === null) return '—';
    if (fieldName === 'status') return t(`status.${value}`);
    if (fieldName === 'dueAt') return istanbul(value);
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  } catch { return json; }
}
