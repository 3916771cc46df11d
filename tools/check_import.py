#!/usr/bin/env python3
"""Check `defter import legacy` against the source file, independently of Defter's Swift code.

Usage:
  check_import.py SOURCE MAPPING.toml [--defter PATH] [--data DIR] [--json-out FILE]
                  [--no-compare] [--baseline-json FILE] [--write-baseline FILE] [--catalog FILE]

Python 3.11 standard library only. The script reads SOURCE (CSV, NDJSON or an Open311
GeoReport v2 requests.json) with the TOML mapping, applies the import's row rules as
docs/migration.md states them, and prints what the import must have done: records read,
imported, changed, unchanged, bad (line and why), the values the mapping lacks, the findings,
the tickets by department and by status, and the median time to resolve in milliseconds.

Then, unless --no-compare, it runs
    DEFTER stats --data DIR --by department --json
    DEFTER stats --data DIR --by status --json
and compares the calls of every department and status, the resolved count and the overall
median time to resolve with what it computed. `defter stats` counts every ticket in the data
folder, so either DIR holds only the import, or --baseline-json names the stats taken before
the import (write them with --write-baseline FILE) and they are subtracted; a median cannot be
subtracted, so with a baseline it is not compared.

Exit status: 0 everything agrees (or --no-compare), 1 a figure differs, 2 bad usage, an
unreadable source or a mapping this script cannot read.
"""
import argparse
import csv
import datetime
import json
import os
import re
import subprocess
import sys
import tomllib
from zoneinfo import ZoneInfo

DISTRICTS = {"Dulkadiroğlu", "Onikişubat", "Afşin", "Andırın", "Çağlayancerit", "Ekinözü", "Elbistan", "Göksun",
             "Nurhak", "Pazarcık", "Türkoğlu"}
# A source state and the ticket status Defter gives an imported ticket in it (the keys of
# `defter stats --by status`).
STATUS_OF_STATE = {"open": "routed", "acknowledged": "acknowledged", "in-progress": "in-progress",
                   "resolved": "resolved", "closed": "closed", "cancelled": "cancelled"}
DONE = {"resolved", "closed"}
CHANNELS = {"phone", "web", "mobile-app", "whatsapp", "email", "walk-in"}
FIELDS = ["source_id", "opened", "closed", "updated", "due", "status", "agency", "request_type", "text", "address",
          "district", "neighbourhood", "latitude", "longitude", "channel", "caller_name", "caller_phone",
          "caller_email"]
# An open311 source's columns unless the mapping names others.
OPEN311_COLUMNS = {"source_id": "service_request_id", "opened": "requested_datetime", "updated": "updated_datetime",
                   "due": "expected_datetime", "status": "status", "agency": "agency_responsible",
                   "request_type": "service_name", "text": "description", "address": "address", "latitude": "lat",
                   "longitude": "long"}
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
ISTANBUL = ZoneInfo("Europe/Istanbul")
HERE = os.path.dirname(os.path.abspath(__file__))


class UsageError(Exception):
    """Bad usage, an unreadable source or mapping: exit status 2."""


# --- The mapping -------------------------------------------------------------------------

