# -*- coding: utf-8 -*-
"""Shared fragments: places, names, openers, closers, and style transforms."""
import random, re

MAHALLE = [
 "Şeyhadil", "Yörükselim", "Hayrullah", "Bağlarbaşı", "Dumlupınar", "Kanuni", "Şazibey", "Sakarya",
 "Cumhuriyet", "Mağaralı", "Tekerek", "Kurtuluş", "Barbaros", "Yenişehir", "Akif İnan", "Ertuğrulgazi",
 "Mimar Sinan", "Yavuz Selim", "Abdulhamithan", "Binevler", "Bahçelievler", "Doğukent", "Menderes",
 "Yunus Emre", "Kıbrıs", "Karamaraş", "Ulubahçe", "Haydarbey", "Yeşilyöre", "Gazipaşa", "Namık Kemal",
 "Hacıbayram", "Şehit Abdullah Çavuş", "Boğaziçi", "Alparslan", "Mehmet Akif", "Fatih", "Zülkadiroğlu",
]
SOKAK = [
 "Trabzon Caddesi", "Azerbaycan Bulvarı", "Kıbrıs Meydanı", "Hükümet Konağı arkası", "Ulu Cami civarı",
 "Kapalı Çarşı girişi", "Gazi Mustafa Kemal Bulvarı", "Elbistan yolu", "Adana yolu", "Gaziantep yolu",
 "Karacasu yolu", "Necip Fazıl Şehir Hastanesi karşısı", "Avşar kampüsü yolu", "Piazza AVM arkası",
 "eski otogar tarafı", "Uzun Oluk", "Saraçhane", "Kale altı", "sanayi sitesi girişi", "İstasyon Caddesi",
 "Milli Egemenlik Caddesi", "Menderes Bulvarı", "Mustafa Kemal Paşa Caddesi", "Atatürk Bulvarı",
]
SOKAK_NO = ["12. sokak", "43. sokak", "7. sokak", "Gül Sokak", "Lale Sokak", "Papatya Sokak", "Menekşe Sokak",
 "Çınar Sokak", "Pınar Sokak", "Yıldız Sokak", "Kardelen Sokak", "Karanfil Sokak", "Zeytin Sokak", "Okul Sokak",
 "Cami Sokak", "Nar Sokak", "Fırın Sokak", "Sümbül Sokak", "Dere Sokak", "Bahar Sokak", "Zafer Sokak", "Mektep Sokak",
 "103. sokak", "61. sokak", "88. sokak", "215. sokak", "3. sokak", "19. sokak", "Ihlamur Sokak", "Meşe Sokak"]
ILCE = ["Dulkadiroğlu", "Onikişubat"]
KOY_ILCE = ["Ekinözü", "Göksun", "Andırın", "Afşin", "Elbistan", "Türkoğlu", "Pazarcık", "Çağlayancerit", "Nurhak"]
AD = ["Ahmet", "Mehmet", "Hatice", "Fatma", "Zeynep", "Mustafa", "Hüseyin", "Ayşe", "Emine", "Hasan", "İbrahim",
 "Halil", "Ramazan", "Abdullah", "Elif", "Merve", "Kübra", "Yusuf", "Ömer", "Sultan", "Zehra", "Murat",
 "Serkan", "Gülsüm", "Hacer", "Osman", "Veli", "Esra", "Songül", "Cemile", "Bekir", "Durmuş", "Nurcan", "Sevda"]
SOYAD = ["Kaya", "Yılmaz", "Demir", "Aslan", "Çelik", "Öztürk", "Doğan", "Karaca", "Güneş", "Bozkurt", "Kılıç",
 "Tekin", "Korkmaz", "Şahin", "Arslan", "Yıldız", "Polat", "Erdem", "Kurt", "Toprak", "Aydın", "Özer"]

def R(lst):
    return random.choice(lst)

def loc_suffix(w):
    vowels = [c for c in w.lower() if c in "aıoueiöü"]
    back = (vowels[-1] in "aıou") if vowels else True
    hard = w[-1].lower() in "çfhkpsşt"
    return ("t" if hard else "d") + ("a" if back else "e")

KOY_PLACE = ["{i}'e bağlı köyümüz", "{i} tarafında kırsal mahallemiz", "{i} yaylası", "{i} yolu üstündeki köy", "{i} kırsalı",
 "{i} ilçesine bağlı mahallemiz", "{i}'ün dağ köyleri", "{i} yolunun 15. km'si"]
