// The console's shell: who is signed in, the screens their role may use, and routing by path.
import { api, onSignedOut } from './api.js';
import { h, fill } from './dom.js';
import { t, lang, setLang } from './i18n.js';

const staff = ['operator', 'department', 'auditor', 'officer', 'admin'];
/** Every screen: its path, who may use it, and its module. */
const screens = [
  { path: /^\/console\/?$/, name: 'nav.home', roles: staff, module: 'home' },
  { path: /^\/console\/call$/, name: 'nav.call', roles: ['operator', 'admin'], module: 'call', nav: '/console/call' },
  { path: /^\/console\/queue$/, name: 'nav.queue', roles: ['department', 'officer', 'auditor', 'admin'], module: 'queue', nav: '/console/queue' },
  { path: /^\/console\/triage$/, name: 'nav.triage', roles: ['operator', 'admin'], module: 'triage', nav: '/console/triage' },
  { path: /^\/console\/ticket\/(?<id>[^/]+)$/, name: 'nav.ticket', roles: ['department', 'operator', 'admin'], module: 'ticket' },
  { path: /^\/console\/audit(?:\/(?<id>[^/]+))?$/, name: 'nav.audit', roles: ['auditor', 'admin'], module: 'audit', nav: '/console/audit' },
  { path: /^\/console\/checkpoints$/, name: 'nav.checkpoints', roles: ['auditor', 'admin'], module: 'checkpoints', nav: '/console/checkpoints' },
  { path: /^\/console\/stats$/, name: 'nav.stats', roles: ['officer', 'auditor', 'admin'], module: 'stats', nav: '/console/stats' },
];

let session = null;
let cleanup = null;

/** The role's family: `department:fen-isleri` is a department. */
export const roleKind = (role) => (role?.startsWith('department:') ? 'department' : role);

/** Whether the signed-in role may use `screen`. */
const allowed = (screen) => session && screen.roles.includes(roleKind(session.role));

function navigate(path, replace = false) {
  if (replace) history.replaceState({}, '', path);
  else history.pushState({}, '', path);
  render();
}

function header() {
  const nav = document.getElementById('nav');
  fill(nav, ...screens.filter((s) => s.nav && allowed(s)).map((s) => {
    const current = location.pathname.startsWith(s.nav);
    return h('a', { href: s.nav, 'aria-current': current ? 'page' : null }, t(s.name));
  }));
  const who = document.getElementById('who');
  fill(who, session ? t('app.signedInAs', session.name, roleName(session.role)) : '');
  document.getElementById('lang').textContent = t('app.lang');
  const signout = document.getElementById('signout');
  signout.hidden = !session;
  signout.textContent = t('app.signout');
}

/** The role in words. */
export function roleName(role) {
  const kind = roleKind(role);
  const name = t(`role.${kind}`);
  return kind === 'department' ? `${name}: ${role.slice('department:'.length)}` : name;
}

async function render() {
  if (cleanup) { try { cleanup(); } catch { /* a screen's cleanup must not block the next */ } cleanup = null; }
  const main = document.getElementById('main');
  const path = location.pathname;
  if (path === '/console/signin' || !session) {
    if (path !== '/console/signin') {
      sessionStorage.setItem('defter.returnTo', path + location.search);
      history.replaceState({}, '', '/console/signin');
    }
    header();
    const { render: signin } = await import('./screens/signin.js');
    fill(main);
    await signin(main, context({}));
    return;
  }
  header();
  const screen = screens.find((s) => s.path.test(path));
  if (!screen) {
    fill(main, h('h1', {}, t('notfound.title')), h('p', {}, t('notfound.body', path)), h('p', {}, h('a', { href: '/console/' }, t('nav.home'))));
    return;
  }
  if (!allowed(screen)) {
    const who = screen.roles.map(roleName).join(', ');
    fill(main, h('h1', {}, t('forbidden.title')), h('p', { class: 'refusal' }, t('forbidden.body', t(screen.name), who, roleName(session.role))),
      h('p', {}, h('a', { href: '/console/' }, t('nav.home'))));
    return;
  }
  const params = path.match(screen.path).groups || {};
  const module = await import(`./screens/${screen.module}.js`);
  fill(main);
  const result = await module.render(main, context(params, screens.filter((s) => s.nav && allowed(s))));
  if (typeof result === 'function') cleanup = result;
}

function context(params, available = []) {
  return {
    api, session, t, lang, params, navigate, screens: available,
    query: new URLSearchParams(location.search),
    signedIn: async (next) => {
      session = next;
      const back = sessionStorage.getItem('defter.returnTo');
      sessionStorage.removeItem('defter.returnTo');
      navigate(back && back !== '/console/signin' ? back : '/console/', true);
    },
  };
}

async function start() {
  document.documentElement.lang = lang;
  try {
    const answer = await api.get('/v1/session', { quiet: true });
    session = answer.signedIn ? answer : null;
  } catch {
    session = null;
  }
  onSignedOut.add(() => {
    if (!session) return;
    session = null;
    sessionStorage.setItem('defter.returnTo', location.pathname + location.search);
    navigate('/console/signin', true);
  });
  document.getElementById('lang').addEventListener('click', () => { setLang(lang === 'tr' ? 'en' : 'tr'); render(); });
  document.getElementById('signout').addEventListener('click', async () => {
    try { await api.del('/v1/session'); } catch { /* signed out either way */ }
    session = null;
    navigate('/console/signin', true);
  });
  // Links inside the console navigate without reloading.
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a[href^="/console"]');
    if (!link || link.hasAttribute('download') || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(link.getAttribute('href'));
  });
  window.addEventListener('popstate', render);
  await render();
}

start();
