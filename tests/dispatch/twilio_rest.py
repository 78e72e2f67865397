"""The REST stand-in of tests/outbound, also serving UpdateCall (redirect a call to new TwiML).

``POST /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json`` is held to Twilio's
own description of ``UpdateCall`` exactly as ``CreateCall`` is; it answers 200
with the Call resource, or 404 (code 20404) for a CallSid in :attr:`gone`.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.outbound.twilio_rest import (
    Operation,
    Problem,
    TwilioRestStandIn,
    check_form,
    check_json,
    error_body,
)

UPDATE_CALL = "UpdateCall"


@dataclasses.dataclass(frozen=True)
class Redirect:
    """One UpdateCall the stand-in accepted."""

    call_sid: str
    form: dict[str, list[str]]


class DispatchStandIn(TwilioRestStandIn):
    """CreateCall and UpdateCall, each request held to Twilio's description."""

    def __init__(self, spec: dict[str, Any], *, account_sid: str, auth_token: str) -> None:
        super().__init__(spec, account_sid=account_sid, auth_token=auth_token)
        self.update = Operation(spec, UPDATE_CALL)
        self.redirects: list[Redirect] = []
        self.gone: set[str] = set()

    def answer(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any] | list[Any], tuple[Problem, ...], dict[str, list[str]]]:
        op = self.update
        route = op.route.match(urlsplit(target).path)
        if route is None or method != op.method:
            return super().answer(method, target, headers, body)
        if not self._authenticated(headers.get("authorization", ""), route["AccountSid"]):
            return 401, error_body(401, 20003, "Authenticate"), (), {}
        form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        problems = [p for p in check_form(op, form)]
        if headers.get("content-type", "").split(";")[0].strip() != op.media_type:
            problems.append(Problem("Content-Type", f"body is not {op.media_type}"))
        if problems:
            return (
                400,
                error_body(400, problems[0].code, problems[0].message),
                tuple(problems),
                form,
            )
        sid = route["Sid"]
        if sid in self.gone:
            return (
                404,
                error_body(404, 20404, f"The requested resource {sid} was not found"),
                (),
                form,
            )
        self.redirects.append(Redirect(sid, form))
        call = copy.deepcopy(op.example)
        call |= {"sid": sid, "account_sid": self.account_sid, "status": "in-progress"}
        wrong = check_json(op, op.response_schema, call, "call")
        if wrong:
            raise AssertionError(f"the stand-in's own Call resource breaks the schema: {wrong}")
        return op.status, call, (), form
