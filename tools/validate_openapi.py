#!/usr/bin/env python3
"""Validates Schemas/openapi.yaml against the OpenAPI 3.1 specification (openapi-spec-validator)."""
import sys
from pathlib import Path

import yaml
from openapi_spec_validator import validate

path = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "Schemas" / "openapi.yaml")
try:
    validate(yaml.safe_load(path.read_text(encoding="utf-8")))
except Exception as error:  # the validator raises several types; all mean the same to a reader
    print(f"{path}: not a valid OpenAPI document: {error}", file=sys.stderr)
    sys.exit(1)
print(f"{path}: valid OpenAPI 3.1")