def load_mapping(path, catalog_path):
    try:
        with open(path, "rb") as handle:
            toml = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise UsageError(f"cannot read the mapping {path}: {error}")
    with open(catalog_path, encoding="utf-8") as handle:
        catalog = json.load(handle)
    departments = {d["id"] for d in catalog["departments"]}
    categories = {c["id"] for d in catalog["departments"] for c in d["categories"]}

    source = toml.get("source", {})
    system = source.get("system", "")
    if not re.fullmatch(r"[a-z0-9._-]{1,40}", system):
        raise UsageError(f"[source] system '{system}' must be 1 to 40 of a-z 0-9 . _ -")
    fmt = source.get("format", "csv")
    if fmt not in ("csv", "ndjson", "open311"):
        raise UsageError(f"[source] format '{fmt}' is not csv, ndjson or open311")
    encoding = {"utf-8": "utf-8-sig", "windows-1254": "cp1254"}.get(source.get("encoding", "utf-8"))
    if encoding is None:
        raise UsageError(f"[source] encoding '{source['encoding']}' is not utf-8 or windows-1254")
    delimiter = source.get("delimiter", ",")
    if len(delimiter) != 1:
        raise UsageError("[source] delimiter must be one character")
    zone = ZoneInfo(source.get("timezone", "Europe/Istanbul"))
    formats = [compile_time_format(f) for f in source.get("time_formats", ["iso8601"])]

    columns = dict(OPEN311_COLUMNS) if fmt == "open311" else {}
    for field, column in toml.get("columns", {}).items():
        if field not in FIELDS:
            raise UsageError(f"[columns] {field} is not a field; the fields are {', '.join(FIELDS)}")
        columns[field] = column.strip()
    for field in ("source_id", "opened"):
        if field not in columns:
            raise UsageError(f"[columns] {field} is required")

    def table(name, allowed, what):
        out = {}
        for key, value in toml.get(name, {}).items():
            if not allowed(value):
                raise UsageError(f"[{name}] \"{key}\" = \"{value}\": '{value}' is not {what}")
            out[key.strip()] = value
        return out

    defaults = toml.get("defaults", {})
    mapping = {
        "system": system, "format": fmt, "encoding": encoding, "delimiter": delimiter, "zone": zone,
        "formats": formats, "columns": columns,
        "agencies": table("agencies", lambda v: v in departments, "a department of the catalog"),
        "request_types": table("request_types", lambda v: v in categories or v in departments,
                               "a category or department of the catalog"),
        "statuses": table("statuses", lambda v: v in STATUS_OF_STATE, "one of " + ", ".join(STATUS_OF_STATE)),
        "channels": table("channels", lambda v: v in CHANNELS, "one of " + ", ".join(sorted(CHANNELS))),
        "districts": table("districts", lambda v: v in DISTRICTS, "one of the city's districts"),
        "default_channel": defaults.get("channel"), "default_district": defaults.get("district"),
    }
    if mapping["default_channel"] not in (None, *CHANNELS):
        raise UsageError(f"[defaults] channel '{mapping['default_channel']}' is not a channel")
    if mapping["default_district"] not in (None, *DISTRICTS):
        raise UsageError(f"[defaults] district '{mapping['default_district']}' is not one of the city's districts")
    return mapping


# --- Times: a pattern of yyyy MM dd HH hh mm ss SSS a, or "iso8601" -------------------------

TOKENS = [("yyyy", r"(?P<year>\d{4})"), ("MM", r"(?P<month>\d{1,2})"), ("dd", r"(?P<day>\d{1,2})"),
          ("HH", r"(?P<hour>\d{1,2})"), ("hh", r"(?P<hour12>\d{1,2})"), ("mm", r"(?P<minute>\d{1,2})"),
          ("ss", r"(?P<second>\d{1,2})"), ("SSS", r"(?P<fraction>\d{1,9})"), ("a", r"(?P<meridiem>[AaPp][Mm])")]
ISO = re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
                 r"(?:[Tt ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?"
                 r"(?P<offset>[Zz]|[+-]\d{2}:?\d{2})?)?")


def compile_time_format(pattern):
    if pattern.lower() == "iso8601":
        return ISO
    regex, rest = "", pattern
    while rest:
        for name, group in TOKENS:
            if rest.startswith(name):
                regex, rest = regex + group, rest[len(name):]
                break
        else:
            if rest[0].isalpha():
                raise UsageError(f"time format '{pattern}': '{rest[0]}' is not one of yyyy MM dd HH hh mm ss SSS a")
            regex, rest = regex + re.escape(rest[0]), rest[1:]
    return re.compile(regex)


def parse_time(text, mapping):
    """Milliseconds since 1970 of `text` in the first format that reads it, or None."""
    for regex in mapping["formats"]:
        match = regex.fullmatch(text)
        if match:
            parts = match.groupdict()
            moment = civil_time(parts, mapping["zone"])
            if moment is not None:
                return moment
    return None


