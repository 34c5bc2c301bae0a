"""Call the JSON API as a client would, checking every response against the OpenAPI document.

`ApiClient` wraps a Flask test client: each call sends the bearer token and
validates the answer's status and body against the operation it reached in
`/api/v1/openapi.json` (an undocumented status or a body that does not fit
its schema fails the test), so the document and the API cannot drift apart.
"""

from __future__ import annotations

import re
from functools import cached_property

import jsonschema
from openapi_schema_validator import OAS31Validator

PREFIX = "/api/v1"


class ApiClient:
    def __init__(self, client, token: str | None = None):
        self.client = client
        self.token = token

    @cached_property
    def document(self) -> dict:
        response = self.client.get(f"{PREFIX}/openapi.json")
        assert response.status_code == 200
        return response.json

    def open(self, method: str, path: str, *, token: str | None = None, headers=None, **kwargs):
        """Send one request (path below /api/v1) and check its response against the document."""
        headers = dict(headers or {})
        token = token if token is not None else self.token
        if token:
            headers.setdefault("Authorization", f"Bearer {token}")
        response = self.client.open(PREFIX + path, method=method, headers=headers, **kwargs)
        check_response(self.document, method, PREFIX + path, response)
        return response

    def get(self, path: str, **kwargs):
        return self.open("GET", path, **kwargs)

    def put(self, path: str, **kwargs):
        return self.open("PUT", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.open("POST", path, **kwargs)


def _operation(document: dict, method: str, path: str) -> dict:
    bare = path.split("?", 1)[0]
    for template, operations in document["paths"].items():
        parts = re.split(r"\{[^}]+\}", template)
        pattern = "^" + "[^/]+".join(re.escape(part) for part in parts) + "$"
        if re.match(pattern, bare) and method.lower() in operations:
            return operations[method.lower()]
    raise AssertionError(f"{method} {bare} is not an operation of the OpenAPI document")


def check_response(document: dict, method: str, path: str, response) -> None:
    """Fail unless the response's status is documented for the operation and its body fits."""
    operation = _operation(document, method, path)
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, (
        f"{method} {path} answered {response.status_code}, which its operation does not document"
    )
    schema = documented["content"]["application/json"]["schema"]
    assert response.mimetype == "application/json", response.mimetype
    # The operation's schema refers to #/components/schemas/...: give it the document's.
    rooted = {**schema, "components": document["components"]}
    errors = list(OAS31Validator(rooted).iter_errors(response.json))
    assert not errors, (method, path, response.status_code, [e.message for e in errors[:3]])


def validate_document(document: dict) -> None:
    """Fail unless the document is valid OpenAPI 3.1."""
    from openapi_spec_validator import validate

    assert document["openapi"].startswith("3.1")
    validate(document)
    # Every schema in it is valid JSON Schema as well.
    for schema in document["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)
