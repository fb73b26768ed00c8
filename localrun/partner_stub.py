"""A stand-in for the partners' endpoints on 127.0.0.1: records every call it receives.

``make run`` points Brandbassador's tracking URL, Friendbuy's Merchant API (``FRIENDBUY_MAPI_URL``)
and any webhook you configure here, so a sale can be followed end to end: ``curl <stub>/_stub/calls``.
``DELETE /_stub/calls`` forgets them; ``POST /_stub/fail?count=N`` answers the next N calls with 503
(to watch the retries); ``POST /_stub/revoke`` forgets the Friendbuy tokens it issued (the next
purchase gets 401, as after an early revocation).

As Friendbuy's Merchant API: ``POST /v1/authorization`` answers a token valid 20 minutes;
``POST /v1/event/*`` and ``/v1/customer`` take ``Authorization: Bearer <token>`` (or the bare token)
with a token it issued, else 401, and answer 201 ``{"eventId", "createdOn"}``.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# A 1x1 transparent GIF: what a tracking pixel answers.
PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")
OK = b'{"ok": true}'


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# Files the stub serves as a partner would (GET): the ECB's daily reference rates, for
# ``coupons-admin rates refresh --url <stub>/ecb/eurofxref-daily.xml`` (docs/money.md).
SERVED_FILES = {"/ecb/eurofxref-daily.xml": Path(__file__).parent / "fixtures" / "eurofxref-daily.xml"}


class PartnerStub:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, fail_first: int = 0):
        self.calls: list[dict[str, Any]] = []
        self.failures_left = fail_first
        self.tokens: set[str] = set()  # Friendbuy MAPI tokens issued
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer((host, port), self._handler())
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"  # an IPv4 server: host is a str

    def answered(self, status: int = 200) -> list[dict[str, Any]]:
        """The calls answered with ``status`` (200: the ones the partner took)."""
        with self._lock:
            return [c for c in self.calls if c["status"] == status]

    def friendbuy_purchases(self) -> list[dict[str, Any]]:
        """The Friendbuy purchase events taken (201), their bodies parsed."""
        with self._lock:
            return [json.loads(c["body"]) for c in self.calls if c["path"] == "/v1/event/purchase" and c["status"] == 201]

    def fail_next(self, count: int) -> None:
        with self._lock:
            self.failures_left = count

    def revoke_tokens(self) -> None:
        with self._lock:
            self.tokens.clear()

    def _record(self, call: dict[str, Any]) -> tuple[int, bytes]:
        with self._lock:
            if self.failures_left > 0:
                status, answer = 503, b'{"error": "stub told to fail"}'
            else:
                status, answer = self._answer(call)
            self.failures_left = max(self.failures_left - 1, 0)
            self.calls.append({**call, "status": status})
            return status, answer

    def _answer(self, call: dict[str, Any]) -> tuple[int, bytes]:
        """What the partner answers a call it takes (the lock is held)."""
        if call["path"] == "/v1/authorization":
            token = secrets.token_urlsafe(24)
            self.tokens.add(token)
            return 200, json.dumps({"tokenType": "Bearer", "token": token,
                                    "expires": _iso(_now() + timedelta(minutes=20))}).encode()
        if call["path"].startswith(("/v1/event/", "/v1/customer")):
            presented = call["headers"].get("authorization", "").removeprefix("Bearer ").strip()
            if presented not in self.tokens:
                return 401, b'{"error": "Unauthorized", "message": "unknown or expired token", "code": 401}'
            return 201, json.dumps({"eventId": str(uuid.uuid4()), "createdOn": _iso(_now())}).encode()
        if call["method"] == "GET" and call["path"] in SERVED_FILES:  # the ECB's daily rates, a fixture
            return 200, SERVED_FILES[call["path"]].read_bytes()
        return 200, OK

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
                if parts.path == "/_stub/calls":
                    if self.command == "DELETE":
                        with stub._lock:
                            stub.calls.clear()
                    with stub._lock:
                        return self._reply(200, "application/json", json.dumps(stub.calls, indent=2).encode())
                if parts.path == "/_stub/fail":
                    stub.fail_next(int(dict(parse_qsl(parts.query)).get("count", "1")))
                    return self._reply(200, "application/json", OK)
                if parts.path == "/_stub/revoke":
                    stub.revoke_tokens()
                    return self._reply(200, "application/json", OK)
                status, answer = stub._record({
                    "method": self.command, "path": parts.path, "query": dict(parse_qsl(parts.query)),
                    "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body, "at": time.time(),
                })
                if status == 200 and parts.path.endswith(".gif"):
                    return self._reply(200, "image/gif", PIXEL)
                self._reply(status, "application/json", answer)

            def _reply(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def start(self) -> PartnerStub:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
