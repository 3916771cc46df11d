#!/usr/bin/env python3
"""Check a published Defter accountability report (`defter-report/1`) against the log.

Standard library plus py-lmdb only; the Merkle, signed-note and Ed25519 code is verify_log.py's.
Usage: verify_report.py REPORT (--data DIR | --export FILE.ndjson) [--vkey KEY_OR_FILE] [--json]

REPORT is the report's JSON, or its HTML page, which embeds the same object in
<script type="application/json" id="defter-report">. The check, as Schemas/report-format.md says:

  1. The report's checkpoint is a signed note by the log's key, for the report's treeSize and root,
     and the RFC 6962 root of the first treeSize entries (from the data folder's `events`
     database, or lines 2..treeSize+1 of a `defter-export/1` file) is that root.
  2. Every `headline` figure, and the integer counts of the `total` row, recomputed from those
     entries alone, for the tickets whose CallReceived falls in the period (days in Europe/Istanbul),
     equal the published ones.

Exit status: 0 the report checks, 1 a figure, the signature or the root does not, 2 bad usage
or unreadable input.
"""
import argparse
import base64
import datetime
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import verify_log as vl  # noqa: E402  (Merkle tree, signed notes, Ed25519)
import verify_tiles as vt  # noqa: E402  (witnesses' cosignatures, C2SP tlog-cosignature)

UsageError = vl.UsageError

# The lifecycle events the spec counts. Other entries may carry a `ticket` too (e.g.
# TicketNumberAssigned on stream ticket-numbers-<year>): they are not lifecycle events.
TICKET_TYPES = {
    "CallReceived", "InformationProvided", "TicketOpened", "TicketRouted", "RoutingOverridden",
    "TicketReferred", "TicketAssigned", "TicketAcknowledged", "WorkStarted", "TicketResolved",
    "TicketClosed", "TicketReopened", "TicketMergedAsDuplicate", "TicketCancelled",
    "CitizenNotified", "FeedbackReceived", "SLAEscalated", "NoteAdded",
    "TicketImported", "ImportedRecordChanged",
}
# An imported record's mapped state -> the ticket's status (Sources/DefterDomain/Imports.swift).
IMPORTED_STATUS = {"open": "routed", "acknowledged": "acknowledged", "in-progress": "in-progress",
                   "resolved": "resolved", "closed": "closed", "cancelled": "cancelled"}
# A ticket's status after each event (Sources/DefterDomain/Rules.swift, `evolve`); the types
# not listed leave it unchanged. TicketRouted goes to `triage` or `routed` (see below).
STATUS_AFTER = {
    "InformationProvided": "closed-at-first-contact", "TicketOpened": "open",
    "RoutingOverridden": "routed", "TicketReferred": "routed", "TicketAcknowledged": "acknowledged",
    "WorkStarted": "in-progress", "TicketResolved": "resolved", "TicketClosed": "closed",
    "TicketReopened": "routed", "TicketMergedAsDuplicate": "merged", "TicketCancelled": "cancelled",
}
HEADLINE = ["calls", "imported", "ticketsOpened", "closedAtFirstContact", "resolved", "withStandard",
            "resolvedWithinStandard", "resolveMedianMs", "resolveP90Ms"]
TOTAL = ["calls", "imported", "ticketsOpened", "closedAtFirstContact", "resolved", "withStandard",
         "resolvedWithinStandard", "triaged", "reopened", "referrals", "overrides", "escalated",
         "cancelled", "merged"]

TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
EPOCH = datetime.datetime(1970, 1, 1)
try:  # the IANA time zone, as Defter uses; UTC+03:00 all year since 2016-09-07 in any case
    from zoneinfo import ZoneInfo
    ISTANBUL = ZoneInfo("Europe/Istanbul")
except Exception:  # no tz database on this machine: exact for every day since 2016-09-07
    ISTANBUL = datetime.timezone(datetime.timedelta(hours=3))