def koy_place():
    i = R(KOY_ILCE)
    t = R(KOY_PLACE).format(i=i)
    # fix the dative/genitive after an apostrophe by simple harmony
    t = t.replace(f"{i}'e", i + "'" + ("ye" if i[-1] in "aeıioöuü" else ("a" if loc_suffix(i)[1] == "a" else "e")))
    t = t.replace(f"{i}'ün", i + "'" + ("nin" if i[-1] in "aeıioöuü" else {"a": "ın", "e": "in"}[loc_suffix(i)[1]]))
    return t

def place():
    k = random.random()
    m = R(MAHALLE)
    if k < 0.22:
        return f"{m} Mahallesi {R(SOKAK_NO)}"
    if k < 0.36:
        return f"{m} mah. {R(SOKAK_NO)} no {random.randint(1,140)}"
    if k < 0.48:
        return f"{R(SOKAK)}"
    if k < 0.58:
        return f"{m} {R(['mahallesi','mh','mahalesi','mah'])}"
    if k < 0.66:
        return f"{R(ILCE)} {m}"
    if k < 0.76:
        return f"{m}'{loc_suffix(m)} {R(SOKAK_NO)}"
    if k < 0.84:
        return f"{R(SOKAK)} {m} tarafı"
    return f"{m} {R(SOKAK_NO)} {random.randint(1,60)} numara önü"

def name():
    return f"{R(AD)} {R(SOYAD)}"

OPENERS = [
 "Merhaba,", "Merhabalar,", "İyi günler,", "Selamünaleyküm,", "slm", "mrb", "Sayın yetkili,", "Sayın Başkanım,",
 "Kolay gelsin,", "Hayırlı günler,", "İyi akşamlar,", "Alo 153,", "Belediyeye sesleniyorum!", "Başkanım duy sesimizi,",
 "Bakın size son kez yazıyorum,", "ya arkadaşlar", "Abi merhaba", "Ablacım kolay gelsin,", "Sayın Büyükşehir Belediyesi,",
 "Sayın ilgili,", "Günaydın,", "Allah rızası için biri okusun,", "vallahi bıktık artık,", "Lo gardaş", "Hocam merhaba,",
 "Bir vatandaş olarak şikayetimi iletmek istiyorum.", "Üçüncü kez arıyorum.", "Daha önce de bildirdim.",
 "CİMER'e de yazdım ama cevap yok.", "Kaç kere söyledik,", "Rica etsem,", "Affedersiniz,", "Hanımefendi merhaba,",
]
CLOSERS = [
 "Teşekkürler.", "Gereğinin yapılmasını arz ederim.", "İlginiz için şimdiden teşekkür ederim.", "Lütfen acil.",
 "Acil bi el atın.", "Yardımcı olursanız sevinirim.", "Allah razı olsun.", "Kolay gelsin.", "Rica ediyorum.",
 "Bekliyoruz.", "Ne zaman gelirsiniz?", "Biri ilgilensin artık!", "Vergimizi veriyoruz ama hizmet yok.",
 "Bu ne rezalet!", "Yazık günah.", "Sesimizi duyun!", "nolur", "tşk", "saygılar", "Saygılarımla.",
 "Seçimde hatırlarız bunu.", "Fotoğraf da çektim, gerekirse gönderirim.", "Başka kime söyleyeyim bilmiyorum.",
 "Muhtara da söyledik o da size yönlendirdi.", "Haberiniz olsun.", "Hakkınızı helal edin ama bu iş böyle olmaz.",
 "Dönüş bekliyorum.", "Telefonum kayıtlı, arayabilirsiniz.", "Yoksa CİMER'e yazacağım.", "inşallah bu sefer gelirsiniz",
 "Bi bakın artık ya.", "Kimse umursamıyor.", "Allah aşkına bir çözüm.", "Şimdiden sağ olun.",
]
SIGN = ["-{n}", "{n}", "Ben {n}, {m} sakini.", "Adım {n}.", "{n} (apartman yöneticisi)", "Muhtar {a} bey de biliyor."]

def sign():
    t = R(SIGN)
    return t.format(n=name(), m=R(MAHALLE), a=R(AD))

ASCII = str.maketrans("çğıöşüÇĞİÖŞÜâîûÂ", "cgiosuCGIOSUaiuA")
def asciify(s):
    return s.translate(ASCII)

