import os
# -*- coding: utf-8 -*-
import random, csv, re, sys, collections, io
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *
import d_temizlik, d_fen, d_kar, d_ulasim, d_park, d_zabita, d_cevre, d_vet, d_sosyal, d_su, d_itfaiye

random.seed(153)
CATS = {}
for m in [d_temizlik, d_fen, d_kar, d_ulasim, d_park, d_zabita, d_cevre, d_vet, d_sosyal, d_su, d_itfaiye]:
    CATS.update(m.C)
import d_long
for k, v in d_long.L.items():
    CATS[k]['core'] = CATS[k]['core'] + v

SIDE = [
 ("temizlik", "Bir de çöpler düzenli alınmıyor."), ("temizlik", "Bu arada sokak hiç süpürülmüyor, o da ayrı."),
 ("fen-isleri", "Yol da zaten çukur dolu."), ("fen-isleri", "Kaldırımlar da kırık bu arada."),
 ("veteriner", "Ayrıca sokakta köpekler çok."), ("veteriner", "Köpekler de gece havlıyor ayrı dert."),
 ("park-bahceler", "Parkın bankları da kırık."), ("park-bahceler", "Ağaçlar da budanmadı."),
 ("su-kanalizasyon", "Sular da sık sık kesiliyor ama neyse."), ("ulasim", "Otobüs de zaten saatinde gelmiyor."),
 ("cevre-koruma", "Sinek de çok."), ("zabita", "Kaldırımlar da esnafın işgalinde."), (None, "Sokak lambası da yanmıyor."),
 (None, "Elektrikler de gidip geliyor."), (None, "Muhtarlık da ilgilenmiyor."), (None, "İnternet de yok zaten."),
 ("temizlik", "Konteynerin kapağı da kırık ayrıca."), ("fen-isleri", "Üstüne bir de yol bozuk."), ("veteriner", "Sokak kedileri de çoğaldı."),
 ("park-bahceler", "Parkta çimler de biçilmedi."), ("su-kanalizasyon", "Rögar da kokuyor ayrıca."), ("ulasim", "Durak da yok doğru dürüst."),
 ("cevre-koruma", "Akşamları sivrisinek de cabası."), ("zabita", "Seyyar satıcılar da ayrı dert."), (None, "Mahallede güvenlik de yok."),
 (None, "Sokak tabelası bile yok."), (None, "Telefonla da ulaşamıyoruz."), ("temizlik", "Sokak da pislik içinde."),
]
DEPTNAMES = {"temizlik": "temizlik işlerini", "fen-isleri": "fen işlerini", "zabita": "zabıtayı", "cevre-koruma": "çevre korumayı",
 "su-kanalizasyon": "KASKİ'yi", "park-bahceler": "park bahçeleri müdürlüğünü", "veteriner": "veterineri", "ulasim": "ulaşım dairesini",
 "itfaiye": "itfaiyeyi", "sosyal-hizmetler": "sosyal hizmetleri", "kar-mucadelesi": "kar ekibini"}
WRONG = ["{d} aradım, size yönlendirdiler.", "{d} aradım, bizim işimiz değil dediler.", "Önce {d} aradım, kimse açmadı.",
 "{d} aramıştım, 153'e yazın dediler.", "{d} aradım, top bize atıldı.", "Dün {d} aradım, oradan buraya paslandım.",
 "{d} aradım, numara verdiler o da açılmadı.", "{d} aradım, yarın gelecekler dediler gelmediler.", "{d} aradım ama ilgilenen olmadı.",
 "İki gündür {d} arıyorum.", "{d} aradım, kayıt açtılar ama bir şey olmadı."]

KOYCATS = {"kar-mucadelesi.kapali-yol", "kar-mucadelesi.hasta-nakli"}
CUR = [None]
def place_for():
    return koy_place() if CUR[0] in KOYCATS else place()
def fill(s):
    s = s.replace("{yer}", place_for())
    s = s.replace("{koy}", R(KOY_ILCE))
    s = s.replace("{plaka}", f"46 {R(['AB','KM','ACD','M','HT','TR','BK'])} {random.randint(100,999)}")
    s = s.replace("{hat}", str(random.choice([1, 3, 5, 7, 11, 12, 16, 23, 25, 31, 40, 46])))
    return s

def with_place(s):
    k = random.random()
    p = place_for()
    if k < 0.35:
        return f"{p}, {s[0].lower() + s[1:] if s[:1].isupper() and not s[:2].isupper() else s}"
    if k < 0.65:
        return f"{s.rstrip()} {R(['Adres:', 'Adres', 'Yer:', 'Konum:', ''])} {p}."
    if k < 0.85:
        return f"{s.rstrip()} ({p})"
    return f"{p} sakiniyim. {s}"

