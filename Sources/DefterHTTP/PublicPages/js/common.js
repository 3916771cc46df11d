// What the public pages share: the language switch, reading JSON with errors in words, and
// formatting. Strings, times and DOM helpers come from the staff console's modules.
import { addStrings, lang, setLang, t } from '/console/js/i18n.js';
import { h } from '/console/js/dom.js';

addStrings({
  tr: {
    'pub.lang': 'English', 'pub.dashboard': 'Şeffaflık panosu', 'pub.track': 'Başvurum ne durumda?',
    'pub.loading': 'Yükleniyor…', 'pub.retry': 'Yeniden dene',
    'pub.err.network': 'Sunucuya ulaşılamadı. Bağlantınızı kontrol edip yeniden deneyin.',
    'pub.err.rate_limited': 'Kısa sürede çok fazla istek geldi. Lütfen {0} saniye bekleyip yeniden deneyin.',
    'pub.err.not_found': 'Aradığınız kayıt bulunamadı.',
    'pub.err.bad_parameter': 'Girilen değer geçersiz.',
    'pub.err.busy': 'Sunucu şu an rakamları güncelliyor; birkaç saniye sonra yeniden deneyin.',
    'pub.err.other': 'Beklenmeyen bir sorun oldu ({0}). Biraz sonra yeniden deneyin.',
    'pub.foot': 'Bu sayfadaki her rakam belediyenin imzalı kayıt defterinden hesaplanır ve herkes tarafından doğrulanabilir. Kişisel veri içermez.',
    'dur.hours': '{0} saat', 'dur.days': '{0} gün', 'dur.minutes': '{0} dk',
  },
  en: {
    'pub.lang': 'Türkçe', 'pub.dashboard': 'Transparency dashboard', 'pub.track': 'Where is my request?',
    'pub.loading': 'Loading…', 'pub.retry': 'Try again',
    'pub.err.network': 'The server could not be reached. Check your connection and try again.',
    'pub.err.rate_limited': 'Too many requests in a short time. Please wait {0} seconds and try again.',
    'pub.err.not_found': 'Nothing was found.',
    'pub.err.bad_parameter': 'A value you entered is not valid.',
    'pub.err.busy': 'The server is refreshing its figures; try again in a few seconds.',
    'pub.err.other': 'Something unexpected went wrong ({0}). Try again a little later.',
    'pub.foot': 'Every figure on this page is computed from the municipality\'s signed ledger and can be checked by anyone. It holds no personal data.',
    'dur.hours': '{0} h', 'dur.days': '{0} days', 'dur.minutes': '{0} min',
  },
});

/** A failed request: `code` is the server's error code, `message` its words (Turkish, then English). */
export class PublicError extends Error {
  constructor(code, message, retryAfter) {
    super(message);
    this.code = code;
    this.retryAfter = retryAfter;
  }

  /** What to tell the reader: the server's own words when it gave some, else ours. */
  get words() {
    if (this.code === 'rate_limited') return t('pub.err.rate_limited', this.retryAfter || 60);
    if (this.message && this.code !== 'network') {
      // The server answers "Türkçe / English": show the reader's half.
      const halves = this.message.split(' / ');
      return halves.length === 2 ? (lang === 'en' ? halves[1] : halves[0]) : this.message;
    }
    const key = `pub.err.${this.code}`;
    return t(key) === key ? t('pub.err.other', this.code) : t(key);
  }
}

/** GETs JSON from the service, throwing a PublicError with words a reader understands. */
export async function getJSON(path) {
  let response;
  try {
    response = await fetch(path, { headers: { Accept: 'application/json' } });
  } catch {
    throw new PublicError('network', '');
  }
  let body = null;
  try { body = await response.json(); } catch { body = null; }
  if (!response.ok) {
    throw new PublicError(body?.error || `http_${response.status}`, body?.message || '', response.headers.get('Retry-After'));
  }
  return body;
}

/** Sets up the header (language switch, links) and the footer; `render` draws the page again. */
export function frame(titleKey, render) {
  const apply = () => {
    document.documentElement.lang = lang;
    document.getElementById('lang').textContent = t('pub.lang');
    document.getElementById('brand-sub').textContent = t(titleKey);
    const track = document.getElementById('nav-track');
    if (track) track.textContent = t('pub.track');
    const dashboard = document.getElementById('nav-dashboard');
    if (dashboard) dashboard.textContent = t('pub.dashboard');
    document.getElementById('foot').textContent = t('pub.foot');
    document.title = `ALO 153 · ${t(titleKey)}`;
  };
  document.getElementById('lang').addEventListener('click', () => {
    setLang(lang === 'tr' ? 'en' : 'tr');
    apply();
    render();
  });
  apply();
}

/** A duration in milliseconds in words: minutes, hours or days. */
export function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  const format = (value) => new Intl.NumberFormat(lang === 'tr' ? 'tr-TR' : 'en-GB', { maximumFractionDigits: 1 }).format(value);
  const hours = ms / 3600000;
  if (hours < 1) return t('dur.minutes', format(ms / 60000));
  if (hours < 48) return t('dur.hours', format(hours));
  return t('dur.days', format(hours / 24));
}

/** A share 0..1 as a percentage. */
export function percent(share) {
  if (share === null || share === undefined || Number.isNaN(share)) return '—';
  return new Intl.NumberFormat(lang === 'tr' ? 'tr-TR' : 'en-GB', { style: 'percent', maximumFractionDigits: 1 }).format(share);
}

/** An error box with the reader's words and a retry button. */
export function errorBlock(error, retry) {
  const words = error instanceof PublicError ? error.words : t('pub.err.other', String(error));
  return h('div', { class: 'error', role: 'alert' }, words, ' ',
    retry ? h('button', { type: 'button', class: 'link', onclick: retry }, t('pub.retry')) : null);
}

const svgNS = 'http://www.w3.org/2000/svg';
/** An SVG element with attributes and children (text becomes text nodes). */
export function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(svgNS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) element.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}
