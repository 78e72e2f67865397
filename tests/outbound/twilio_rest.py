"""A local stand-in for Twilio's REST API, holding every request to Twilio's OpenAPI description.

Twilio's cloud cannot be reached from here; ``shared/twilio/twilio_api_v2010.json``
beside the repository is Twilio's published description of the 2010-04-01 API.
:class:`TwilioRestStandIn` serves ``CreateCall``
(``POST /2010-04-01/Accounts/{AccountSid}/Calls.json``, form-encoded) on
127.0.0.1 and, for every request, checks what that description states:

- HTTP basic auth with the account's SID and auth token (``accountSid_authToken``);
- the path's ``AccountSid`` against its parameter schema;
- the body's media type, every parameter name (one the schema does not know is
  refused: Twilio would drop a ``StatusCallBack`` without a word), required
  parameters (empty counts as missing), single values where the schema has no
  array, types (integer, boolean), enums, patterns, lengths and formats;
- the values a parameter's description lists ("Can be: `Enable` or
  `DetectMessageEnd`") where the schema has no enum, e.g. ``MachineDetection``
  and ``StatusCallbackEvent``;
- one of ``Url``, ``Twiml``, ``ApplicationSid``, which the operation's text
  requires and a schema cannot say.

It answers 201 with a Call resource built from the schema's own example and
checked against the response schema, 401 for bad credentials, and 400 with
Twilio's error JSON (``code``, ``message``, ``more_info``, ``status``)
otherwise. The codes are Twilio's for auth (20003), a missing To (21201) or
From (21603) or Url (21205); any other schema violation gets 20001, and its
message names the parameter. Like wazo's ``mock_ari``, requests are recorded
(:attr:`TwilioRestStandIn.requests`, ``GET /_requests``) and the next answers
can be set (:meth:`TwilioRestStandIn.answer_next`, as ``/_set_response``).
"""

from __future__ import annotations

import base64
import binascii
import copy
import dataclasses
import email.utils
import json
import os
import re
import threading
import uuid
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO.parent / "shared" / "twilio" / "twilio_api_v2010.json"
CREATE_CALL = "CreateCall"
# Keywords the checks below understand; a schema using another one stops the stand-in.
UNDERSTOOD = {"type", "format", "enum", "pattern", "minLength", "maxLength", "items",
              "description", "nullable", "$ref", "x-twilio"}  # fmt: skip
FORMATS = {"endpoint", "http-method", "uri", "twiml"}
ONE_OF = ("Url", "Twiml", "ApplicationSid")  # CreateCall's text: one of them is required
MISSING = {"To": (21201, "No 'To' number is specified"),
           "From": (21603, "A 'From' phone number is required."),
           "Url": (21205, "Url parameter is required.")}  # fmt: skip
INVALID = 20001
_E164 = re.compile(r"\+[1-9]\d{1,14}")
_CLIENT = re.compile(r"client:[A-Za-z0-9_.\-]+")
_SIP = re.compile(r"sip:[^@\s]+@[^@\s]+")
_CAN_BE = re.compile(r"Can be: ([^.]*)\.")


def spec_path() -> Path:
    """Twilio's OpenAPI file: ``HOTLINE_TWILIO_OPENAPI``, else shared/twilio/ beside the repo."""
    return Path(os.environ.get("HOTLINE_TWILIO_OPENAPI") or SPEC)


def load_spec(path: Path | None = None) -> dict[str, Any]:
    with (path or spec_path()).open(encoding="utf-8") as fh:
        spec: dict[str, Any] = json.load(fh)
    return spec


@dataclasses.dataclass(frozen=True)
class Problem:
    """What is wrong with a request, as Twilio's error JSON will say it."""

    parameter: str
    message: str
    code: int = INVALID


@dataclasses.dataclass(frozen=True)
class RecordedRequest:
    """One request the stand-in received, and how it answered."""

    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, list[str]]
    status: int
    problems: tuple[Problem, ...] = ()


