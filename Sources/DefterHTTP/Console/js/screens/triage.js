// Triage: the tickets the router was unsure of. Pick one, choose where it goes with a key, say why.
import { catalog } from '../api.js';
import { h, fill, field, errorBox, toast } from '../dom.js';
import { addStrings, t, istanbul, number } from '../i18n.js';

addStrings({
  tr: {
    'triage.title': 'Ayıklama', 'triage.lead': 'Yönlendiricinin emin olamadığı başvurular. Birini seçin, gideceği yeri seçin, nedenini yazın.',
    'triage.empty': 'Ayıklamada bekleyen başvuru yok.', 'triage.open': 'Yönlendir', 'triage.proposals': 'Yönlendiricinin önerileri',
    'triage.key': '{0} tuşu', 'triage.other': 'Başka kategori', 'triage.reason': 'Neden (kayda geçer)', 'triage.send': 'Gönder',
    'triage.reasonNeeded': 'Bir neden yazın: yönlendirme değişikliği operatör adına kaydedilir.', 'triage.pickNeeded': 'Gideceği kategoriyi seçin.',
    'triage.sent': '{0} → {1}', 'triage.keys': 'Kısayollar: 1–3 önerilerden birini seçer, Ctrl+Enter gönderir.',
  },
  en: {
    'triage.title': 'Triage', 'triage.lead': 'Requests the router was unsure of. Pick one, choose where it goes, say why.',
    'triage.empty': 'Nothing is waiting in triage.', 'triage.open': 'Route', 'triage.proposals': 'The router\'s proposals',
    'triage.key': 'key {0}', 'triage.other': 'Another category', 'triage.reason': 'Reason (recorded)', 'triage.send': 'Send',
    'triage.reasonNeeded': 'Give a reason: the override is recorded in the operator\'s name.', 'triage.pickNeeded': 'Choose the category.',
    'triage.sent': '{0} → {1}', 'triage.keys': 'Keys: 1–3 pick a proposal, Ctrl+Enter sends.',
  },
});

export async function render(root, ctx) {
  const cat = await catalog();
  const list = h('table', { id: 'triage-table' });
  const panel = h('div', { id: 'triage-panel' });
  const problems = h('div');
  root.append(h('h1', {}, t('triage.title')), h('p', {}, t('triage.lead')), problems, h('div', { class: 'grid' }, list, panel));

  async function load() {
    try {
      const page = await ctx.api.get('/v1/departments/triage/queue?limit=100');
      fill(list, h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, t('queue.place')), h('th', {}, t('queue.received')), h('th', {}, ''))),
        h('tbody', {}, page.items.length ? page.items.map((item) => h('tr', { dataset: { ticket: item.ticket } },
          h('td', {}, h('a', { href: `/console/ticket/${item.ticket}` }, item.ticket)), h('td', {}, item.district, item.neighbourhood ? ` / ${item.neighbourhood}` : ''),
          h('td', {}, istanbul(item.receivedAt)),
          h('td', {}, h('button', { type: 'button', onclick: () => open(item.ticket) }, t('triage.open'))))) :
          h('tr', {}, h('td', { colspan: 4 }, t('triage.empty')))));
    } catch (error) { fill(problems, errorBox(error.words, t('err.detail', error.message))); }
  }

  async function open(ticket) {
    let history;
    let view;
    try {
      [history, view] = await Promise.all([ctx.api.get(`/v1/tickets/${ticket}/history`), ctx.api.get(`/v1/tickets/${ticket}`)]);
    } catch (error) { fill(panel, errorBox(error.words)); return; }
    const routed = [...history.events].reverse().find((e) => e.type === 'TicketRouted');
    const decision = routed?.data?.decision;
    const proposals = decision ? [{ department: decision.department, category: decision.category, confidence: decision.confidence },
      ...(decision.alternatives || [])].slice(0, 3) : [];
    const choice = h('select', { id: 'triage-category' }, h('option', { value: '' }, '—'),
      cat.departments.map((d) => h('optgroup', { label: d.name }, d.categories.map((c) => h('option', { value: c.id }, c.name)))));
    const reason = h('input', { id: 'triage-reason' });
    const message = h('div');
    const pick = (index) => { if (proposals[index]) { choice.value = proposals[index].category; reason.focus(); } };
    const form = h('form', { class: 'card', id: 'triage-form' }, h('h2', {}, ticket),
      h('h3', {}, t('triage.proposals')),
      h('ol', {}, proposals.map((p, index) => h('li', {}, h('button', { type: 'button', onclick: () => pick(index) },
        `${cat.categories.get(p.category)?.name || p.category} · ${number(p.confidence * 100)}% `, h('kbd', {}, String(index + 1)))))),
      field(t('triage.other'), choice), field(t('triage.reason'), reason), message,
      h('button', { type: 'submit', class: 'primary' }, t('triage.send')), h('p', { class: 'hint' }, t('triage.keys')));
    form.addEventListener('keydown', (event) => {
      if (event.target === reason || event.target === choice) {
        if (event.key === 'Enter' && event.ctrlKey) { event.preventDefault(); form.requestSubmit(); }
        return;
      }
      if (['1', '2', '3'].includes(event.key)) { event.preventDefault(); pick(Number(event.key) - 1); }
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      message.replaceChildren();
      const category = cat.categories.get(choice.value);
      if (!category) { message.append(errorBox(t('triage.pickNeeded'))); choice.focus(); return; }
      if (!reason.value.trim()) { message.append(errorBox(t('triage.reasonNeeded'))); reason.focus(); return; }
      try {
        await ctx.api.post(`/v1/tickets/${ticket}/override`, { department: category.department, category: category.id, reason: reason.value.trim() },
          { ifMatch: view.version });
        toast(t('triage.sent', ticket, category.name));
        fill(panel);
        load();
      } catch (error) { message.append(errorBox(error.words, t('err.detail', error.message))); }
    });
    fill(panel, form);
    form.querySelector('button').focus();
  }

  await load();
}