UTC_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def ms(text):
    """RFC 3339 UTC time with milliseconds -> integer milliseconds since 1970 (exact)."""
    if not isinstance(text, str) or not TIME.fullmatch(text):
        raise ValueError(f"time {text!r} is not YYYY-MM-DDTHH:MM:SS.mmmZ")
    return (datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ") - EPOCH) // datetime.timedelta(milliseconds=1)


def istanbul_day(millis):
    return (UTC_EPOCH + datetime.timedelta(milliseconds=millis)).astimezone(ISTANBUL).date().isoformat()


def nearest_rank(values, num, den):
    """Nearest-rank percentile p = num/den: the value of rank ceil(p*n) (at least 1), ascending."""
    if not values:
        return None
    return sorted(values)[max(1, -(-num * len(values) // den)) - 1]


class Ticket:
    """What the figures need to know of one ticket, from its events in log order."""

    def __init__(self, received, imported=False):
        self.received, self.status, self.imported = received, "received", imported
        self.opened = self.information = self.triaged = False
        self.due = self.first_resolved = None
        self.reopened = self.referrals = self.overrides = self.escalations = 0

    def adopt(self, record):
        """An imported record (TicketImported, or ImportedRecordChanged replacing it): a snapshot of
        what the source system said, so its deadline and resolution replace what came before."""
        self.opened = True
        self.status = IMPORTED_STATUS[record["state"]]
        self.due = ms(record["dueAt"]) if record.get("dueAt") is not None else None
        done = record["state"] in ("resolved", "closed")
        self.first_resolved = ms(record["closedAt"]) if done and record.get("closedAt") is not None else None

    def apply(self, kind, data):
        if kind == "ImportedRecordChanged":
            self.adopt(data["record"])
            return
        if kind == "TicketRouted":
            self.triaged |= data["destination"] == "triage"
            self.status = "triage" if data["destination"] == "triage" else "routed"
        self.status = STATUS_AFTER.get(kind, self.status)
        if kind in ("TicketRouted", "RoutingOverridden") and self.due is None and data.get("dueAt") is not None:
            # The deadline: the first non-null dueAt of these two types, in log order (the dueAt
            # of TicketReferred and TicketReopened does not count, as report-format.md says).
            self.due = ms(data["dueAt"])
        if kind == "TicketResolved" and self.first_resolved is None:
            self.first_resolved = ms(data["at"])
        self.opened |= kind == "TicketOpened"
        self.information |= kind == "InformationProvided"
        self.reopened += kind == "TicketReopened"
        self.referrals += kind == "TicketReferred"
        self.overrides += kind == "RoutingOverridden"
        self.escalations += kind == "SLAEscalated"


def figures(entries, first_day, last_day):
    """Replays the entries (already decoded) and returns (headline, total) as report-format.md defines them."""
    tickets = {}
    for entry in entries:
        kind, data = entry["type"], entry["data"]
        if kind not in TICKET_TYPES:
            continue
        if kind in ("CallReceived", "TicketImported"):
            if data["ticket"] in tickets:
                raise ValueError(f"entry {entry['seq']}: a second {kind} for ticket {data['ticket']}")
            tickets[data["ticket"]] = Ticket(ms(data["at"]), imported=kind == "TicketImported")
            if kind == "TicketImported":
                tickets[data["ticket"]].adopt(data["record"])
        elif data["ticket"] in tickets:  # an event of a ticket whose call is not in the log is ignored
            tickets[data["ticket"]].apply(kind, data)
    counted = [t for t in tickets.values() if first_day <= istanbul_day(t.received) <= last_day]
    resolved = [t for t in counted if t.first_resolved is not None]
    standard = [t for t in resolved if t.due is not None]
    durations = [t.first_resolved - t.received for t in resolved]
    total = {
        "calls": len(counted),
        "imported": sum(t.imported for t in counted),
        "ticketsOpened": sum(t.opened for t in counted),
        "closedAtFirstContact": sum(t.information for t in counted),
        "resolved": len(resolved),
        "withStandard": len(standard),
        "resolvedWithinStandard": sum(t.first_resolved <= t.due for t in standard),
        "resolveMedianMs": nearest_rank(durations, 1, 2),
        "resolveP90Ms": nearest_rank(durations, 9, 10),
        "triaged": sum(t.triaged for t in counted),
        "reopened": sum(t.reopened > 0 for t in counted),
        "referrals": sum(t.referrals for t in counted),
        "overrides": sum(t.overrides for t in counted),
        "escalated": sum(t.escalations > 0 for t in counted),
        "cancelled": sum(t.status == "cancelled" for t in counted),
        "merged": sum(t.status == "merged" for t in counted),
    }
    return {k: total[k] for k in HEADLINE}, {k: total[k] for k in TOTAL}


# ---- Inputs ------------------------------------------------------------------------------------
def load_report(path):
    try:
        text = open(path, encoding="utf-8").read()
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read {path}: {e}")
    if not text.lstrip().startswith("{"):  # an HTML page: take the embedded JSON block
        found = re.search(r'<script\b[^>]*\bid="defter-report"[^>]*>(.*?)</script>', text, re.S)
        if not found:
            raise UsageError(f"{path} is neither report JSON nor an HTML page with a defter-report script block")
        text = found.group(1)
    try:
        report = json.loads(text)
        cp, period = report["checkpoint"], report["period"]
        if report["format"] != "defter-report/1":
            raise ValueError(f"format is {report['format']!r}, not 'defter-report/1'")
        if not (type(cp["treeSize"]) is int and cp["treeSize"] >= 0 and isinstance(cp["note"], str)
                and isinstance(cp["root"], str) and isinstance(cp["origin"], str)):
            raise ValueError("checkpoint needs origin, treeSize, root and note")
        for day in (period["from"], period["to"]):
            datetime.date.fromisoformat(day)
        if not isinstance(report["headline"], dict) or not isinstance(report["total"], dict):
            raise ValueError("headline and total must be objects")
    except KeyError as e:
        raise UsageError(f"{path} is not a defter-report/1 report: it has no field {e}")
    except (ValueError, TypeError) as e:
        raise UsageError(f"{path} is not a defter-report/1 report: {e}")
    return report


def read_vkey(text_or_file):
    if os.path.isfile(text_or_file):
        with open(text_or_file, encoding="utf-8") as f:
            return f.read().strip()
    return text_or_file.strip()


def data_source(path):
    """(entries, vkey text, where the key came from) for a data folder; entries(n) yields the
    stored bytes of entries 1..n (fewer if the log is shorter), in order."""
    import lmdb
    if not os.path.isfile(os.path.join(path, "data.mdb")):
        raise UsageError(f"{path!r} is not a folder holding data.mdb")
    try:
        env = lmdb.open(path, readonly=True, lock=False, max_dbs=16, subdir=True)
        with env.begin() as txn:
            meta = dict(txn.cursor(env.open_db(b"meta", txn=txn, create=False)))
            env.open_db(b"events", txn=txn, create=False)
    except lmdb.Error as e:
        raise UsageError(f"cannot read {path} as a Defter log: {e}")

    def entries(n):
        with env.begin() as txn:  # a database handle lives as long as the read transaction
            for seq, (key, raw) in enumerate(txn.cursor(env.open_db(b"events", txn=txn, create=False)), 1):
                if seq > n or key != vl.be(seq):
                    return
                yield raw

    vkey_file = os.path.join(path, "checkpoint.vkey")
    if os.path.isfile(vkey_file):
        return entries, read_vkey(vkey_file), f"the data folder's {vkey_file}"
    return entries, meta.get(b"vkey", b"").decode(), "the key stored in the log's meta"


def export_source(path):
    """The same for a defter-export/1 file: entry k is line k + 1 without its newline."""
    try:
        with open(path, "rb") as f:
            header = json.loads(f.readline())
        if not isinstance(header, dict) or header.get("format") != "defter-export/1":
            raise ValueError("its first line is not a defter-export/1 header")
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot read {path} as a defter-export/1 file: {e}")

    def entries(n):
        with open(path, "rb") as f:
            f.readline()
            for k, line in enumerate(f, 1):
                if k > n:
                    return
                yield line[:-1] if line.endswith(b"\n") else line

    return entries, str(header.get("vkey", "")), f"the export header's vkey ({path})"


# ---- The check ---------------------------------------------------------------------------------
def check(report, entries, vkey_text, vkey_source, witnesses=(), quorum=0):
    """Checks `report` against entries(n) (see data_source); returns the result as a dict.
    `witnesses`: cosigner keys (verify_tiles.parse_cosigner) of which `quorum` must have cosigned
    the report's checkpoint (the C2SP tlog-cosignature lines after the log's signature)."""
    problems, cp, lines = [], report["checkpoint"], []
    cosignatures = []
    size = cp["treeSize"]
    try:
        vkey = vl.parse_vkey(vkey_text)
    except ValueError as e:
        raise UsageError(f"bad verifier key from {vkey_source}: {e}")
    try:  # (a) the signed checkpoint, and the root of the first treeSize entries
        signed_size, signed_root = vl.check_note(cp["note"], vkey, cp["origin"], cosignatures)
        if (signed_size, base64.b64encode(signed_root).decode()) != (size, cp["root"]):
            problems.append(f"the signed note is for size {signed_size}, root {base64.b64encode(signed_root).decode()}, "
                            f"but the report says size {size}, root {cp['root']}")
    except ValueError as e:
        problems.append(f"the report's checkpoint is not validly signed by {vkey[0]}: {e}")
    vouching = [w[0] for w in witnesses if vt.cosigned_by(cosignatures, w)]
    if witnesses:
        lines.append({"figure": "witnesses", "report": cp.get("witnesses", []), "recomputed": vouching, "ok": len(vouching) >= quorum})
        if len(vouching) < quorum:
            problems.append(f"{len(vouching)} of the {len(witnesses)} witnesses given cosigned the report's checkpoint "
                            f"({', '.join(vouching) or 'none'}); {quorum} are required")
    count, frontier = 0, []
    for raw in entries(size):  # leaf = SHA-256(0x00 || exact stored bytes)
        vl.push_leaf(frontier, vl.leaf_hash(raw))
        count += 1
    root = base64.b64encode(vl.frontier_root(frontier)).decode()
    if count < size:
        problems.append(f"only the first {count} of the checkpoint's {size} entries are in the log")
    elif root != cp["root"]:
        problems.append(f"the root of the first {size} entries is {root}, the report's checkpoint says {cp['root']}")
    headline = total = None
    try:  # (b) the figures, from those entries only (a second pass: nothing is held in memory)
        if count < size:
            raise ValueError("the log lacks entries the report counted")
        headline, total = figures((json.loads(raw) for raw in entries(size)),
                                  report["period"]["from"], report["period"]["to"])
    except KeyError as e:
        problems.append(f"cannot recompute the figures: an entry lacks the field {e}")
    except (ValueError, TypeError) as e:
        problems.append(f"cannot recompute the figures from the log: {e}")
    if headline is not None:
        for prefix, published, ours in (("", report["headline"], headline), ("total.", report["total"], total)):
            for name, value in ours.items():
                if name == "imported" and name not in published and value == 0:
                    continue  # reports written before imports existed have no such figure
                theirs = published.get(name, "(missing)")
                ok = type(theirs) is type(value) and theirs == value  # 1.0 or true is not 1
                lines.append({"figure": prefix + name, "report": theirs, "recomputed": value, "ok": ok})
        empty = report.get("empty", False)  # may be left out when false
        lines.append({"figure": "empty", "report": empty, "recomputed": total["calls"] == 0, "ok": empty is (total["calls"] == 0)})
        problems += [f"{line['figure']}: the report says {json.dumps(line['report'])}, the log gives {json.dumps(line['recomputed'])}"
                     for line in lines if not line["ok"]]
    return {"ok": not problems, "treeSize": size, "root": cp["root"], "period": report["period"],
            "vkey": vkey_text, "vkeySource": vkey_source, "figures": lines, "problems": problems}


def main(argv):
    parser = argparse.ArgumentParser(description="Check a Defter accountability report against the log.")
    parser.add_argument("report", help="the report: its JSON, or its HTML page")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", help="the log's data folder")
    source.add_argument("--export", help="the log's defter-export/1 NDJSON file")
    parser.add_argument("--vkey", help="the published verifier key: its text, or a file holding it")
    parser.add_argument("--witness", action="append", default=[],
                        help="a witness's cosigner key (or a file holding it); repeatable")
    parser.add_argument("--quorum", type=int, default=None,
                        help="how many of the --witness keys must have cosigned the checkpoint (default: all)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)  # exits 2 on bad usage
    try:
        report = load_report(args.report)
        entries, vkey, vkey_source = data_source(args.data) if args.data else export_source(args.export)
        if args.vkey:
            vkey, vkey_source = read_vkey(args.vkey), "--vkey"
        witnesses = []
        for text in args.witness:
            try:
                witnesses.append(vt.parse_cosigner(read_vkey(text)))
            except ValueError as e:
                raise UsageError(f"--witness: {e}")
        quorum = len(witnesses) if args.quorum is None else args.quorum
        result = check(report, entries, vkey, vkey_source, witnesses, quorum)
    except UsageError as e:
        print(f"verify_report: {e}", file=sys.stderr)
        return 2
    if args.vkey is None:
        print(f"warning: using {vkey_source}; pinning the log's published key with --vkey is better", file=sys.stderr)
    if args.json:
        print(json.dumps(result, sort_keys=True, ensure_ascii=False))
    else:
        print(f"checkpoint: size {result['treeSize']}, root {result['root']}, key {vkey.split('+')[0]} from {vkey_source}")
        width = max([len(line["figure"]) for line in result["figures"]] + [0])
        for line in result["figures"]:
            print(f"{line['figure']:<{width}}  report {json.dumps(line['report'])}  "
                  f"recomputed {json.dumps(line['recomputed'])}  {'ok' if line['ok'] else 'MISMATCH'}")
        for problem in result["problems"]:
            print(f"PROBLEM: {problem}")
        print("OK: the report matches the signed log" if result["ok"] else f"FAILED: {len(result['problems'])} problem(s)")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
