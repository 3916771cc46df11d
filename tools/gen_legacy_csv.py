#!/usr/bin/env python3
"""Write a synthetic Turkish-CRM export of N records, for measuring `defter import legacy`.

Usage: gen_legacy_csv.py N OUT.csv [--seed S] [--year YYYY] [--awkward SHARE]

The file has the columns and values of Tests/DefterImportTests/Fixtures/turkish-crm.csv
(';'-delimited, CRLF, dd.MM.yyyy HH:mm times in Istanbul) but is UTF-8; import it with
tools/fixtures/synthetic-crm.toml. Records are written as they are made, never held: memory
stays flat at any N (10,000 and 1,000,000 are the sizes docs/migration.md measures).

Most records are ordinary: a department's request type, a status with the times it implies,
a caller with a phone number. A share of them (--awkward, default 0.01) is awkward the way real
exports are: descriptions with line breaks, ';' and doubled quotes; agencies and request types
the mapping lacks; a district outside the city; no opening time; resolved without a closing
time; a record repeated unchanged, or repeated with its status moved on. The same seed writes
the same file. `tools/check_import.py OUT.csv tools/fixtures/synthetic-crm.toml --no-compare`
prints what the import must make of it.
"""
import argparse
import csv
import datetime
import random
import sys

HEADER = ["Başvuru No ", "Kayıt Tarihi", "Kanal", "Birim", "Konu", "Açıklama", "İlçe", "Mahalle", "Adres",
          "Enlem", "Boylam", "Ad Soyad", "Telefon", "E-posta", "Durum", "Güncelleme Tarihi", "Hedef Tarih",
          "Kapanış Tarihi", "Öncelik", "Çağrı Süresi (sn)"]

# Agency, request type, weight, typical hours to resolve, a description.
WORK = [
    ("Temizlik İşleri Müdürlüğü", "Çöp Toplama", 18, 10, "Çöpler toplanmadı, konteyner taşıyor."),
    ("Temizlik İşleri Müdürlüğü", "Konteyner Talebi", 5, 60, "Sokağa yeni konteyner istiyoruz."),
    ("Temizlik İşleri Müdürlüğü", "Sokak Süpürme", 4, 30, "Cadde süpürülmedi."),
    ("Fen İşleri Daire Başkanlığı", "Yol Çukuru", 12, 70, "Yolda derin çukur var."),
    ("Fen İşleri Daire Başkanlığı", "Asfalt Talebi", 4, 500, "Sokağımıza asfalt istiyoruz."),
    ("Fen İşleri Daire Başkanlığı", "Kaldırım Onarımı", 4, 150, "Kaldırım taşları kırık."),
    ("Park ve Bahçeler Müdürlüğü", "Ağaç Budama", 4, 300, "Dallar tellere değiyor."),
    ("Park ve Bahçeler Müdürlüğü", "Devrilen Ağaç", 2, 5, "Ağaç yola devrildi."),
    ("Park ve Bahçeler Müdürlüğü", "Oyun Grubu Arızası", 2, 60, "Salıncak kopmuş."),
    ("Zabıta Müdürlüğü", "Seyyar Satıcı", 4, 20, "Seyyar satıcılar kaldırımı kapatıyor."),
    ("Zabıta Müdürlüğü", "İşyeri Gürültüsü", 4, 20, "Kafe gece yüksek sesle müzik çalıyor."),
    ("Zabıta Müdürlüğü", "Genel Şikayet", 3, 40, "Dükkan önü işgal edilmiş."),
    ("KASKİ Genel Müdürlüğü", "Su Kesintisi", 8, 6, "Mahallede su yok."),
    ("KASKİ Genel Müdürlüğü", "Boru Patlağı", 4, 4, "Ana boru patladı."),
    ("KASKİ Genel Müdürlüğü", "Kanal Tıkanıklığı", 4, 20, "Rögar taştı."),
    ("Ulaşım Hizmetleri Dairesi", "Otobüs Seferi", 5, 60, "Otobüs durakta durmadı."),
    ("Veteriner İşleri Müdürlüğü", "Sokak Köpekleri", 5, 60, "Sahipsiz köpekler çocukları kovalıyor."),
    ("Veteriner İşleri Müdürlüğü", "Yaralı Hayvan", 2, 10, "Yolda yaralı bir kedi var."),
    ("İtfaiye Daire Başkanlığı", "Arı Kovanı", 1, 40, "Balkonda arı kovanı var."),
    ("Sosyal Hizmetler Dairesi", "Sosyal Yardım", 3, 600, "Yardım başvurusu yapmak istiyorum."),
    ("Çevre Koruma ve Kontrol Dairesi", "Gürültü", 3, 40, "Jeneratör gece boyunca çalışıyor."),
    ("", "Kar Küreme", 2, 10, "Yol kardan kapandı."),
]
WEIGHTS = [w[2] for w in WORK]
# Status, weight; the times each status implies are made in record().
STATUSES = [("Kapatıldı", 50), ("Çözüldü", 22), ("Çalışılıyor", 8), ("İşleme Alındı", 7), ("Açık", 5),
            ("Yeni Kayıt", 3), ("İptal", 5)]
CHANNELS = [("Çağrı Merkezi", 55), ("ALO 153", 15), ("Web", 10), ("Mobil Uygulama", 10), ("WhatsApp", 5),
            ("E-Posta", 2), ("Masa", 2), ("CİMER", 1)]
