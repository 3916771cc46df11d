// Small DOM helpers: every piece of data becomes a text node, never markup.

/** Creates an element: h('p', {class: 'x', onclick: f}, 'text', child, ...). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** A labelled form field: the label, the control, and a slot for its message. */
export function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  const message = h('div', { class: 'field-message', id: `${id}-msg`, 'aria-live': 'polite' });
  control.setAttribute('aria-describedby', `${id}-msg`);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('div', { class: 'hint' }, hint) : null, message);
}

/** A short notice at the bottom of the screen. */
export function toast(text) {
  const box = document.getElementById('toast');
  fill(box, text);
  box.classList.add('shown');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => box.classList.remove('shown'), 4000);
}

/** An error box (role=alert) saying what went wrong, in words. */
export function errorBox(text, detail) {
  return h('div', { class: 'error', role: 'alert' }, h('strong', {}, text), detail ? h('div', { class: 'detail' }, detail) : null);
}

/** Triggers a download of `text` as a file. */
export function download(name, text, type = 'text/csv;charset=utf-8') {
  const url = URL.createObjectURL(new Blob(['\ufeff', text], { type }));
  const link = h('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** One CSV line, quoted where needed. */
export function csvLine(cells) {
  return cells.map((cell) => {
    const text = cell === null || cell === undefined ? '' : String(cell);
    return /[",\n;]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  }).join(',') + '\n';
}
