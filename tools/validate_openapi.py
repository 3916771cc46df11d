#!/usr/bin/env python3
"""Validates Schemas/openapi.yaml against the OpenAPI 3.1 specification (openapi-spec-validator),
then checks the project's own rule: every operation under /v1/public/ is rate-limited by the
service (PublicRateLimitMiddleware), so each must document its 429 answer."""
import sys
from pathlib import Path

import yaml
from openapi_spec_validator import validate

path = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "Schemas" / "openapi.yaml")
document = yaml.safe_load(path.read_text(encoding="utf-8"))
try:
    validate(document)
except Exception as error:  # the validator raises several types; all mean the same to a reader
    print(f"{path}: not a valid OpenAPI document: {error}", file=sys.stderr)
    sys.exit(1)

missing = [
    f"{method.upper()} {route}"
    for route, operations in document.get("paths", {}).items()
    if route.startswith("/v1/public/")
    for method, operation in operations.items()
    if method in ("get", "post", "put", "delete", "patch") and "429" not in operation.get("responses", {})
]
if missing:
    print(f"{path}: these public operations are rate-limited but do not document 429: {', '.join(missing)}", file=sys.stderr)
    sys.exit(1)
print(f"{path}: valid OpenAPI 3.1; every public operation documents 429")
