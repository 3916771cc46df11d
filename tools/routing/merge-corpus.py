"""Merges the router's corpus (relabelled to catalog v2's conventions) with a new draft corpus.

Usage: python3 tools/routing/merge-corpus.py OLD.csv DRAFT.csv OUT.csv

Rows of OLD are kept and come first, relabelled the way catalog v2 splits the work:
manhole covers move to the water utility; music and crowd noise from venues, and noise from
building sites, move from Çevre Koruma to Zabıta (docs/tickets.md, "The catalog, version 2").
Exact duplicate texts are dropped. Deterministic: the same inputs give the same bytes.
"""
import csv, re, sys, io
old_path, draft_path, out_path = sys.argv[1:4]
fold_map = str.maketrans("İIıÇçĞğÖöŞşÜüÂâÎîÛû", "iiiccggoossuuaaiiuu")
def fold(t): return t.translate(fold_map).lower()
MUSIC = re.compile(r"kafe|dugun|kahvehane|spor salon|sinema|kina|restoran|bar\b|muzik")
SITE = re.compile(r"insaat")
def relabel(label, category, text):
    f = fold(text)
    if category == "fen-isleri.rogar-kapagi":
        return "su-kanalizasyon", "su-kanalizasyon.rogar-kapagi"
    if category == "cevre-koruma.gurultu":
        if SITE.search(f): return "zabita", "zabita.insaat-duzeni"
        if MUSIC.search(f) and "havalandirma" not in f: return "zabita", "zabita.isyeri-gurultu"
    return label, category
rows = []
seen = set()
for row in csv.DictReader(open(old_path, encoding="utf-8")):
    label, category = relabel(row["label"], row["category"], row["text"])
    rows.append((label, category, row["text"]))
for row in csv.DictReader(open(draft_path, encoding="utf-8")):
    rows.append((row["label"], row["category"], row["text"]))
out = io.StringIO()
w = csv.writer(out, lineterminator="\n")
w.writerow(["label", "category", "text"])
dups = 0
for r in rows:
    if r[2] in seen: dups += 1; continue
    seen.add(r[2]); w.writerow(r)
open(out_path, "w", encoding="utf-8").write(out.getvalue())
print(len(rows) - dups, "rows;", dups, "exact duplicates dropped", file=sys.stderr)
