// Home: the screens this role may use.
import { h } from '../dom.js';
import { addStrings, t } from '../i18n.js';

addStrings({
  tr: {
    'home.title': 'Hoş geldiniz', 'home.lead': 'Rolünüzün kullanabileceği ekranlar:',
    'home.call': 'Telefondaki vatandaşın başvurusunu kaydedin; yönlendirme önerisi yazarken gelir.',
    'home.queue': 'Biriminizin açık başvuruları, canlı güncellenir.', 'home.triage': 'Yönlendiricinin emin olamadığı başvurular.',
    'home.audit': 'Bir başvurunun tüm geçmişini tarayıcınızda kanıtlarıyla doğrulayın.',
    'home.checkpoints': 'İmzalı kontrol noktaları ve aralarındaki tutarlılık.', 'home.stats': 'Dönem istatistikleri ve hesap verebilirlik raporu.',
  },
  en: {
    'home.title': 'Welcome', 'home.lead': 'The screens your role may use:',
    'home.call': 'Record the caller\'s request; the routing suggestion follows the typing.',
    'home.queue': 'Your department\'s open requests, updated live.', 'home.triage': 'Requests the router was unsure of.',
    'home.audit': 'Check a request\'s whole history and its proofs in your browser.',
    'home.checkpoints': 'Signed checkpoints and their consistency.', 'home.stats': 'Figures of a period and the accountability report.',
  },
});

export async function render(root, ctx) {
  root.append(h('h1', {}, t('home.title')), h('p', {}, t('home.lead')),
    h('ul', { class: 'tiles' }, ctx.screens.map((s) => h('li', {}, h('a', { href: s.nav }, h('strong', {}, t(s.name)), h('span', {}, t(`home.${s.module}`)))))));
}