def civil_time(parts, zone):
    number = lambda name: int(parts[name]) if parts.get(name) else 0  # noqa: E731
    hour = number("hour")
    if parts.get("hour12"):
        hour = number("hour12")
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if parts["meridiem"].lower() == "pm" else 0)
    fraction = parts.get("fraction") or ""
    milliseconds = int((fraction + "000")[:3]) if fraction else 0
    offset = parts.get("offset")
    if offset in ("Z", "z"):
        zone = datetime.timezone.utc
    elif offset:
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        zone = datetime.timezone(sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        moment = datetime.datetime(number("year"), number("month"), number("day"), hour, number("minute"),
                                   min(number("second"), 59), tzinfo=zone)
    except ValueError:  # no such day, hour or minute
        return None
    if number("second") > 60:
        return None
    return (moment - EPOCH) // datetime.timedelta(milliseconds=1) + milliseconds


# --- Reading the source: (line the record starts on, {column: value}) ----------------------

def read_csv(path, mapping):
    with open(path, encoding=mapping["encoding"], newline="") as handle:
        reader = csv.reader(handle, delimiter=mapping["delimiter"])
        header = [name.strip() for name in next(reader, [])]
        missing = [f"{field} = \"{column}\"" for field, column in mapping["columns"].items() if column not in header]
        if missing:
            raise UsageError(f"the header has no column for {', '.join(missing)}; it has {header}")
        index = {column: header.index(column) for column in mapping["columns"].values()}
        previous_line = reader.line_num
        for fields in reader:
            start, previous_line = previous_line + 1, reader.line_num
            if not fields:  # a blank line is not a record
                continue
            yield start, {column: fields[i] for column, i in index.items() if i < len(fields)}


def read_json(path, mapping):
    """NDJSON, or one JSON array of objects; nested members are named by their path (a.b)."""
    with open(path, encoding="utf-8-sig") as handle:
        text = handle.read()
    decoder, position = json.JSONDecoder(), 0
    in_array = text.lstrip().startswith("[")
    if in_array:
        position = text.index("[") + 1
    line = 1 + text.count("\n", 0, position)
    while True:
        while position < len(text) and text[position] in " \t\r\n" + ("," if in_array else ""):
            line += text[position] == "\n"
            position += 1
        if position >= len(text) or (in_array and text[position] == "]"):
            return
        value, end = decoder.raw_decode(text, position)
        if not isinstance(value, dict):
            raise UsageError(f"line {line}: expected a JSON object")
        yield line, flatten(value)
        line += text.count("\n", position, end)
        position = end


def flatten(members, prefix=""):
    out = {}
    for key, value in members.items():
        name = prefix + key
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, str):
            out[name] = value
        elif value is not None:
            out[name] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return out


# --- The row rules -----------------------------------------------------------------------

