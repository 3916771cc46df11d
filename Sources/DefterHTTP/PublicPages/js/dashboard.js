// The public transparency dashboard: a period's figures from the signed log, per department and
// district, the monthly trend, and the published reports. Every figure names the checkpoint it
// was computed at; the JSON is the same report `defter report` writes.
import { addStrings, lang, t, number, istanbul } from '/console/js/i18n.js';
import { h, fill } from '/console/js/dom.js';
import { getJSON, frame, duration, percent, errorBlock, s } from './common.js';

addStrings({
  tr: {
    'dash.title': 'Şeffaflık panosu', 'dash.heading': 'ALO 153 çağrıları ve başvuruları: {0}',
    'dash.sub': 'Her çağrı kayıt defterine yazılır; bu rakamlar o defterden hesaplanır.',
    'dash.year': 'Bu yıl ({0})', 'dash.month': 'Bu ay ({0})', 'dash.other': 'Başka bir dönem', 'dash.from': 'Başlangıç', 'dash.to': 'Bitiş',
    'dash.show': 'Göster', 'dash.pick': 'Dönem seçin…', 'dash.badRange': 'Başlangıç ve bitiş gününü seçin; bitiş başlangıçtan önce olamaz.',
    'fig.calls': 'Yanıtlanan çağrı', 'fig.opened': 'Açılan başvuru', 'fig.resolved': 'Çözülen başvuru',
    'fig.within': 'Hizmet standardı içinde çözülen', 'fig.withinOf': '{0} / {1} süreli başvuru',
    'fig.firstContact': 'İlk temasta kapanan', 'fig.median': 'Ortanca çözüm süresi', 'fig.p90': 'Başvuruların %90\'ı şu sürede çözüldü',
    'cp.line': 'Bu rakamlar imzalı kontrol noktasında hesaplandı: ağaç boyutu {0}, kök {1}, imza zamanı {2}.',
    'cp.link': 'Kontrol noktasını gör', 'cp.short': 'kontrol noktası {0}',
    'cp.witnesses': 'Bu kontrol noktasını {0} bağımsız tanık da imzaladı (C2SP tlog-witness): {1}.',
    'dep.title': 'Birimler: süresinde çözülen payı', 'dep.name': 'Birim', 'dep.tickets': 'Başvuru', 'dep.share': 'Süresinde çözülen',
    'dep.median': 'Ortanca süre', 'dep.rank': 'Sıra',
    'rank.leftOut': '{0}\'dan az başvurusu olan {1} sıralamaya alınmadı: {2}.', 'rank.departments': 'birimler', 'rank.districts': 'ilçeler',
    'rank.none': 'Bu dönemde sıralanacak kadar başvurusu olan yok.',
    'trend.title': 'Aylara göre: çağrı sayısı ve süresinde çözülen payı', 'trend.volume': 'Çağrı', 'trend.share': 'Süresinde çözülen (%)',
    'dist.title': 'On bir ilçe yan yana', 'dist.name': 'İlçe', 'dist.chart': 'İlçelere göre başvuru sayısı; çubuğun üstünde süresinde çözülen payı',
    'reports.title': 'Yayımlanan hesap verebilirlik raporları', 'reports.period': 'Dönem', 'reports.none': 'Henüz rapor yok.',
    'empty': 'Bu dönemde hiç çağrı yok.',
  },
  en: {
    'dash.title': 'Transparency dashboard', 'dash.heading': 'ALO 153 calls and requests: {0}',
    'dash.sub': 'Every call is written to the ledger; these figures are computed from it.',
    'dash.year': 'This year ({0})', 'dash.month': 'This month ({0})', 'dash.other': 'Another period', 'dash.from': 'From', 'dash.to': 'To',
    'dash.show': 'Show', 'dash.pick': 'Pick a period…', 'dash.badRange': 'Pick a first and a last day; the last cannot be before the first.',
    'fig.calls': 'Calls answered', 'fig.opened': 'Tickets opened', 'fig.resolved': 'Tickets resolved',
    'fig.within': 'Resolved within the service standard', 'fig.withinOf': '{0} of {1} tickets with a standard',
    'fig.firstContact': 'Closed at first contact', 'fig.median': 'Median time to resolve', 'fig.p90': '90% of tickets resolved within',
    'cp.line': 'These figures were computed at a signed checkpoint: tree size {0}, root {1}, signed {2}.',
    'cp.link': 'See the checkpoint', 'cp.short': 'checkpoint {0}',
    'cp.witnesses': '{0} independent witnesses cosigned this checkpoint too (C2SP tlog-witness): {1}.',
    'dep.title': 'Departments: share resolved within the standard', 'dep.name': 'Department', 'dep.tickets': 'Tickets',
    'dep.share': 'Within standard', 'dep.median': 'Median time', 'dep.rank': 'Rank',
    'rank.leftOut': '{1} with fewer than {0} tickets are not ranked: {2}.', 'rank.departments': 'Departments', 'rank.districts': 'Districts',
    'rank.none': 'Nobody had enough tickets in this period to be ranked.',
    'trend.title': 'By month: calls and share resolved within the standard', 'trend.volume': 'Calls', 'trend.share': 'Within standard (%)',
    'dist.title': 'The eleven districts side by side', 'dist.name': 'District', 'dist.chart': 'Tickets per district; above each bar the share resolved within the standard',
    'reports.title': 'Published accountability reports', 'reports.period': 'Period', 'reports.none': 'No report yet.',
    'empty': 'There were no calls in this period.',
  },
});

