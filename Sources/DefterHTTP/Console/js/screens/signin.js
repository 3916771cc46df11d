// Sign-in: a token from `defter tokens issue` becomes a session (an HttpOnly cookie).
import { h, field, errorBox } from '../dom.js';
import { addStrings, t } from '../i18n.js';

addStrings({
  tr: {
    'signin.title': 'Giriş', 'signin.token': 'Erişim anahtarı', 'signin.hint': 'Yöneticinizin verdiği, dft_ ile başlayan anahtar.',
    'signin.submit': 'Giriş yap', 'signin.bad': 'Bu anahtar geçerli değil: yanlış yazılmış ya da iptal edilmiş olabilir.',
    'signin.empty': 'Anahtarı yazın ya da yapıştırın.',
  },
  en: {
    'signin.title': 'Sign in', 'signin.token': 'Access token', 'signin.hint': 'The token starting with dft_ that your administrator gave you.',
    'signin.submit': 'Sign in', 'signin.bad': 'This token is not valid: it may be mistyped or revoked.', 'signin.empty': 'Type or paste the token.',
  },
});

export async function render(root, ctx) {
  const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'off', required: true, spellcheck: 'false' });
  const message = h('div', { id: 'signin-error' });
  const button = h('button', { type: 'submit', id: 'signin-submit', class: 'primary' }, t('signin.submit'));
  const form = h('form', { class: 'card narrow', id: 'signin-form' }, h('h1', {}, t('signin.title')), field(t('signin.token'), input, t('signin.hint')), message, button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    message.replaceChildren();
    const token = input.value.trim();
    if (!token) { message.append(errorBox(t('signin.empty'))); input.focus(); return; }
    button.disabled = true;
    try {
      const session = await ctx.api.post('/v1/session', { token }, { quiet: true });
      await ctx.signedIn(session);
    } catch (error) {
      message.append(errorBox(error.status === 401 ? t('signin.bad') : error.words, error.status === 401 ? null : error.message));
      input.focus();
      input.select();
    } finally {
      button.disabled = false;
    }
  });
  root.append(form);
  input.focus();
}