def tr_upper(s):
    return s.replace("i", "İ").replace("ı", "I").upper()

def tr_lower(s):
    return s.replace("I", "ı").replace("İ", "i").lower()

SMS = [
 (r"\bbir\b", "bi"), (r"\bbirşey\b", "bişey"), (r"\bbir şey\b", "bişey"), (r"\bdeğil\b", "diil"),
 (r"\bne zaman\b", "nezaman"), (r"\bmerhaba\b", "mrb"), (r"\bselam\b", "slm"), (r"\bteşekkürler\b", "tşk"),
 (r"\blütfen\b", "lütfn"), (r"\bçok\b", "çok"), (r"\bşimdi\b", "şimdi"), (r"\bherkes\b", "herkez"),
 (r"\bvar mı\b", "varmı"), (r"\byok mu\b", "yokmu"), (r"\bgelecek\b", "gelcek"), (r"\bedecek\b", "edcek"),
 (r"\byapacak\b", "yapcak"), (r"\bbakacak\b", "bakcak"), (r"\bnasıl\b", "nasıl"), (r"\bsonra\b", "sonra"),
 (r"\btamam\b", "tmm"), (r"\bkardeşim\b", "kardesim"), (r"\bhiç\b", "hiç"), (r"\bşöyle\b", "şöle"),
 (r"\bböyle\b", "böle"), (r"\bgeliyor\b", "geliyo"), (r"\byapıyor\b", "yapıyo"), (r"\bduruyor\b", "duruyo"),
 (r"\bçıkıyor\b", "çıkıyo"), (r"\bistiyoruz\b", "istiyoz"), (r"\bbekliyoruz\b", "bekliyoz"), (r"\bgidiyor\b", "gidiyo"),
 (r"\boluyor\b", "oluyo"), (r"\bakıyor\b", "akıyo"), (r"\bbiliyor\b", "biliyo"), (r"\bmısınız\b", "mısınz"),
 (r"\byapıyorlar\b", "yapıyolar"), (r"\bgeliyorlar\b", "geliyolar"), (r"\btoplanmıyor\b", "toplanmıyo"),
 (r"\bgelmiyor\b", "gelmiyo"), (r"\bbakmıyor\b", "bakmıyo"), (r"\bkimse\b", "kimse"), (r"\bile\b", "ile"),
 (r"\bhemen\b", "hemen"), (r"\bmı\b", "mı"),
]
def sms(s):
    s = tr_lower(s)
    for a, b in SMS:
        if random.random() < 0.85:
            s = re.sub(a, b, s)
    # generic -yor -> -yo on some words
    s = re.sub(r"(\w{3,})yor\b", lambda m: m.group(1) + "yo" if random.random() < 0.6 else m.group(0), s)
    s = re.sub(r"[.,;:]", lambda m: "" if random.random() < 0.6 else m.group(0), s)
    return s

def typo(s):
    words = s.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) > 5 and w.isalpha()]
    if not idx:
        return s
    for i in random.sample(idx, min(len(idx), random.choice([1, 1, 2]))):
        w = words[i]
        k = random.randint(1, len(w) - 2)
        op = random.random()
        if op < 0.4:
            w = w[:k] + w[k + 1:]
        elif op < 0.75:
            w = w[:k] + w[k + 1] + w[k] + w[k + 2:]
        else:
            w = w[:k] + w[k] + w[k:]
        words[i] = w
    return " ".join(words)

def punct(s):
    r = random.random()
    s = s.rstrip()
    if r < 0.2:
        return s.rstrip(".") + "!!!"
    if r < 0.3:
        return s.rstrip(".") + "..."
    if r < 0.4:
        return s.rstrip(".!?")
    if r < 0.45:
        return s.rstrip(".") + " ??"
    return s

def style(s):
    """Apply a realistic mix of surface styles."""
    r = random.random()
    if r < 0.30:
        s = asciify(s)
        if random.random() < 0.5:
            s = tr_lower(s)
    elif r < 0.45:
        s = sms(s)
        if random.random() < 0.6:
            s = asciify(s)
    elif r < 0.50:
        s = tr_upper(s)
    elif r < 0.56:
        s = tr_lower(s)
    if random.random() < 0.12:
        s = typo(s)
    if random.random() < 0.35:
        s = punct(s)
    s = re.sub(r"\s+", " ", s).strip()
    return s