DISTRICTS = [("Dulkadiroğlu", 30), ("Onikişubat", 30), ("DULKADİROĞLU", 3), ("ONİKİŞUBAT", 3), ("MERKEZ", 2),
             ("Elbistan", 9), ("Afşin", 5), ("Pazarcık", 5), ("Türkoğlu", 4), ("Göksun", 3), ("Andırın", 2),
             ("Çağlayancerit", 1), ("Ekinözü", 1), ("Nurhak", 1)]
NEIGHBOURHOODS = ["Şazibey", "Kurtuluş", "Sakarya", "Mimar Sinan", "Yörükselim", "Şeyh Şamil", "Yenişehir",
                  "Hacımustafa", "Ahmet Arslan", "Hayrullah", "Güneşli", "Esentepe", "Cumhuriyet", "Kılılı", "Yeni"]
FIRST = ["Ayşe", "Fatma", "Emine", "Hatice", "Zeynep", "Elif", "Meryem", "Şerife", "Mehmet", "Mustafa", "Ahmet",
         "Ali", "Hüseyin", "Hasan", "İbrahim", "Osman", "Yusuf", "Ömer", "Gülsüm", "Çiğdem", "Özlem", "Uğur"]
LAST = ["Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Yıldırım", "Öztürk", "Aydın", "Özdemir",
        "Arslan", "Doğan", "Kılıç", "Aslan", "Çetin", "Kara", "Koç", "Kurt", "Özkan", "Şimşek", "Güneş", "Erdoğan"]
PRIORITIES = ["Düşük", "Normal", "Normal", "Normal", "Yüksek", "Acil"]
TIME = "%d.%m.%Y %H:%M"


def weighted(rng, pairs):
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


def record(rng, number, opened):
    """An ordinary record: a list of the HEADER's values."""
    agency, request_type, _, hours, text = rng.choices(WORK, WEIGHTS)[0]
    status = weighted(rng, STATUSES)
    took = datetime.timedelta(hours=rng.lognormvariate(0, 1) * hours)
    updated = closed = ""
    if status in ("Kapatıldı", "Çözüldü", "İptal"):
        updated = closed = (opened + took).strftime(TIME)
    elif status in ("Çalışılıyor", "İşleme Alındı"):
        updated = (opened + took / 3).strftime(TIME)
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    phone = f"05{rng.randint(30, 59)} {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
    email = f"vatandas{number}@example.com" if rng.random() < 0.15 else ""
    latitude, longitude = f"{37.50 + rng.random() * 0.7:.4f}", f"{36.40 + rng.random() * 0.9:.4f}"
    neighbourhood = rng.choice(NEIGHBOURHOODS)
    address = f"{neighbourhood} Mh. {rng.randint(1, 120)}. Sk. No:{rng.randint(1, 60)}"
    return [f"SYN-{number:09d}", opened.strftime(TIME), weighted(rng, CHANNELS), agency, request_type, text,
            weighted(rng, DISTRICTS), neighbourhood, address, latitude, longitude, name, phone, email, status,
            updated, "", closed, rng.choice(PRIORITIES), str(rng.randint(20, 400))]


def awkward(rng, values, recent):
    """Makes an ordinary record awkward in one of the ways real exports are."""
    kind = rng.randrange(9)
    if kind == 0:
        values[5] = values[5] + "\r\nİkinci kez bildiriyorum; hâlâ \"çözüldü\" denmedi."
    elif kind == 1:
        values[3], values[4] = "Kültür ve Sosyal İşler Dairesi", rng.choice(["Konser ve Etkinlik", "Kütüphane Üyeliği"])
    elif kind == 2:
        values[6] = "Şehitkamil"
    elif kind == 3:
        values[1] = ""
    elif kind == 4:
        values[14], values[17] = "Çözüldü", ""
    elif kind == 5:
        values[14] = "Askıda"
    elif kind in (6, 7) and recent:
        values = list(rng.choice(recent))  # the same record again, unchanged
        if kind == 7 and not values[17] and values[1]:  # ... or moved on: closed since
            closed = datetime.datetime.strptime(values[1], TIME) + datetime.timedelta(hours=rng.randint(2, 200))
            values[14], values[15], values[17] = "Kapatıldı", closed.strftime(TIME), closed.strftime(TIME)
    else:
        values[4] = "  " + values[4] + " "
    return values


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="how many records")
    parser.add_argument("out", help="the CSV file to write")
    parser.add_argument("--seed", type=int, default=153)
    parser.add_argument("--year", type=int, default=2024, help="the year the records are opened in")
    parser.add_argument("--awkward", type=float, default=0.01, help="the share of awkward records (0 to 1)")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    start = datetime.datetime(args.year, 1, 1)
    seconds_in_year = (datetime.datetime(args.year + 1, 1, 1) - start).total_seconds()
    recent = []  # a few earlier records, to repeat: a bounded window, so memory stays flat
    with open(args.out, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADER)
        for index in range(args.n):
            # Records come roughly in the order they were opened, as exports do.
            opened = start + datetime.timedelta(seconds=int(seconds_in_year * (index + rng.random()) / args.n))
            opened = opened.replace(second=0)
            values = record(rng, index + 1, opened)
            if rng.random() < args.awkward:
                values = awkward(rng, values, recent)
            elif len(recent) < 1000:
                recent.append(values)
            elif rng.random() < 0.01:
                recent[rng.randrange(1000)] = values
            writer.writerow(values)
            if (index + 1) % 100_000 == 0:
                print(f"{index + 1:,} records", file=sys.stderr)
    print(f"wrote {args.n:,} records to {args.out}; import with --mapping tools/fixtures/synthetic-crm.toml",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