class Operation:
    """One operation of the description: its route, request schema and 2xx response."""

    def __init__(self, spec: dict[str, Any], operation_id: str) -> None:
        self.spec = spec
        for template, item in spec["paths"].items():
            for method, op in item.items():
                if isinstance(op, dict) and op.get("operationId") == operation_id:
                    self.method, self.template, self.op = method.upper(), template, op
                    break
            else:
                continue
            break
        else:
            raise LookupError(f"no operation {operation_id} in the description")
        self.path_params = {
            p["name"]: p["schema"] for p in self.op["parameters"] if p["in"] == "path"
        }
        self.route = re.compile(
            re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template)) + r"\Z"
        )
        [(self.media_type, body)] = self.op["requestBody"]["content"].items()
        self.schema = self.resolve(body["schema"])
        self.required = set(self.schema.get("required", ()))
        self.properties = {n: self.resolve(p) for n, p in self.schema["properties"].items()}
        for name, prop in self.properties.items():
            self._understood(name, prop)
        [(status, answer)] = ((s, a) for s, a in self.op["responses"].items() if s.startswith("2"))
        self.status = int(status)
        content = answer["content"]["application/json"]
        self.response_schema = self.resolve(content["schema"])
        examples: dict[str, Any] = content.get("examples", {})
        first: dict[str, Any] = next(iter(examples.values()), {})
        self.example: dict[str, Any] = first.get("value", {})
        self.security = {
            name for item in self.op.get("security", spec["security"]) for name in item
        }

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """``schema`` with a top-level ``$ref`` to ``#/components/...`` followed."""
        while "$ref" in schema:
            node: Any = self.spec
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    @staticmethod
    def _understood(name: str, prop: dict[str, Any]) -> None:
        unknown = set(prop) - UNDERSTOOD
        if unknown or prop.get("format", "endpoint") not in FORMATS:
            raise ValueError(f"{name}: the stand-in cannot check {unknown or prop['format']}")
        if "items" in prop:
            Operation._understood(name, prop["items"])


def documented_values(prop: dict[str, Any]) -> list[str]:
    """The values a parameter's description lists after "Can be:" (empty when none)."""
    found = _CAN_BE.search(prop.get("description", ""))
    return re.findall(r"`([^`]+)`", found.group(1)) if found else []


def check_form(op: Operation, form: dict[str, list[str]]) -> list[Problem]:
    """Every way ``form`` departs from the operation's request body schema."""
    problems = [
        Problem(name, f"Unknown parameter '{name}': not in Twilio's {CREATE_CALL} schema")
        for name in form
        if name not in op.properties
    ]
    for name in sorted(op.required):
        if not any(form.get(name, [])):
            code, message = MISSING.get(name, (INVALID, f"{name} is required"))
            problems.append(Problem(name, message, code))
    if not any(any(form.get(name, [])) for name in ONE_OF):
        code, message = MISSING["Url"]
        problems.append(Problem("Url", message, code))
    for name, values in form.items():
        prop = op.properties.get(name)
        if prop is None:
            continue
        if prop.get("type") != "array" and len(values) > 1:
            problems.append(Problem(name, f"{name} sent {len(values)} times; it takes one value"))
            continue
        items = prop.get("items", {}) if prop.get("type") == "array" else prop
        allowed = prop.get("enum") or items.get("enum") or documented_values(prop)
        for value in values:
            if not value and name in op.required:
                continue  # reported as missing above
            problems += [Problem(name, f"{name}: {why}") for why in check_value(items, value)]
            for part in value.split() if prop.get("type") == "array" else [value]:
                if allowed and part not in allowed:
                    problems.append(Problem(name, f"{name}: {part!r} is not one of {allowed}"))
    return problems


def check_value(schema: dict[str, Any], value: str) -> list[str]:
    """What is wrong with one form value (always a string on the wire) against ``schema``."""
    kind = schema.get("type", "string")
    if kind == "integer" and not re.fullmatch(r"-?\d+", value):
        return [f"{value!r} is not an integer"]
    if kind == "boolean" and value not in ("true", "false"):
        return [f"{value!r} is not true or false"]
    why = []
    if "pattern" in schema and not re.search(schema["pattern"], value):
        why.append(f"{value!r} does not match {schema['pattern']}")
    if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 1 << 30):
        why.append(f"{value!r} has the wrong length")
    fmt = schema.get("format")
    if fmt and "enum" not in schema and not FORMAT_CHECKS[fmt](value):
        why.append(f"{value!r} is not a valid {fmt}")
    return why


def _uri(value: str) -> bool:
    # Twilio's text on StatusCallback: "URLs must contain a valid hostname (underscores
    # are not permitted)".
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "_" not in parts.netloc


def _twiml(value: str) -> bool:
    try:
        return ET.fromstring(value).tag == "Response"
    except ET.ParseError:
        return False


FORMAT_CHECKS = {
    "endpoint": lambda v: any(p.fullmatch(v) for p in (_E164, _CLIENT, _SIP)),
    "http-method": lambda v: v in ("GET", "POST"),
    "uri": _uri,
    "twiml": _twiml,
}


