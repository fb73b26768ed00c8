"""A local stand-in for API Gateway's HTTP API: HTTP request -> v2 event -> the route's function.

Each function gets its own pool of worker processes, as Lambda gives each function its own
instances: a worker holds one imported handler and serves one request at a time, so handlers run
truly in parallel (the race tests need that) and share no memory, as in Lambda.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import multiprocessing
import os
import sys
import threading
import traceback
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from localrun import template
from localrun.events import http_event, path_pattern

LAYER_DIR = template.ROOT / "layers" / "shared"


# ---- inside a worker process ------------------------------------------------------------------

_handler: Any = None
_function_name = ""


class _Context:
    """The parts of LambdaContext that Powertools reads."""

    def __init__(self, function_name: str):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def load_module(code_dir: Path, handler: str, name: str) -> Any:
    """Import the handler's module from a function's code folder, under a name of its own so that
    every function's ``app.py`` can live in one process."""
    module_name = handler.rsplit(".", 1)[0]
    for path in (str(LAYER_DIR), str(code_dir)):
        if path not in sys.path:
            sys.path.insert(0, path)
    spec = importlib.util.spec_from_file_location(f"{name}_{module_name}", code_dir / f"{module_name}.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"no module {module_name} in {code_dir}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_handler(code_dir: Path, handler: str, name: str) -> Any:
    """The ``module.function`` a function's Handler names."""
    return getattr(load_module(code_dir, handler, name), handler.rsplit(".", 1)[1])


def _start_worker(name: str, code_dir: str, handler: str, environment: dict[str, str]) -> None:
    global _handler, _function_name
    os.environ.update(environment)
    _function_name = name
    _handler = load_handler(Path(code_dir), handler, name)


def _invoke(event: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"ok": _handler(event, _Context(_function_name))}
    except Exception:  # an unhandled error is what Lambda reports as a failed invocation
        return {"error": traceback.format_exc()}


# ---- in the gateway process -------------------------------------------------------------------


def resolve_environment(function: template.Function, table_name: str, overrides: dict[str, str]) -> dict[str, str]:
    """The function's environment with CloudFormation references resolved for the local stack."""
    params = template.parameter_defaults()
    env: dict[str, str] = {}
    for name, value in function.environment.items():
        if isinstance(value, dict) and "Ref" in value:
            ref = value["Ref"]
            value = table_name if ref == template.TABLE_RESOURCE else params.get(ref, "")
        elif isinstance(value, dict):
            value = overrides.get(name, "")
        env[name] = str(value)
    env.update({k: v for k, v in overrides.items() if k in env or k.startswith(("AWS_", "POWERTOOLS_"))})
    return env


class _Server(ThreadingHTTPServer):
    # The default listen backlog (5) resets connections when a race test opens 50 at once.
    request_queue_size = 256
    daemon_threads = True


@dataclass
class _Target:
    function: template.Function
    route: template.Route
    pattern: Any


class LocalGateway:
    def __init__(
        self,
        table_name: str,
        host: str = "127.0.0.1",
        port: int = 3000,
        workers_per_function: int = 4,
        environment: dict[str, str] | None = None,
    ):
        self.table_name = table_name
        self.environment = {**(environment or {}), "POWERTOOLS_TRACE_DISABLED": "true"}
        self.workers = workers_per_function
        self.targets = [
            _Target(f, r, path_pattern(r.path)) for f in template.functions() for r in f.routes
        ]
        # Literal segments win over parameters, as in API Gateway's route selection.
        self.targets.sort(key=lambda t: (t.route.path.count("{"), -len(t.route.path)))
        self.cors = template.cors()
        self._pools: dict[str, ProcessPoolExecutor] = {}
        self._pools_lock = threading.Lock()
        self.server = _Server((host, port), self._request_handler())
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"  # an AF_INET server's host is text

    def match(self, method: str, path: str) -> tuple[_Target, dict[str, str]] | None:
        for target in self.targets:
            if target.route.method not in (method, "ANY"):
                continue
            found = target.pattern.match(path)
            if found:
                return target, found.groupdict()
        return None

    def _pool(self, function: template.Function) -> ProcessPoolExecutor:
        with self._pools_lock:
            pool = self._pools.get(function.name)
            if pool is None:
                env = {**os.environ, **resolve_environment(function, self.table_name, self.environment)}
                pool = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(function.name, str(function.code_dir), function.handler, env),
                )
                self._pools[function.name] = pool
            return pool

    def invoke(self, function: template.Function, event: dict[str, Any]) -> dict[str, Any]:
        return self._pool(function).submit(_invoke, event).result()

    def warm_up(self) -> None:
        """Start every function's workers now, so the first requests do not pay for imports."""
        for function in {t.function.name: t.function for t in self.targets}.values():
            pool = self._pool(function)
            list(pool.map(_noop, range(self.workers)))

    def _request_handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                origin = self.headers.get("origin")
                if self.command == "OPTIONS" and origin and gateway.cors:
                    # API Gateway answers CORS preflights itself, before any route or function.
                    return self._reply(204, gateway.cors.preflight_headers(origin), b"")
                found = gateway.match(self.command, parts.path)
                if found is None:
                    return self._reply(404, {"content-type": "application/json"}, b'{"message":"Not Found"}')
                target, params = found
                event = http_event(
                    self.command,
                    parts.path,
                    target.route,
                    path_parameters=params,
                    raw_query=parts.query,
                    headers=dict(self.headers.items()),
                    body=body,
                    source_ip=self.client_address[0],
                )
                outcome = gateway.invoke(target.function, event)
                if "error" in outcome:
                    sys.stderr.write(outcome["error"])
                    return self._reply(
                        500, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}'
                    )
                status, headers, raw = _http_response(outcome["ok"])
                if origin and gateway.cors:
                    headers.update(gateway.cors.response_headers(origin))
                self._reply(status, headers, raw)

            def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in ("content-length", "connection"):
                        self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

            def __getattr__(self, name: str) -> Any:
                # Any other method (TRACE, QUERY...) reaches the router too: no route takes it, so it
                # is a 404 as API Gateway answers it, not http.server's 501.
                if name.startswith("do_"):
                    return self._serve
                raise AttributeError(name)

            def log_message(self, format: str, *args: Any) -> None:  # quieter than the default
                if os.environ.get("LOCALRUN_ACCESS_LOG"):
                    super().log_message(format, *args)

        return Handler

    def start(self) -> LocalGateway:
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        for pool in self._pools.values():
            pool.shutdown(wait=True, cancel_futures=True)


def _noop(_: int) -> None:
    return None


def _http_response(result: Any) -> tuple[int, dict[str, str], bytes]:
    """Lambda's return value as API Gateway (payload 2.0) turns it into an HTTP response."""
    if not isinstance(result, dict) or "statusCode" not in result:
        return 200, {"content-type": "application/json"}, json.dumps(result).encode()
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    headers = dict(result.get("headers") or {})
    for cookie in result.get("cookies") or []:
        headers.setdefault("set-cookie", cookie)
    return int(result["statusCode"]), headers, raw
