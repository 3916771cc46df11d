// Statistics: the dimensions of `defter stats` for a period, as a table and a CSV.
import { catalog } from '../api.js';
import { h, fill, field, errorBox, download, csvLine } from '../dom.js';
import { addStrings, t, number } from '../i18n.js';

addStrings({
  tr: {
    'stats.title': 'İstatistik', 'stats.from': 'Başlangıç', 'stats.to': 'Bitiş', 'stats.by': 'Kırılım', 'stats.show': 'Göster',
    'stats.thisMonth': 'Bu ay', 'stats.lastMonth': 'Geçen ay', 'stats.thisYear': 'Bu yıl', 'stats.csv': 'CSV indir', 'stats.total': 'Toplam',
    'stats.by.department': 'Birim', 'stats.by.category': 'Kategori', 'stats.by.district': 'İlçe', 'stats.by.channel': 'Kanal', 'stats.by.day': 'Gün',
    'stats.by.month': 'Ay', 'stats.by.hour': 'Saat', 'stats.key': 'Anahtar', 'stats.calls': 'Çağrı', 'stats.opened': 'Açılan', 'stats.resolved': 'Çözülen',
    'stats.first': 'İlk temasta', 'stats.median': 'Çözüm medyan (sa)', 'stats.p90': 'Çözüm p90 (sa)', 'stats.sla': 'Süresinde %', 'stats.reopen': 'Yeniden açılma %',
    'stats.report': 'Hesap verebilirlik raporu', 'stats.reportOpen': 'Raporu aç (HTML)',
    'stats.reportWhat': 'Bu dönemin raporu imzalı bir kontrol noktasında hesaplanır; her rakamı tools/verify_report.py ile kayıt defterinden bağımsız olarak yeniden hesaplanabilir.',
    'stats.reportHow': 'Aynı raporu sunucuda komut satırından üretmek için:',
    'stats.badDates': 'Tarihleri YYYY-AA-GG biçiminde girin; bitiş başlangıçtan önce olamaz.',
  },
  en: {
    'stats.title': 'Statistics', 'stats.from': 'From', 'stats.to': 'To', 'stats.by': 'By', 'stats.show': 'Show', 'stats.thisMonth': 'This month',
    'stats.lastMonth': 'Last month', 'stats.thisYear': 'This year', 'stats.csv': 'Download CSV', 'stats.total': 'Total',
    'stats.by.department': 'Department', 'stats.by.category': 'Category', 'stats.by.district': 'District', 'stats.by.channel': 'Channel',
    'stats.by.day': 'Day', 'stats.by.month': 'Month', 'stats.by.hour': 'Hour', 'stats.key': 'Key', 'stats.calls': 'Calls', 'stats.opened': 'Opened',
    'stats.resolved': 'Resolved', 'stats.first': 'First contact', 'stats.median': 'Resolve median (h)', 'stats.p90': 'Resolve p90 (h)',
    'stats.sla': 'Within standard %', 'stats.reopen': 'Reopened %', 'stats.report': 'Accountability report',
    'stats.reportOpen': 'Open the report (HTML)',
    'stats.reportWhat': 'This period\'s report is computed at a signed checkpoint; every figure can be recomputed from the log independently with tools/verify_report.py.',
    'stats.reportHow': 'The same report from the command line, on the server:',
    'stats.badDates': 'Enter dates as YYYY-MM-DD; the end cannot be before the start.',
  },
});

const columns = [
  ['calls', 'stats.calls'], ['opened', 'stats.opened'], ['resolved', 'stats.resolved'], ['closedAtFirstContact', 'stats.first'],
  ['resolveMedianHours', 'stats.median', 1], ['resolveP90Hours', 'stats.p90', 1], ['slaMetShare', 'stats.sla', 1, 100], ['reopenRate', 'stats.reopen', 1, 100],
];
const day = (date) => date.toISOString().slice(0, 10);