def map_record(values, mapping):
    """('bad', kind, reason) | ('unmapped', [(section, value)]) | ('mapped', record)."""
    def get(field):
        column = mapping["columns"].get(field)
        value = (values.get(column) or "").strip() if column else ""
        return value or None

    source_id = get("source_id")
    if source_id is None:
        return "bad", "empty-source-id", "the source id is empty"
    if get("opened") is None:
        return "bad", "no-opened-time", f"{source_id}: no opened time"
    times = {}
    for field in ("opened", "closed", "updated", "due"):
        text = get(field)
        if text is not None:
            times[field] = parse_time(text, mapping)
            if times[field] is None:
                return "bad", f"bad-{field}-time", f"{source_id}: {field} time '{text}' is in none of the time formats"

    unmapped, department, category = [], None, None
    request_type, agency = get("request_type"), get("agency")
    if request_type is not None and request_type in mapping["request_types"]:
        target = mapping["request_types"][request_type]
        department, category = (target.split(".")[0], target) if "." in target else (target, None)
    elif agency is not None and agency in mapping["agencies"]:
        department = mapping["agencies"][agency]
    else:
        if request_type is None and agency is None:
            return "bad", "no-agency-or-request-type", f"{source_id}: names neither an agency nor a request type"
        unmapped += [(section, value) for section, value in (("request_types", request_type), ("agencies", agency))
                     if value is not None]

    if "status" in mapping["columns"]:
        state = mapping["statuses"].get(get("status") or "")
        if state is None:
            unmapped.append(("statuses", get("status") or ""))
    else:
        state = "closed" if "closed" in times else "open"

    channel = mapping["default_channel"] or "phone"
    if "channel" in mapping["columns"]:
        channel = mapping["channels"].get(get("channel") or "", mapping["default_channel"])
        if channel is None:
            unmapped.append(("channels", get("channel") or ""))

    district, named = None, get("district")
    if named is not None:
        district = mapping["districts"].get(named, named if named in DISTRICTS else None)
    if district is None:
        district = mapping["default_district"]
        if district is None and named is None:
            return "bad", "no-district", f"{source_id}: no district, and the mapping has no [defaults] district"
        if district is None:
            unmapped.append(("districts", named))

    if unmapped:
        return "unmapped", unmapped
    if state in DONE and "closed" not in times:
        return "bad", "done-without-closed-time", f"{source_id}: {state} but has no closed time"

    opened, closed = times["opened"], times.get("closed")
    findings = []
    if closed is not None and closed < opened:
        findings.append("closed-before-opened")
    if closed is not None and state not in DONE and state != "cancelled":
        findings.append("closed-time-on-open-record")
    if times.get("updated") is not None and times["updated"] < opened:
        findings.append("updated-before-opened")
    if times.get("due") is not None and times["due"] < opened:
        findings.append("due-before-opened")
    # What decides whether a later row of the same record changed it (personal data and free
    # text do not count).
    identity = hash((opened, state, closed, times.get("updated"), department, category, times.get("due"), channel,
                     district, get("neighbourhood")))
    return "mapped", {"sourceId": source_id, "department": department, "category": category, "state": state,
                      "opened": opened, "closed": closed, "findings": findings, "identity": identity}


def check_source(path, mapping):
    reader = read_csv if mapping["format"] == "csv" else read_json
    result = {"rowsRead": 0, "mapped": 0, "imported": 0, "changed": 0, "unchanged": 0, "bad": [],
              "unmappedRecords": 0, "unmapped": {}, "findings": {}}
    records = {}  # source id -> (department, state, opened, closed, identity): the record as the import leaves it
    try:
        for line, values in reader(path, mapping):
            result["rowsRead"] += 1
            outcome = map_record(values, mapping)
            if outcome[0] == "bad":
                result["bad"].append({"line": line, "kind": outcome[1], "reason": outcome[2]})
                continue
            if outcome[0] == "unmapped":
                result["unmappedRecords"] += 1
                for section, value in outcome[1]:
                    counts = result["unmapped"].setdefault(section, {})
                    counts[value] = counts.get(value, 0) + 1
                continue
            record = outcome[1]
            result["mapped"] += 1
            earlier = records.get(record["sourceId"])
            if earlier is not None and earlier[4] == record["identity"]:
                result["unchanged"] += 1
                continue
            result["changed" if earlier is not None else "imported"] += 1
            for finding in record["findings"]:
                result["findings"].setdefault(finding, []).append(line)
            records[record["sourceId"]] = (record["department"], record["state"], record["opened"], record["closed"],
                                           record["identity"])
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as error:
        raise UsageError(f"cannot read {path}: {error}")

    by_department, by_status, by_year, durations = {}, {}, {}, []
    for department, state, opened, closed, _ in records.values():
        year = str(datetime.datetime.fromtimestamp(opened / 1000, ISTANBUL).year)
        by_year[year] = by_year.get(year, 0) + 1
        by_department[department] = by_department.get(department, 0) + 1
        by_status[STATUS_OF_STATE[state]] = by_status.get(STATUS_OF_STATE[state], 0) + 1
        if state in DONE:
            durations.append(closed - opened)
    result["byDepartment"] = dict(sorted(by_department.items()))
    result["byStatus"] = dict(sorted(by_status.items()))
    # Imported tickets are numbered YYYY-9NNNNNNN by the year of opening in Istanbul.
    result["byYearOfOpening"] = dict(sorted(by_year.items()))
    result["unmapped"] = {section: dict(sorted(values.items()))
                          for section, values in sorted(result["unmapped"].items())}
    result["resolved"] = len(durations)
    result["resolveMedianMilliseconds"] = nearest_rank(durations, 0.5)
    result["resolveMedianHours"] = None if not durations else hours(result["resolveMedianMilliseconds"])
    return result


