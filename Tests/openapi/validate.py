"""Checks the admin API's OpenAPI document with openapi-spec-validator, a third party's reading of OpenAPI 3.1, and
each given answer against the document's schema that it names.

Usage: validate.py DOCUMENT [SCHEMA=INSTANCE_FILE]...
Prints "valid"; exits 1 with the reason otherwise.
"""
import json
import sys

from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

with open(sys.argv[1]) as file:
    document = json.load(file)
try:
    validate(document)
    for pair in sys.argv[2:]:
        name, path = pair.split("=", 1)
        with open(path) as file:
            instance = json.load(file)
        # The schema refers to its neighbours as #/components/schemas/...: a root holding them resolves those.
        OAS31Validator({"$ref": f"#/components/schemas/{name}", "components": document["components"]}).validate(
            instance)
except Exception as error:  # the reason, on one line, for the test's message
    print(f"{type(error).__name__}: {error}".replace("\n", " ")[:2000], file=sys.stderr)
    sys.exit(1)
print("valid")