const main = document.getElementById('main');
let data = null;       // the last answer of /v1/public/dashboard
let reports = null;    // the list of published reports
let view = null;       // 'month' to show the current month from the first answer
const asked = () => new URLSearchParams(location.search).get('period');

const share = (row) => (row.withStandard ? row.resolvedWithinStandard / row.withStandard : null);

function monthName(key) {
  const [year, month] = key.split('-').map(Number);
  return new Intl.DateTimeFormat(lang === 'tr' ? 'tr-TR' : 'en-GB', { month: 'short', timeZone: 'UTC' }).format(Date.UTC(year, month - 1, 1));
}

function periodName(label) {
  if (/^\d{4}-\d{2}$/.test(label)) {
    const [year, month] = label.split('-').map(Number);
    return new Intl.DateTimeFormat(lang === 'tr' ? 'tr-TR' : 'en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' })
      .format(Date.UTC(year, month - 1, 1));
  }
  return label.replace('..', ' – ');
}

function checkpointBadge(report) {
  return h('a', { class: 'small', href: data.checkpointUrl, title: report.checkpoint.root }, t('cp.short', number(report.checkpoint.treeSize)));
}

function figure(label, value, sub) {
  return h('div', { class: 'figure' }, h('div', { class: 'value' }, value), h('div', { class: 'label' }, label),
    sub ? h('div', { class: 'small muted' }, sub) : null);
}

function headline(report) {
  const x = report.headline;
  return h('div', { class: 'figures', id: 'headline' },
    figure(t('fig.calls'), number(x.calls)),
    figure(t('fig.opened'), number(x.ticketsOpened)),
    figure(t('fig.resolved'), number(x.resolved)),
    figure(t('fig.within'), percent(x.withStandard ? x.resolvedWithinStandard / x.withStandard : null),
      t('fig.withinOf', number(x.resolvedWithinStandard), number(x.withStandard))),
    figure(t('fig.firstContact'), number(x.closedAtFirstContact)),
    figure(t('fig.median'), duration(x.resolveMedianMs)),
    figure(t('fig.p90'), duration(x.resolveP90Ms)));
}

function leftOutNote(ranking, kind) {
  if (!ranking.leftOut.length) return null;
  const names = ranking.leftOut.map((p) => `${p.name} (${number(p.ticketsOpened)})`).join(', ');
  return h('p', { class: 'note' }, t('rank.leftOut', data.dashboard.minimumTicketsToRank, t(kind), names));
}

function meter(value) {
  const width = value === null ? 0 : Math.round(value * 100);
  return h('span', {}, h('span', { class: 'meter', 'aria-hidden': 'true' }, h('span', { dataset: { w: width } })), percent(value));
}

function rankingTable(ranking, nameKey, id) {
  if (!ranking.ranked.length) return h('p', { class: 'muted' }, t('rank.none'));
  return h('table', { id },
    h('thead', {}, h('tr', {}, h('th', { class: 'num' }, t('dep.rank')), h('th', {}, t(nameKey)), h('th', { class: 'num' }, t('dep.tickets')),
      h('th', {}, t('dep.share')), h('th', { class: 'num' }, t('dep.median')))),
    h('tbody', {}, ranking.ranked.map((p, i) => h('tr', {},
      h('td', { class: 'num' }, i + 1), h('td', {}, p.name), h('td', { class: 'num' }, number(p.ticketsOpened)),
      h('td', {}, meter(p.shareWithinStandard)), h('td', { class: 'num' }, duration(p.resolveMedianMs))))));
}

