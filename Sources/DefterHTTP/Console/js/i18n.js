// Turkish first, English on request. Screens add their own strings with addStrings.

const strings = { tr: {}, en: {} };

/** The language in use: 'tr' unless the user chose English. */
export let lang = localStorage.getItem('defter.lang') === 'en' ? 'en' : 'tr';

/** Switches the language (the page re-renders itself). */
export function setLang(next) {
  lang = next === 'en' ? 'en' : 'tr';
  localStorage.setItem('defter.lang', lang);
  document.documentElement.lang = lang;
}

/** Adds strings: addStrings({tr: {key: 'metin'}, en: {key: 'text'}}). */
export function addStrings(table) {
  Object.assign(strings.tr, table.tr || {});
  Object.assign(strings.en, table.en || {});
}

/** A translated string; {0}, {1}... are replaced by the arguments. */
export function t(key, ...args) {
  const text = strings[lang][key] ?? strings.tr[key] ?? key;
  return text.replace(/\{(\d+)\}/g, (_, i) => String(args[Number(i)] ?? ''));
}

const locale = () => (lang === 'tr' ? 'tr-TR' : 'en-GB');

/** A time as read in Kahramanmaraş (Europe/Istanbul), e.g. 04.12.2026 14:05. */
export function istanbul(iso, withSeconds = false) {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(), {
    timeZone: 'Europe/Istanbul', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    second: withSeconds ? '2-digit' : undefined,
  }).format(date);
}

/** A number in the user's language. */
export function number(value, digits = 0) {
  if (value === null || value === undefined) return '—';
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(value);
}

/** An event type in words (the type itself when it has no name yet). */
export function eventName(type) {
  const name = t(`event.${type}`);
  return name === `event.${type}` ? type : name;
}

/** Upper case with Turkish dotted and dotless i. */
export const upper = (text) => text.toLocaleUpperCase(lang === 'tr' ? 'tr-TR' : 'en-GB');

