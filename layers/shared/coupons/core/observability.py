"""Powertools singletons, configured once from the environment (POWERTOOLS_* in template.yaml)."""

import functools
import hashlib
import hmac
import inspect
import os
import secrets
import traceback
import warnings
from collections.abc import Callable
from typing import Any, cast

from aws_lambda_powertools import Logger, Metrics, Tracer

from coupons.core.errors import CouponError

logger = Logger()


class _Unexplained(Exception):
    """What X-Ray records of an unexpected exception: its type, never its message (which may quote
    the request: a code, an email)."""


class QuietTracer(Tracer):
    """Powertools' Tracer, but nothing a caller sent reaches X-Ray and a refusal is not a fault.

    A refusal (``CouponError``, a 4xx) marks its subsegment ``error`` with the refusal's class; anything
    else is a ``fault`` recorded by type and stack only (docs/architecture.md, "Observability").
    """

    def capture_method(self, method: Any = None, capture_response: bool | None = None,
                       capture_error: bool | None = None) -> Any:
        if method is None:
            return functools.partial(self.capture_method)
        if inspect.iscoroutinefunction(method) or inspect.isgeneratorfunction(method):
            return super().capture_method(method, capture_response=False, capture_error=False)
        return self._quietly(method, method.__name__)

    def capture_lambda_handler(self, lambda_handler: Any = None, capture_response: bool | None = None,
                               capture_error: bool | None = None) -> Any:
        if lambda_handler is None:
            return functools.partial(self.capture_lambda_handler)
        return self._quietly(lambda_handler, lambda_handler.__name__, handler=True)

    def _quietly(self, function: Callable[..., Any], name: str, handler: bool = False) -> Callable[..., Any]:
        @functools.wraps(function)
        def traced(*args: Any, **kwargs: Any) -> Any:
            raised: Exception  # set by each except clause; the try returns otherwise
            with self.provider.in_subsegment(name=f"## {name}") as entity:
                subsegment = cast(Any, entity)  # the SDK's Subsegment (DummySubsegment when disabled)
                try:
                    return function(*args, **kwargs)
                except CouponError as refusal:  # the caller's mistake (4xx): an error, not a fault
                    subsegment.add_error_flag()
                    subsegment.put_annotation(key="refused", value=type(refusal).__name__)
                    raised = refusal
                except Exception as bug:  # a bug: recorded without its message, then raised again
                    subsegment.add_exception(_Unexplained(type(bug).__name__),
                                             traceback.extract_tb(bug.__traceback__))
                    raised = bug
                finally:
                    if handler:
                        subsegment.put_annotation(key="ColdStart", value=_cold_start())
                        if self.service:
                            subsegment.put_annotation(key="Service", value=self.service)
            raise raised  # outside the subsegment: the SDK records nothing more of it

        return traced


_cold = [True]


def _cold_start() -> bool:
    was, _cold[0] = _cold[0], False
    return was


# What our functions call: DynamoDB and SQS (botocore), partners' webhooks and pixels (http.client,
# under urllib). Patching only these spares each cold start X-Ray's other patchers and the modules
# they import (sqlite3, ...).
tracer = QuietTracer(patch_modules=("botocore", "httplib"))
metrics = Metrics()


def _aws_error_as_status(exception: Exception, stack: Any, subsegment: Any, aws_meta: dict) -> None:
    """X-Ray's botocore patch records every ClientError as a fault. A 4xx from DynamoDB is how a
    condition answers (a code taken, a gift card spent): its status makes it an ``error``; only a
    5xx is recorded as a fault (AWS's own message, which quotes nothing of ours)."""
    from botocore.exceptions import ClientError

    metadata = exception.response.get("ResponseMetadata") if isinstance(exception, ClientError) else None
    if not metadata:
        return
    aws_meta["request_id"] = metadata.get("RequestId")
    status = metadata.get("HTTPStatusCode") or 0
    subsegment.put_http_meta("status", status)  # 4xx: error (429: throttle), 5xx: fault
    if status >= 500:
        subsegment.add_exception(exception, stack, True)


def _record_aws_errors_by_status() -> None:
    try:
        from aws_xray_sdk.ext import boto_utils
    except ImportError:  # tracing not installed: nothing to adjust
        return
    boto_utils._aws_error_handler = _aws_error_as_status  # looked up by name at each call


_record_aws_errors_by_status()

# A refused request publishes no metric; Powertools warns about that on every such call.
warnings.filterwarnings("ignore", message="No application metrics to publish")


def masked(value: str | None) -> str | None:
    """What logs carry instead of a secret, an email, a code or anything that holds one (a
    redemption id names its code): an HMAC under the deployment's own key, the same for the same
    value within a deployment, so support can follow one code across log lines without reading it,
    and nobody can find a human-chosen code (GIFT100) by hashing a dictionary."""
    if value is None:
        return None
    return "hmac:" + hmac.new(_mask_key(), value.encode(), hashlib.sha256).hexdigest()[:20]


def keyed_digest(value: str, purpose: str) -> str:
    """A value the service must tell apart but never keep (a client's IP): an HMAC under the
    deployment's own key, separated by ``purpose`` from the log masks of the same value."""
    return hmac.new(_mask_key(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


_key: list[bytes] = []


def _mask_key() -> bytes:
    """The deployment's masking key (template.yaml: LogMaskSecret, read once per process: with
    SnapStart, once per published version). Without one (tests, make run), a key of this process."""
    if not _key:
        arn = os.environ.get("LOG_MASK_SECRET_ARN")
        key = b""
        if arn:
            from coupons.core import aws_clients

            try:
                key = aws_clients.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"].encode()
            except Exception as error:  # never a reason to fail a request: masks are per instance then
                logger.warning("log mask key unavailable: masks differ between instances",
                               extra={"error": type(error).__name__})
        _key.append(key or secrets.token_bytes(32))
    return _key[0]


if os.environ.get("LOG_MASK_SECRET_ARN"):  # deployed: read at init, so SnapStart keeps it in the snapshot
    _mask_key()