/** Bars of calls per month with a line of the share within the standard. */
function trendChart(report) {
  const months = report.byMonth;
  if (!months.length) return null;
  const width = 760, height = 260, left = 44, right = 44, top = 16, bottom = 30;
  const plotW = width - left - right, plotH = height - top - bottom;
  const max = Math.max(...months.map((m) => m.calls), 1);
  const step = plotW / months.length;
  const shares = months.map(share);
  const points = shares.map((v, i) => (v === null ? null : [left + step * i + step / 2, top + plotH * (1 - v)]));
  return s('svg', { class: 'chart', id: 'trend', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': t('trend.title') },
    months.map((m, i) => {
      const barH = (m.calls / max) * plotH;
      return s('g', {},
        s('rect', { class: 'bar', x: left + step * i + step * 0.15, y: top + plotH - barH, width: step * 0.7, height: barH },
          s('title', {}, `${m.key}: ${number(m.calls)} · ${percent(shares[i])}`)),
        s('text', { x: left + step * i + step / 2, y: height - 10, 'text-anchor': 'middle' }, monthName(m.key)));
    }),
    s('text', { x: 4, y: top + 8 }, number(max)), s('text', { x: width - right + 4, y: top + 8 }, '100%'),
    s('text', { x: width - right + 4, y: top + plotH }, '0%'),
    s('polyline', { class: 'line', points: points.filter(Boolean).map((p) => p.join(',')).join(' ') }),
    points.filter(Boolean).map(([x, y]) => s('circle', { class: 'dot', cx: x, cy: y, r: 3.5 })));
}

/** The districts as columns: tickets, with the share within the standard above each. */
function districtChart(report) {
  const rows = [...report.byDistrict].sort((a, b) => a.key.localeCompare(b.key, 'tr'));
  if (!rows.length) return null;
  const width = 760, height = 280, left = 10, top = 24, bottom = 70;
  const plotH = height - top - bottom;
  const step = (width - 2 * left) / rows.length;
  const max = Math.max(...rows.map((r) => r.ticketsOpened), 1);
  return s('svg', { class: 'chart', id: 'districts-chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': t('dist.chart') },
    rows.map((r, i) => {
      const barH = (r.ticketsOpened / max) * plotH;
      const x = left + step * i;
      return s('g', {},
        s('rect', { class: 'bar2', x: x + step * 0.15, y: top + plotH - barH, width: step * 0.7, height: barH },
          s('title', {}, `${r.key}: ${number(r.ticketsOpened)} · ${percent(share(r))}`)),
        s('text', { x: x + step / 2, y: top + plotH - barH - 5, 'text-anchor': 'middle' }, percent(share(r))),
        s('text', { x: x + step / 2, y: top + plotH + 14, 'text-anchor': 'end', transform: `rotate(-35 ${x + step / 2} ${top + plotH + 14})` }, r.key));
    }));
}

function periodPicker() {
  const periods = data.periods;
  const current = asked();
  const onYear = view !== 'month' && (current === null || current === periods.currentYear);
  const button = (label, period) => h('button', { type: 'button', id: 'this-year', class: onYear ? 'current' : null, onclick: () => go(period) }, label);
  const select = h('select', { id: 'period-select', 'aria-label': t('dash.other') },
    h('option', { value: '' }, t('dash.pick')),
    periods.years.map((y) => h('option', { value: y }, y)),
    periods.months.map((m) => h('option', { value: m }, periodName(m))));
  select.addEventListener('change', () => { if (select.value) go(select.value); });
  const from = h('input', { type: 'date', id: 'from', min: periods.firstDay, max: periods.lastDay, value: sessionStorage.getItem('dash.from') || '' });
  const to = h('input', { type: 'date', id: 'to', min: periods.firstDay, max: periods.lastDay, value: sessionStorage.getItem('dash.to') || '' });
  const problem = h('p', { class: 'error', hidden: true, role: 'alert' });
  for (const input of [from, to]) input.addEventListener('change', () => sessionStorage.setItem(`dash.${input.id}`, input.value));
  const show = h('button', { type: 'button', id: 'range-show', onclick: () => {
    if (!from.value || !to.value || to.value < from.value) { problem.hidden = false; problem.textContent = t('dash.badRange'); return; }
    go(`${from.value}..${to.value}`);
  } }, t('dash.show'));
  return h('div', {},
    h('div', { class: 'periods' },
      periods.currentYear ? button(t('dash.year', periods.currentYear), periods.currentYear) : null,
      periods.currentMonth ? h('button', { type: 'button', id: 'this-month', class: view === 'month' ? 'current' : null, onclick: () => { view = 'month'; history.replaceState(null, '', '/'); render(); } }, t('dash.month', periodName(periods.currentMonth))) : null,
      h('label', {}, t('dash.other'), select),
      h('label', {}, t('dash.from'), from), h('label', {}, t('dash.to'), to), show),
    problem);
}

async function go(period) {
  view = null;
  history.replaceState(null, '', period ? `/?period=${encodeURIComponent(period)}` : '/');
  await load();
}

function render() {
  if (!data) return;
  const dashboard = view === 'month' && data.month ? data.month : data.dashboard;
  const report = dashboard.report;
  const cp = report.checkpoint;
  const signedAt = (/\ntime (\S+)\n/.exec(cp.note) || [])[1];
  fill(main,
    h('h1', { id: 'heading' }, t('dash.heading', periodName(report.period.label))),
    h('p', { class: 'muted' }, t('dash.sub')),
    periodPicker(),
    report.empty ? h('p', { class: 'note' }, report.emptyReason || t('empty')) : null,
    headline(report),
    h('p', { class: 'proofline', id: 'checkpoint-line' }, t('cp.line', number(cp.treeSize), cp.root, signedAt ? istanbul(signedAt, true) : '—'), ' ',
      h('a', { href: data.checkpointUrl, id: 'checkpoint-link' }, t('cp.link')),
      data.witnesses?.length ? [' ', h('span', { id: 'checkpoint-witnesses' }, t('cp.witnesses', data.witnesses.length, data.witnesses.join(', ')))] : null),
    h('h2', {}, t('dep.title'), ' ', checkpointBadge(report)),
    rankingTable(dashboard.departments, 'dep.name', 'departments'),
    leftOutNote(dashboard.departments, 'rank.departments'),
    h('h2', {}, t('trend.title'), ' ', checkpointBadge(report)),
    h('div', { class: 'legend' }, h('span', {}, h('i', { class: 'l1' }), t('trend.volume')), h('span', {}, h('i', { class: 'l2' }), t('trend.share'))),
    trendChart(report),
    h('h2', {}, t('dist.title'), ' ', checkpointBadge(report)),
    h('p', { class: 'small muted' }, t('dist.chart')),
    districtChart(report),
    rankingTable(dashboard.districts, 'dist.name', 'districts'),
    leftOutNote(dashboard.districts, 'rank.districts'),
    h('h2', {}, t('reports.title')),
    reportList());
  // Widths are set from data attributes: the page's policy allows no inline style attribute.
  for (const bar of main.querySelectorAll('.meter > span')) bar.style.width = `${bar.dataset.w}%`;
}

function reportList() {
  if (!reports) return h('p', { class: 'muted' }, t('pub.loading'));
  if (!reports.reports.length) return h('p', { class: 'muted' }, t('reports.none'));
  return h('table', { id: 'reports' },
    h('thead', {}, h('tr', {}, h('th', {}, t('reports.period')), h('th', {}, 'HTML'), h('th', {}, 'CSV'), h('th', {}, 'JSON'))),
    h('tbody', {}, reports.reports.map((r) => h('tr', {},
      h('td', {}, periodName(r.period)),
      h('td', {}, h('a', { href: `${r.html}&lang=${lang}` }, 'HTML')),
      h('td', {}, h('a', { href: `${r.csv}&lang=${lang}` }, 'CSV')),
      h('td', {}, h('a', { href: `${r.json}&lang=${lang}` }, 'JSON'))))));
}

async function load() {
  const period = asked();
  try {
    data = await getJSON(`/v1/public/dashboard?lang=${lang}${period ? `&period=${encodeURIComponent(period)}` : ''}`);
    render();
    if (!reports) {
      reports = await getJSON('/v1/public/reports');
      render();
    }
  } catch (error) {
    fill(main, errorBlock(error, load));
  }
}

frame('dash.title', () => { load(); });
load();