addStrings({
  tr: {
    'app.loading': 'Yükleniyor…', 'app.signout': 'Çıkış', 'app.lang': 'English', 'app.signedInAs': '{0} ({1})',
    'nav.home': 'Ana sayfa', 'nav.call': 'Yeni çağrı', 'nav.queue': 'Birim kuyruğu', 'nav.triage': 'Ayıklama',
    'nav.audit': 'Denetim', 'nav.checkpoints': 'Kontrol noktaları', 'nav.stats': 'İstatistik',
    'role.operator': 'Çağrı merkezi operatörü', 'role.department': 'Birim personeli', 'role.auditor': 'Denetçi',
    'role.officer': 'Şeffaflık sorumlusu', 'role.admin': 'Yönetici', 'role.open311': 'Open311 istemcisi',
    'forbidden.title': 'Bu ekran sizin rolünüz için değil',
    'forbidden.body': '"{0}" ekranını {1} kullanır. Siz {2} olarak oturum açtınız. Yetkiniz olduğunu düşünüyorsanız yöneticinizden o role ait bir anahtar isteyin.',
    'notfound.title': 'Böyle bir ekran yok', 'notfound.body': '{0} adresinde bir ekran bulunmuyor. Ana sayfadan devam edin.',
    'status.triage': 'Ayıklamada', 'status.routed': 'Birime iletildi', 'status.acknowledged': 'Birim aldı',
    'status.in-progress': 'Çalışılıyor', 'status.resolved': 'Çözüldü', 'status.closed': 'Kapandı',
    'status.closed-at-first-contact': 'İlk temasta kapandı', 'status.cancelled': 'İptal', 'status.merged': 'Birleştirildi',
    'status.merged-as-duplicate': 'Mükerrer, birleştirildi', 'status.open': 'Açık',
    'err.network': 'Sunucuya ulaşılamadı. Bağlantınızı kontrol edip yeniden deneyin; yazdıklarınız duruyor.',
    'err.unauthenticated': 'Oturumunuz sona erdi. Lütfen yeniden giriş yapın.',
    'err.forbidden': 'Bu işlem için yetkiniz yok.', 'err.cross_site': 'Bu istek başka bir siteden geldiği için reddedildi.',
    'err.not_found': 'Aranan kayıt bulunamadı.', 'err.bad_input': 'Girilen bilgilerde bir sorun var.',
    'err.bad_parameter': 'Bir arama değeri geçersiz.', 'err.bad_json': 'İstek bozuk gönderildi.',
    'err.unknown_field': 'İstekte bilinmeyen bir alan var.',
    'err.illegal_transition': 'Başvuru şu anki durumunda bu işleme izin vermiyor.',
    'err.version_conflict': 'Bu başvuru siz bakarken başka biri tarafından değiştirildi.',
    'err.too_large': 'Gönderilen metin çok uzun.', 'err.storage_full': 'Sunucunun diski dolu; kayıt yapılamadı. Bilgi işleme haber verin.',
    'err.projection_stopped': 'Sunucu kayıtları şu an güncelleyemiyor; bilgi işleme haber verin.',
    'err.conflict': 'Bu çağrı başka bir kayıtla çakışıyor.', 'err.internal': 'Sunucuda beklenmeyen bir hata oldu; kayıt altına alındı.',
    'err.id_reused': 'Bu çağrı numarası başka bir kayıtta kullanılmış.',
    'err.detail': 'Sunucunun açıklaması: {0}',
    'event.CallReceived': 'Çağrı alındı', 'event.TicketOpened': 'Başvuru açıldı', 'event.TicketRouted': 'Yönlendirildi',
    'event.RoutingOverridden': 'Operatör yönlendirmeyi değiştirdi', 'event.TicketReferred': 'Başka birime gönderildi', 'event.TicketAssigned': 'Atandı',
    'event.TicketAcknowledged': 'Birim aldı', 'event.WorkStarted': 'Çalışma başladı', 'event.TicketResolved': 'Çözüldü', 'event.TicketClosed': 'Kapandı',
    'event.TicketReopened': 'Yeniden açıldı', 'event.TicketMergedAsDuplicate': 'Mükerrer olarak birleştirildi', 'event.TicketCancelled': 'İptal edildi',
    'event.CitizenNotified': 'Vatandaş bilgilendirildi', 'event.FeedbackReceived': 'Vatandaş puan verdi', 'event.SLAEscalated': 'Süre aşıldı, üst makama bildirildi',
    'event.InformationProvided': 'Bilgi verildi', 'event.NoteAdded': 'Not eklendi', 'event.PersonalDataAccessed': 'Kişisel verilere bakıldı',
    'event.PhotoAttached': 'Fotoğraf eklendi', 'event.TicketImported': 'Eski sistemden aktarıldı',
    'event.ImportedRecordChanged': 'Eski sistemdeki kaydı değişti',
  },
  en: {
    'app.loading': 'Loading…', 'app.signout': 'Sign out', 'app.lang': 'Türkçe', 'app.signedInAs': '{0} ({1})',
    'nav.home': 'Home', 'nav.call': 'New call', 'nav.queue': 'Department queue', 'nav.triage': 'Triage',
    'nav.audit': 'Audit', 'nav.checkpoints': 'Checkpoints', 'nav.stats': 'Statistics',
    'role.operator': 'call-centre operator', 'role.department': 'department staff', 'role.auditor': 'auditor',
    'role.officer': 'transparency officer', 'role.admin': 'administrator', 'role.open311': 'Open311 client',
    'forbidden.title': 'This screen is not for your role',
    'forbidden.body': 'The "{0}" screen is used by {1}. You are signed in as {2}. If you should have access, ask your administrator for a token of that role.',
    'notfound.title': 'There is no such screen', 'notfound.body': 'There is no screen at {0}. Continue from the home page.',
    'status.triage': 'In triage', 'status.routed': 'Routed', 'status.acknowledged': 'Acknowledged', 'status.in-progress': 'In progress',
    'status.resolved': 'Resolved', 'status.closed': 'Closed', 'status.closed-at-first-contact': 'Closed at first contact',
    'status.cancelled': 'Cancelled', 'status.merged': 'Merged', 'status.merged-as-duplicate': 'Merged as duplicate', 'status.open': 'Open',
    'err.network': 'The server cannot be reached. Check the connection and try again; what you typed is kept.',
    'err.unauthenticated': 'Your session has ended. Please sign in again.', 'err.forbidden': 'You may not do this.',
    'err.cross_site': 'Refused: the request came from another site.', 'err.not_found': 'Not found.',
    'err.bad_input': 'Something in what was entered is not right.', 'err.bad_parameter': 'A search value is not valid.',
    'err.bad_json': 'The request was malformed.', 'err.unknown_field': 'The request has an unknown field.',
    'err.illegal_transition': 'The request, as it stands, does not allow this step.',
    'err.version_conflict': 'Someone else changed this request while you were looking at it.',
    'err.too_large': 'The text sent is too long.', 'err.storage_full': 'The server\'s disk is full; nothing was recorded. Tell IT.',
    'err.projection_stopped': 'The server cannot update its views right now; tell IT.',
    'err.conflict': 'This call conflicts with another record.', 'err.internal': 'The server failed unexpectedly; the error is logged.',
    'err.id_reused': 'This call id was used for another record.',
    'err.detail': 'The server says: {0}',
    'event.CallReceived': 'Call received', 'event.TicketOpened': 'Request opened', 'event.TicketRouted': 'Routed', 'event.RoutingOverridden': 'Routing overridden',
    'event.TicketReferred': 'Referred', 'event.TicketAssigned': 'Assigned', 'event.TicketAcknowledged': 'Acknowledged', 'event.WorkStarted': 'Work started',
    'event.TicketResolved': 'Resolved', 'event.TicketClosed': 'Closed', 'event.TicketReopened': 'Reopened', 'event.TicketMergedAsDuplicate': 'Merged as duplicate',
    'event.TicketCancelled': 'Cancelled', 'event.CitizenNotified': 'Citizen notified', 'event.FeedbackReceived': 'Feedback received',
    'event.SLAEscalated': 'Deadline passed, escalated', 'event.InformationProvided': 'Information given', 'event.NoteAdded': 'Note added',
    'event.PersonalDataAccessed': 'Personal data read', 'event.PhotoAttached': 'Photo attached',
    'event.TicketImported': 'Imported from the previous system', 'event.ImportedRecordChanged': 'Changed in the previous system',
  },
});