URGENT = {"itfaiye.yangin", "itfaiye.duman-gaz", "itfaiye.kurtarma", "itfaiye.su-baskini", "kar-mucadelesi.hasta-nakli",
 "veteriner.hayvan-saldirisi", "sosyal-hizmetler.cenaze", "sosyal-hizmetler.kadin-cocuk", "fen-isleri.yol-cokmesi",
 "su-kanalizasyon.boru-patlagi", "park-bahceler.agac-devrilmesi"}
URGENT_CLOSERS = ["Lütfen acil.", "Acil!", "Çabuk gelin.", "Lütfen hemen.", "Allah rızası için acele edin.", "nolur", "Telefonum kayıtlı, arayabilirsiniz.", "Bekliyoruz."]
INTERJ_PRE = ["Gari", "Hele bi bakın,", "Lo gardaş,", "Bıra,", "Heval,", "Emmi,", "Wallahi", "Valla", "Ya Rabbi,", "Maşallah belediyeye,", "Ağam,", "Bacım,"]
INTERJ_POST = ["inşallah", "haram olsun", "yazık yaa", "bööle olmaz", "napcaz bilmiyoruz", "ya sabır", "hakkınızı helal etmiyorum", "Allah'tan bulsunlar"]
ENGLISH = ["Please biri check etsin.", "Durum full kaos.", "Bu hiç ok değil.", "Sorry ama artık yeter.", "Acil feedback bekliyorum.", "Online başvuru da çalışmıyor."]

def lower_first(t):
    if t[:2].isupper():
        return t
    return tr_lower(t[:1]) + t[1:]

def make(cat, spec):
    dept = cat.split(".")[0]
    CUR[0] = cat
    urgent = cat in URGENT
    slot = spec.get("slot")
    if slot and random.random() < spec.get("slot_ratio", 0.4):
        base = slot()
    else:
        base = spec["_pool"].pop() if spec["_pool"] else R(spec["core"])
        if not spec["_pool"]:
            spec["_pool"] = random.sample(spec["core"], len(spec["core"]))
    had_yer = "{yer}" in base or "{koy}" in base
    s = fill(base)
    parts = []
    short = len(s.split()) <= 3
    if not short and random.random() < 0.22:
        op = R(OPENERS)
        parts.append(op)
        if op.endswith(","):
            s = lower_first(s)
    elif not short and not urgent and random.random() < 0.08:
        parts.append(R(INTERJ_PRE))
        s = lower_first(s)
    if not short and random.random() < 0.05:
        w = R(WRONG).format(d=R([v for k, v in DEPTNAMES.items() if k != dept]))
        parts.append(tr_upper(w[:1]) + w[1:])
    if not had_yer and random.random() < (0.2 if short else 0.38):
        s = with_place(s)
    parts.append(s)
    if not short and random.random() < 0.25 and spec.get("extra"):
        parts.append(R(spec["extra"]))
    if not short and not urgent and random.random() < 0.08:
        side = [t for d, t in SIDE if d != dept]
        parts.append(R(side))
    if not short and not urgent and random.random() < 0.06:
        parts.append(R(INTERJ_POST))
    if not short and not urgent and random.random() < 0.03:
        parts.append(R(ENGLISH))
    if not short and random.random() < 0.2:
        parts.append(R(URGENT_CLOSERS if urgent else CLOSERS))
    if not short and random.random() < 0.05:
        parts.append(sign())
    text = " ".join(p.strip() for p in parts if p.strip())
    return style(text)

def fold(t):
    return re.sub(r"[^a-z0-9 ]", "", asciify(tr_lower(t))).strip()

existing = set()
try:
    with open(sys.argv[1], encoding="utf-8") as f:
        for r in csv.DictReader(f):
            existing.add(fold(r["text"]))
except FileNotFoundError:
    pass

rows, seen = [], set(existing)
for cat, spec in CATS.items():
    spec["_pool"] = random.sample(spec["core"], len(spec["core"]))
    got, tries = 0, 0
    while got < spec["n"] and tries < spec["n"] * 60:
        tries += 1
        t = make(cat, spec)
        k = fold(t)
        if not k or k in seen:
            continue
        seen.add(k)
        rows.append((cat.split(".")[0], cat, t))
        got += 1
    if got < spec["n"]:
        print("SHORT", cat, got, spec["n"], file=sys.stderr)

random.shuffle(rows)
out = io.StringIO()
out.write("label,category,text\n")
for lab, cat, t in rows:
    out.write(f'{lab},{cat},"{t.replace(chr(34), chr(34)*2)}"\n')
open(sys.argv[2], "w", encoding="utf-8").write(out.getvalue())
print("rows", len(rows))