export async function render(root, ctx) {
  const cat = await catalog();
  const keyName = (key) => cat.departmentsById.get(key)?.name || cat.categories.get(key)?.name || key;
  const now = new Date();
  const from = h('input', { type: 'date', id: 'stats-from', value: ctx.query.get('from') || '2025-01-01' });
  const to = h('input', { type: 'date', id: 'stats-to', value: ctx.query.get('to') || '2025-12-31' });
  const by = h('select', { id: 'stats-by' }, ['department', 'category', 'district', 'channel', 'month', 'day', 'hour'].map((d) => h('option', { value: d }, t(`stats.by.${d}`))));
  const out = h('div', { id: 'stats-out' });
  const report = h('div', { class: 'card' });
  const period = (a, b) => { from.value = a; to.value = b; show(); };
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const quick = h('div', { class: 'actions' },
    h('button', { type: 'button', onclick: () => period(day(new Date(Date.UTC(y, m, 1))), day(new Date(Date.UTC(y, m + 1, 0)))) }, t('stats.thisMonth')),
    h('button', { type: 'button', onclick: () => period(day(new Date(Date.UTC(y, m - 1, 1))), day(new Date(Date.UTC(y, m, 0)))) }, t('stats.lastMonth')),
    h('button', { type: 'button', onclick: () => period(`${y}-01-01`, `${y}-12-31`) }, t('stats.thisYear')),
    h('button', { type: 'button', onclick: () => period('2025-01-01', '2025-12-31') }, '2025'));
  const form = h('form', { class: 'card' }, h('div', { class: 'row' }, field(t('stats.from'), from), field(t('stats.to'), to), field(t('stats.by'), by),
    h('div', { class: 'field' }, h('button', { type: 'submit', class: 'primary' }, t('stats.show')))), quick);
  form.addEventListener('submit', (event) => { event.preventDefault(); show(); });
  root.append(h('h1', {}, t('stats.title')), form, out, report);
  let data = null;

  async function show() {
    if (!from.value || !to.value || to.value < from.value) { fill(out, errorBox(t('stats.badDates'))); return; }
    try {
      data = await ctx.api.get(`/v1/stats?from=${from.value}&to=${to.value}&by=${by.value}`);
    } catch (error) { fill(out, errorBox(error.words, t('err.detail', error.message))); return; }
    const cell = (row, [key, , digits, scale]) => h('td', { class: 'num' }, row[key] === null || row[key] === undefined ? '—' : number(row[key] * (scale || 1), digits || 0));
    fill(out, h('div', { class: 'actions' }, h('button', { type: 'button', id: 'stats-csv', onclick: csv }, t('stats.csv'))),
      h('table', { id: 'stats-table' },
        h('thead', {}, h('tr', {}, h('th', {}, t(`stats.by.${by.value}`)), columns.map(([, label]) => h('th', { class: 'num' }, t(label))))),
        h('tbody', {}, data.rows.map((row) => h('tr', {}, h('td', {}, keyName(row.key)), columns.map((c) => cell(row, c)))),
          h('tr', {}, h('th', {}, t('stats.total')), columns.map((c) => cell(data.total, c))))));
    const periodText = from.value.slice(0, 4) === to.value.slice(0, 4) && from.value.endsWith('-01-01') && to.value.endsWith('-12-31')
      ? from.value.slice(0, 4) : `${from.value}..${to.value}`;
    const link = (format, label) => h('a', { href: `/v1/reports/${encodeURIComponent(periodText)}?format=${format}&lang=${ctx.lang}`,
      target: format === 'html' ? '_blank' : null, rel: 'noopener', id: `report-${format}` }, label);
    fill(report, h('h2', {}, t('stats.report')), h('p', {}, t('stats.reportWhat')),
      h('div', { class: 'actions' }, link('html', t('stats.reportOpen')), link('csv', 'CSV'), link('json', 'JSON')),
      h('p', { class: 'muted' }, t('stats.reportHow')), h('pre', { class: 'mono' }, `defter report --period ${periodText} --format html --lang ${ctx.lang}`));
  }

  function csv() {
    if (!data) return;
    const keys = Object.keys(data.total);
    let text = csvLine(keys);
    for (const row of data.rows) text += csvLine(keys.map((k) => row[k]));
    download(`istatistik-${from.value}-${to.value}-${by.value}.csv`, text);
  }

  await show();
}
