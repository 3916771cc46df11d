#!/usr/bin/env python3
"""Validates Open311 GeoReport v2 JSON responses against the community's JSON Schemas.

Usage: python3 tools/validate_open311.py SCHEMA_DIR RESPONSES.json

RESPONSES.json is an array of {"name": ..., "schema": "services.json", "instance": ...}: each
instance is validated against SCHEMA_DIR/<schema>; references between the schemas (such as
"request.json" inside requests.json) resolve from SCHEMA_DIR. Failures are printed with the
response's name and the failing path; the last line is a summary, `N passed, M failed`.

Exit status: 0 when every response passes, 1 when any fails, 2 when the inputs are unusable.
This tool is independent of the Swift code: it reads only the schemas and the responses.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

try:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012
except ImportError:  # pragma: no cover - depends on the machine
    sys.stderr.write("validate_open311.py needs jsonschema >= 4.18: python3 -m pip install --quiet jsonschema\n")
    sys.exit(2)


def main() -> int:
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    folder, responses = Path(sys.argv[1]), Path(sys.argv[2])
    schemas = {path.name: json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))}
    if not schemas:
        sys.stderr.write(f"validate_open311.py: no schemas in {folder}\n")
        return 2
    for name, schema in schemas.items():
        Draft202012Validator.check_schema(schema)
    registry = Registry().with_resources(
        (name, Resource.from_contents(schema, default_specification=DRAFT202012)) for name, schema in schemas.items()
    )
    passed = failed = 0
    for item in json.loads(responses.read_text(encoding="utf-8")):
        schema = schemas.get(item["schema"])
        if schema is None:
            print(f"{item['name']}: no schema named {item['schema']}")
            failed += 1
            continue
        validator = Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
        errors = sorted(validator.iter_errors(item["instance"]), key=lambda error: list(error.absolute_path))
        if errors:
            failed += 1
            for error in errors:
                path = "/".join(str(part) for part in error.absolute_path) or "(root)"
                print(f"{item['name']}: {path}: {error.message}")
        else:
            passed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