def nearest_rank(values, p):
    """The nearest-rank percentile: rank = ceil(p x n), at least 1, over the ascending values."""
    if not values:
        return None
    rank = max(1, -(-round(p * 1000) * len(values) // 1000))
    return sorted(values)[rank - 1]


def hours(milliseconds):
    """Hours to two places, rounded half away from zero as `defter stats --json` does."""
    value = abs(milliseconds) / 3_600_000
    return (-1 if milliseconds < 0 else 1) * int(value * 100 + 0.5) / 100


# --- Comparing with `defter stats` ------------------------------------------------------

def run_defter(defter, *args):
    """`defter ARGS`' standard output as JSON; a failure to run it is a usage error."""
    command = [defter, *args]
    try:
        run = subprocess.run(command, capture_output=True, text=True)
    except OSError as error:
        raise UsageError(f"cannot run {defter}: {error}")
    if run.returncode != 0:
        raise UsageError(f"`{' '.join(command)}` failed ({run.returncode}): {run.stderr.strip()}")
    return json.loads(run.stdout)


def defter_stats(defter, data, by):
    return run_defter(defter, "stats", "--data", data, "--by", by, "--json")


def compare(expected, stats, baseline):
    """Every difference between the computed figures and `defter stats`, in words."""
    differences = []
    for by, computed in (("department", expected["byDepartment"]), ("status", expected["byStatus"])):
        calls = {row["key"]: row["calls"] for row in stats[by]["rows"]}
        before = {row["key"]: row["calls"] for row in baseline[by]["rows"]} if baseline else {}
        for key in sorted(set(calls) | set(computed) | set(before)):
            added = calls.get(key, 0) - before.get(key, 0)
            if added != computed.get(key, 0):
                differences.append(f"{by} '{key}': defter stats shows {added} imported calls, the source gives "
                                   f"{computed.get(key, 0)}")
    total = stats["department"]["total"]
    base = baseline["department"]["total"] if baseline else {"calls": 0, "resolved": 0}
    for name, computed in (("calls", expected["imported"]), ("resolved", expected["resolved"])):
        if total[name] - base[name] != computed:
            differences.append(f"total {name}: defter stats shows {total[name] - base[name]}, "
                               f"the source gives {computed}")
    median = expected["resolveMedianMilliseconds"]
    if baseline:
        print("median time to resolve: not compared (a median of the whole folder cannot be split by subtraction)")
    elif "resolveMedianMilliseconds" in total:
        if total["resolveMedianMilliseconds"] != median:
            differences.append(f"median time to resolve: defter stats shows {total['resolveMedianMilliseconds']} ms, "
                               f"the source gives {median} ms")
    elif (total.get("resolveMedianHours") is None) != (median is None) or (
            median is not None and abs(total["resolveMedianHours"] - hours(median)) > 0.0051):
        differences.append(f"median time to resolve: defter stats shows {total.get('resolveMedianHours')} h, "
                           f"the source gives {None if median is None else hours(median)} h ({median} ms)")
    return differences


def defter_report(defter, data, years):
    """The accountability report over the whole years the import's records were opened in."""
    period = f"{min(years)}-01-01..{max(years)}-12-31"
    return period, run_defter(defter, "report", "--data", data, "--period", period, "--format", "json")


def compare_report(expected, report, period):
    """Every difference between the computed figures and the accountability report, in words.
    The report's medians are exact milliseconds; it covers only the import when the data folder
    holds nothing else in those years."""
    differences = []
    headline = report["headline"]
    for name, computed in (("imported", expected["imported"]), ("calls", expected["imported"]),
                           ("resolved", expected["resolved"]), ("resolveMedianMs", expected["resolveMedianMilliseconds"])):
        if headline.get(name) != computed:
            differences.append(f"report {period} {name}: the report says {headline.get(name)}, the source gives {computed}")
    calls = {row["key"]: row["calls"] for row in report["byDepartment"]}
    if calls != expected["byDepartment"]:
        differences.append(f"report {period} by department: the report says {calls}, the source gives {expected['byDepartment']}")
    return differences


# --- Printing ----------------------------------------------------------------------------

def print_result(result):
    print(f"{result['rowsRead']} records read: {result['imported']} imported, {result['changed']} changed, "
          f"{result['unchanged']} unchanged, {len(result['bad'])} bad, {result['unmappedRecords']} with values "
          f"the mapping lacks")
    for bad in result["bad"][:50]:
        print(f"  bad, line {bad['line']}: {bad['reason']}")
    if len(result["bad"]) > 50:
        print(f"  ... and {len(result['bad']) - 50} more bad records (all are in --json-out)")
    for section, values in sorted(result["unmapped"].items()):
        for value, count in sorted(values.items()):
            print(f"  unmapped [{section}] '{value}': {count} records")
    for finding, lines in sorted(result["findings"].items()):
        print(f"  finding {finding}: {len(lines)} records, lines {', '.join(map(str, lines[:20]))}"
              + (", ..." if len(lines) > 20 else ""))
    print("tickets by department: " + ", ".join(f"{k} {v}" for k, v in result["byDepartment"].items()))
    print("tickets by status:     " + ", ".join(f"{k} {v}" for k, v in result["byStatus"].items()))
    median = result["resolveMedianMilliseconds"]
    print(f"resolved {result['resolved']}; median time to resolve "
          + ("-" if median is None else f"{median} ms ({hours(median)} h)"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source")
    parser.add_argument("mapping")
    parser.add_argument("--defter", default="defter", help="the defter executable (default: defter on PATH)")
    parser.add_argument("--data", default=os.environ.get("DEFTER_DATA") or "data", help="the data folder")
    parser.add_argument("--json-out", help="write the computed figures to this file as JSON")
    parser.add_argument("--no-compare", action="store_true", help="only compute; do not run defter stats")
    parser.add_argument("--baseline-json", help="stats taken before the import (from --write-baseline), subtracted")
    parser.add_argument("--write-baseline", metavar="FILE", help="write the data folder's stats now, for "
                        "--baseline-json after the import, and exit")
    parser.add_argument("--catalog", default=os.path.join(HERE, "..", "Schemas", "catalog", "catalog-v2.json"),
                        help="the service catalog the mapping's departments and categories are checked against")
    args = parser.parse_args(argv)
    try:
        if args.write_baseline:
            stats = {by: defter_stats(args.defter, args.data, by) for by in ("department", "status")}
            with open(args.write_baseline, "w", encoding="utf-8") as out:
                json.dump(stats, out, indent=2)
            print(f"wrote the stats of {args.data} to {args.write_baseline}")
            return 0
        mapping = load_mapping(args.mapping, args.catalog)
        result = check_source(args.source, mapping)
        print_result(result)
        if args.json_out:
            document = {"source": os.path.basename(args.source), "mapping": os.path.basename(args.mapping),
                        "system": mapping["system"], **result}
            with open(args.json_out, "w", encoding="utf-8") as out:
                json.dump(document, out, indent=2, ensure_ascii=False)
                out.write("\n")
        if args.no_compare:
            return 0
        baseline = None
        if args.baseline_json:
            with open(args.baseline_json, encoding="utf-8") as handle:
                baseline = json.load(handle)
        stats = {by: defter_stats(args.defter, args.data, by) for by in ("department", "status")}
        differences = compare(result, stats, baseline)
        if not baseline and result["byYearOfOpening"]:
            period, report = defter_report(args.defter, args.data, [int(y) for y in result["byYearOfOpening"]])
            differences += compare_report(result, report, period)
    except UsageError as error:
        print(f"check_import: {error}", file=sys.stderr)
        return 2
    if differences:
        print(f"DIFFERENT: {len(differences)} figures of `defter stats` disagree with the source:", file=sys.stderr)
        for difference in differences:
            print(f"  {difference}", file=sys.stderr)
        return 1
    print(f"OK: defter stats agrees with the source (departments, statuses, totals"
          f"{'' if baseline else ', median time to resolve'})"
          f"{'' if baseline else '; so does the accountability report over the same years, median to the millisecond'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
