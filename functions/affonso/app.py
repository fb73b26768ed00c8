"""Affonso embed API: an embed token for an affiliate, its dashboard data, and its self-service
coupon. Wire format: coupons.affonso.wire."""

from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.metrics import MetricUnit

import coupons.core.snapstart  # noqa: F401 - SnapStart: fresh clients after restore (no-op elsewhere)
from coupons.affonso import affiliates, programmes
from coupons.affonso import wire as contract
from coupons.core.http_api import entry_point, refuse_with
from coupons.core.observability import logger, metrics, tracer
from coupons.core.table import Table

app = APIGatewayHttpResolver(enable_validation=True)
table = Table.from_env()

_ENVELOPE = '{"success": false, "error": {"code": "...", "message": "..."}}'


@app.post(
    "/affonso/v1/embed/token",
    summary="Create an embed token for an affiliate (creates the affiliate if missing)",
    tags=["Affonso"],
    responses={
        200: {"description": '{"success": true, "data": {"publicToken", "expiresAt", "link"}}; valid 30 minutes'},
        400: {"description": f"VALIDATION_ERROR: the body is not JSON or lacks a field. {_ENVELOPE}"},
        401: {"description": "UNAUTHORIZED: the programme's API key is missing or wrong"},
    },
)
@tracer.capture_method
def create_token(request: contract.AffonsoTokenRequest) -> Response[dict]:
    key = contract.api_key(app.current_event.headers.get("authorization"))
    programme = programmes.open_programme(table, request.programId, key)
    issued = affiliates.issue_token(table, programme, contract.profile(request))
    logger.info("embed token issued", extra={"programme": programme.id, "affiliate": issued.affiliate.id})
    return contract.token_created(issued)


@app.get(
    "/affonso/v1/embed/data",
    summary="The affiliate's coupon, or the programme's coupon blueprint",
    tags=["Affonso"],
    responses={
        200: {"description": '{"success": true, "data": {..., "coupon", "couponBlueprint"}}'},
        400: {"description": "VALIDATION_ERROR: no token parameter"},
        401: {"description": "TOKEN_EXPIRED: unknown, tampered, expired or replaced token"},
    },
)
@tracer.capture_method
def embed_data(token: Annotated[str, Query(description="The embed token")]) -> Response[dict]:
    return contract.embed_data(affiliates.open_session(table, token))


@app.post(
    "/affonso/v1/embed/coupon",
    summary="Create the affiliate's self-service coupon (once per programme)",
    tags=["Affonso"],
    responses={
        200: {"description": '{"success": true, "data": {"code", "discountType", "discountValue"}}'},
        400: {"description": "INVALID_CODE_FORMAT, or VALIDATION_ERROR (not JSON, missing token or code)"},
        401: {"description": "TOKEN_EXPIRED"},
        403: {"description": "SELF_SERVICE_NOT_ENABLED"},
        409: {"description": "ALREADY_HAS_COUPON or CODE_TAKEN"},
    },
)
@tracer.capture_method
def create_coupon(request: contract.AffonsoCouponRequest) -> Response[dict]:
    session = affiliates.open_session(table, request.token)
    claimed = affiliates.create_coupon(table, session, request.code)
    if not claimed.replayed:
        metrics.add_metric(name="CouponsCreated", unit=MetricUnit.Count, value=1)
    logger.info("coupon created", extra={"code": claimed.coupon.code, "programme": session.programme.id,
                                         "affiliate": session.affiliate.id, "replayed": claimed.replayed})
    return contract.coupon_created(claimed.coupon)


refuse_with(app, contract)
lambda_handler = entry_point(app, json_bodies=True)
