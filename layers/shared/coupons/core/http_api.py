"""What every HTTP API function does around its routes, written once.

- ``refuse_with(app, wire)``: domain refusals (``CouponError``) and Powertools' request
  validation errors answered in the partner's own wire format, never as a 500;
- ``entry_point(app)``: the Lambda handler, with the correlation id taken from API Gateway's
  request id, X-Ray tracing and EMF metrics flushed per invocation.

Unexpected exceptions are not caught: they are bugs, and surface as such.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from coupons.core.errors import CouponError
from coupons.core.json_body import read_as_json
from coupons.core.observability import logger, metrics, tracer


class Wire(Protocol):
    """What a partner's ``wire`` module (``coupons.<wing>.wire``) offers for refusals."""

    def error(self, error: CouponError) -> Response: ...

    def malformed(self, problems: list[dict[str, Any]]) -> Response: ...


def refuse_with(app: APIGatewayHttpResolver, wire: Wire,
                authenticate_first: Callable[[], object] | None = None) -> None:
    """``authenticate_first``: checks the request's credentials (raising the domain's refusal) before
    a malformed body is described, so a caller without them learns nothing of the body's rules."""
    @app.exception_handler(CouponError)
    def refuse(error: CouponError) -> Response:
        reason = getattr(error, "reason", None) or type(error).__name__
        # The message may quote the request (an email, a code): it goes to the caller, not to logs.
        logger.info("request refused", extra={"reason": str(reason)})
        return wire.error(error)

    @app.exception_handler(RequestValidationError)
    def malformed(error: RequestValidationError) -> Response:
        if authenticate_first is not None:
            try:
                authenticate_first()
            except CouponError as refused:
                return refuse(refused)
        return wire.malformed(list(error.errors()))


def entry_point(app: APIGatewayHttpResolver, json_bodies: bool = False) -> Callable[[dict, LambdaContext], dict]:
    """The function's ``lambda_handler``. ``json_bodies``: read a JSON body as JSON whatever
    content-type the caller set (see ``core.json_body``)."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    @tracer.capture_lambda_handler
    @metrics.log_metrics
    def lambda_handler(event: dict, context: LambdaContext) -> dict:
        return app.resolve(read_as_json(event) if json_bodies else event, context)

    return lambda_handler
