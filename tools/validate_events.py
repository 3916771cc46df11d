#!/usr/bin/env python3
"""Validates stored Defter log entries against the event data schemas.

Usage: python3 tools/validate_events.py [--schemas DIR] FILE.ndjson

Each input line is a stored log entry envelope, {"type": ..., "data": {...}, ...}, as
`defter log read` prints it ("-" reads standard input). Each entry's `data` is validated
against DIR/<type>.schema.json (JSON Schema draft 2020-12; DIR defaults to Schemas/events
beside this tool). References such as "common.schema.json#/$defs/time" resolve from DIR.

Every schema file in DIR is first checked with Draft202012Validator.check_schema. Then every
entry whose type has no schema, or whose data does not validate, is reported with its line
number, type and the failing path and message. The last line is a summary, `N passed, M failed`.

Exit status: 0 when every entry passes; 1 when any entry fails; 2 when the schemas or the
arguments are unusable.

This tool is independent of the Swift code: it reads only the schemas and the NDJSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

try:
    import jsonschema
    from jsonschema import Draft202012Validator
except ImportError:  # pragma: no cover - depends on the machine
    sys.stderr.write(
        "validate_events.py needs the jsonschema package: python3 -m pip install --quiet jsonschema\n"
    )
    sys.exit(2)

try:
    import referencing
    import referencing.exceptions
    from referencing.jsonschema import DRAFT202012
except ImportError:  # jsonschema < 4.18 has no `referencing`; fall back to RefResolver.
    referencing = None

SCHEMA_SUFFIX = ".schema.json"
COMMON = "common.schema.json"


def fail_setup(message: str) -> None:
    sys.stderr.write(f"validate_events.py: {message}\n")
    sys.exit(2)


def load_schemas(directory: Path) -> dict[str, dict]:
    """Loads and checks every *.schema.json in `directory`, keyed by file name."""
    if not directory.is_dir():
        fail_setup(f"no schema folder at {directory}")
    schemas: dict[str, dict] = {}
    problems = []
    for path in sorted(directory.glob("*" + SCHEMA_SUFFIX)):
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            problems.append(f"{path.name}: not readable JSON: {error}")
            continue
        try:
            Draft202012Validator.check_schema(schema)
        except jsonschema.exceptions.SchemaError as error:
            where = "/" + "/".join(str(p) for p in error.absolute_path)
            problems.append(f"{path.name}: not a valid draft 2020-12 schema at {where}: {error.message}")
            continue
        schemas[path.name] = schema
    if COMMON not in schemas and not any(p.startswith(COMMON) for p in problems):
        problems.append(f"{COMMON}: missing")
    if problems:
        for problem in problems:
            sys.stderr.write(f"schema error: {problem}\n")
        fail_setup(f"{len(problems)} schema problem(s) in {directory}")
    return schemas


def make_validators(directory: Path, schemas: dict[str, dict]) -> dict[str, Draft202012Validator]:
    """One validator per event type, with every schema in the folder available to $ref."""
    event_schemas = {name[: -len(SCHEMA_SUFFIX)]: s for name, s in schemas.items() if name != COMMON}
    if referencing is not None:
        resources = []
        for name, schema in schemas.items():
            resource = DRAFT202012.create_resource(schema)
            # Register each schema under its $id and under its file name and file URI, so that
            # a relative "common.schema.json#..." resolves whether or not a schema has an $id.
            uris = {name, (directory / name).resolve().as_uri()}
            if isinstance(schema.get("$id"), str):
                uris.add(schema["$id"])
            resources.extend((uri, resource) for uri in uris)

        def retrieve(uri: str):
            # Last resort: a reference to some other file in the folder, by its last path part.
            candidate = directory / uri.rsplit("/", 1)[-1]
            if candidate.name.endswith(SCHEMA_SUFFIX) and candidate.is_file():
                return DRAFT202012.create_resource(json.loads(candidate.read_text(encoding="utf-8")))
            raise referencing.exceptions.NoSuchResource(ref=uri)

        registry = referencing.Registry(retrieve=retrieve).with_resources(resources)
        return {t: Draft202012Validator(s, registry=registry) for t, s in event_schemas.items()}

    store = {}
    for name, schema in schemas.items():
        store[name] = schema
        store[(directory / name).resolve().as_uri()] = schema
        if isinstance(schema.get("$id"), str):
            store[schema["$id"]] = schema
    validators = {}
    for t, s in event_schemas.items():
        base = s.get("$id") or (directory / f"{t}{SCHEMA_SUFFIX}").resolve().as_uri()
        resolver = jsonschema.RefResolver(base_uri=base, referrer=s, store=store)
        validators[t] = Draft202012Validator(s, resolver=resolver)
    return validators


def json_pointer(path) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


def entry_errors(entry, validators) -> tuple[str, list[str]]:
    """The entry's type (for reporting) and what is wrong with it, if anything."""
    if not isinstance(entry, dict):
        return "?", ["the line is not a JSON object"]
    event_type = entry.get("type")
    if not isinstance(event_type, str):
        return "?", ["the entry has no string `type`"]
    if "data" not in entry:
        return event_type, ["the entry has no `data`"]
    validator = validators.get(event_type)
    if validator is None:
        return event_type, [f"no schema for type {event_type!r} ({event_type}{SCHEMA_SUFFIX})"]
    try:
        errors = sorted(validator.iter_errors(entry["data"]), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    except referencing.exceptions.Unresolvable if referencing else jsonschema.exceptions.RefResolutionError as error:  # type: ignore[misc]
        fail_setup(f"a $ref in {event_type}{SCHEMA_SUFFIX} does not resolve: {error}")
    return event_type, [f"data{json_pointer(e.absolute_path) if e.absolute_path else ''}: {e.message}" for e in errors]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Validate Defter log entries (NDJSON) against Schemas/events.")
    parser.add_argument(
        "--schemas",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "Schemas" / "events",
        help="the folder of <Type>.schema.json files (default: Schemas/events of this checkout)",
    )
    parser.add_argument("file", help="the NDJSON file of log entries, or - for standard input")
    args = parser.parse_args(argv)

    directory = args.schemas.resolve()
    validators = make_validators(directory, load_schemas(directory))

    try:
        stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
    except OSError as error:
        fail_setup(f"cannot read {args.file}: {error.strerror}")

    passed = failed = 0
    with stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError as error:
                failed += 1
                print(f"line {number}: ?: not JSON: {error}")
                continue
            event_type, problems = entry_errors(entry, validators)
            if problems:
                failed += 1
                for problem in problems:
                    print(f"line {number}: {event_type}: {problem}")
            else:
                passed += 1

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
        sys.exit(1)