def check_json(op: Operation, schema: dict[str, Any], value: Any, where: str = "") -> list[str]:
    """What is wrong with a JSON answer against a response schema (the stand-in's own check)."""
    schema = op.resolve(schema)
    if value is None:
        return [] if schema.get("nullable") else [f"{where}: null"]
    if schema.get("type") == "object" and "properties" in schema:
        if not isinstance(value, dict):
            return [f"{where}: not an object"]
        extra = [f"{where}.{k}: not in the schema" for k in value if k not in schema["properties"]]
        return extra + [
            why
            for name, prop in schema["properties"].items()
            for why in check_json(op, prop, value.get(name), f"{where}.{name}")
        ]
    if schema.get("type") == "object":
        return [] if isinstance(value, dict) else [f"{where}: not an object"]
    if not isinstance(value, str):
        return [f"{where}: {value!r} is not a string"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in {schema['enum']}"]
    if "pattern" in schema and not re.search(schema["pattern"], value):
        return [f"{where}: {value!r} does not match {schema['pattern']}"]
    return []


def error_body(status: int, code: int, message: str) -> dict[str, Any]:
    """Twilio's error JSON."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class TwilioRestStandIn:
    """Twilio's REST API for one account, on 127.0.0.1, holding requests to the description.

    Use as a context manager; :attr:`base_url` is what ``TwilioProvider(api_base_url=...)`` takes.
    """

    def __init__(self, spec: dict[str, Any], *, account_sid: str, auth_token: str) -> None:
        self.operation = Operation(spec, CREATE_CALL)
        if self.operation.security != {"accountSid_authToken"}:
            raise ValueError(f"unexpected security {self.operation.security}")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.requests: list[RecordedRequest] = []
        self.calls: list[dict[str, Any]] = []  # the Call resources created, in order
        self._canned: list[tuple[int, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> TwilioRestStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def answer_next(self, status: int, body: dict[str, Any]) -> None:
        """The next valid, authenticated request gets this answer instead of a created call."""
        with self._lock:
            self._canned.append((status, body))

    def answer(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any] | list[Any], tuple[Problem, ...], dict[str, list[str]]]:
        """Status and JSON for one request, the problems found, and the form read."""
        op = self.operation
        path = urlsplit(target).path
        if method == "GET" and path == "/_requests":
            return 200, [dataclasses.asdict(r) for r in self.requests], (), {}
        route = op.route.match(path)
        if route is None or method != op.method:
            missing = error_body(404, 20404, f"The requested resource {path} was not found")
            return 404, missing, (), {}
        if not self._authenticated(headers.get("authorization", ""), route["AccountSid"]):
            return 401, error_body(401, 20003, "Authenticate"), (), {}
        form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        problems = self._path_problems(route.groupdict())
        if headers.get("content-type", "").split(";")[0].strip() != op.media_type:
            problems.append(Problem("Content-Type", f"body is not {op.media_type}"))
        else:
            problems += check_form(op, form)
        if problems:
            first = problems[0]
            return 400, error_body(400, first.code, first.message), tuple(problems), form
        with self._lock:
            canned = self._canned.pop(0) if self._canned else None
        if canned:
            return canned[0], canned[1], (), form
        return op.status, self._create(form), (), form

    def _authenticated(self, header: str, account_in_path: str) -> bool:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        # Twilio's user is the account SID; a path naming another account is refused too.
        return user == self.account_sid == account_in_path and password == self.auth_token

    def _path_problems(self, params: dict[str, str]) -> list[Problem]:
        return [
            Problem(name, f"{name}: {why}", 20404)
            for name, value in params.items()
            for why in check_value(self.operation.path_params[name], value)
        ]

    def _create(self, form: dict[str, list[str]]) -> dict[str, Any]:
        """A queued Call resource, shaped by the schema's example and checked against the schema."""
        sid = f"CA{uuid.uuid4().hex}"
        base = f"/2010-04-01/Accounts/{self.account_sid}/Calls/{sid}"
        now = email.utils.formatdate(usegmt=False).replace("-0000", "+0000")
        call = copy.deepcopy(self.operation.example)
        call |= {name: None for name in call if name not in ("api_version",)}
        call |= {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": form["To"][0],
            "to_formatted": form["To"][0],
            "from": form["From"][0],
            "from_formatted": form["From"][0],
            "status": "queued",
            "direction": "outbound-api",
            "date_created": now,
            "date_updated": now,
            "uri": f"{base}.json",
            "subresource_uris": {
                name: f"{base}/{Path(uri).name}"
                for name, uri in (self.operation.example.get("subresource_uris") or {}).items()
            },
        }
        wrong = check_json(self.operation, self.operation.response_schema, call, "call")
        if wrong:
            raise AssertionError(f"the stand-in's own Call resource breaks the schema: {wrong}")
        with self._lock:
            self.calls.append(call)
        return call

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)


def _handler(standin: TwilioRestStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                status, answer, problems, form = standin.answer(
                    self.command, self.path, headers, body
                )
            except Exception as exc:  # the stand-in's own fault: make the test fail loudly
                status, answer, problems, form = 500, error_body(500, 20500, repr(exc)), (), {}
            if not self.path.startswith("/_"):
                standin.record(
                    RecordedRequest(self.command, self.path, headers, form, status, problems)
                )
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
