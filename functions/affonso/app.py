"""Affonso embed API: an embed token for an affiliate, its dashboard data, and its self-service
coupon; and the affiliate portal page that uses them. Wire format: coupons.affonso.wire."""

import gc

gc.disable()  # until init_phase.finished(), this module's last line: see coupons.core.init_phase

from pathlib import Path
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.metrics import MetricUnit

import coupons.core.snapstart  # noqa: F401 - SnapStart: fresh clients after restore (no-op elsewhere)
from coupons.affonso import affiliates, portal, programmes, wire
from coupons.core import init_phase
from coupons.core.errors import Unauthenticated
from coupons.core.http_api import entry_point, refuse_with
from coupons.core.observability import logger, masked, metrics, tracer
from coupons.core.responses import documented
from coupons.core.settings import Settings
from coupons.core.table import Table


def _cors() -> CORSConfig | None:
    """Browsers on the brand's own pages (EMBED_ALLOWED_ORIGINS) may call the embed routes and the
    portal; nobody else gets CORS headers, and the server-to-server token route never does."""
    origins = Settings.from_env().embed_allowed_origins
    if not origins:
        return None
    return CORSConfig(allow_origin=origins[0], extra_origins=list(origins[1:]),
                      allow_headers=["content-type", "authorization"], max_age=600)


app = APIGatewayHttpResolver(enable_validation=True, cors=_cors())
table = Table.from_env()

# Read once per cold start; the same file a brand may host on its own site (docs/affonso.md).
PORTAL = portal.Page.load(Path(__file__).with_name("portal.html"))
_ENVELOPE = '{"success": false, "error": {"code": "...", "message": "..."}}'


@app.post(
    "/affonso/v1/embed/token",
    cors=False,  # the brand's server asks for tokens, never a browser
    summary="Create an embed token for an affiliate (creates the affiliate if missing)",
    tags=["Affonso"],
    security=wire.SECURITY,
    responses={
        503: documented("SERVICE_UNAVAILABLE: busy; send the same request again", wire.AffonsoError),
        200: documented('{"success": true, "data": {"publicToken", "expiresAt", "link"}}; valid 30 minutes', wire.AffonsoOk),
        400: documented(f"VALIDATION_ERROR: the body is not JSON or lacks a field. {_ENVELOPE}", wire.AffonsoError),
        401: documented("UNAUTHORIZED: the programme's API key is missing or wrong, or the programme unknown",
                        wire.AffonsoError),
    },
)
@tracer.capture_method
def create_token(request: wire.AffonsoTokenRequest) -> Response[dict]:
    key = wire.api_key(app.current_event.headers.get("authorization"))
    programme = programmes.open_programme(table, request.programId, key)
    issued = affiliates.issue_token(table, programme, wire.profile(request))
    logger.info("embed token issued", extra={"programme": programme.id, "affiliate": issued.affiliate.id})
    return wire.token_created(issued)


@app.get(
    "/affonso/v1/embed/data",
    summary="The affiliate's dashboard: coupon or blueprint, programme settings, sales and earnings",
    tags=["Affonso"],
    responses={
        503: documented("SERVICE_UNAVAILABLE: busy; send the same request again", wire.AffonsoError),
        200: documented('{"success": true, "data": {"affiliate", "link", "websiteUrl", "rewards", "incentives", '
                        '"stats", "earnings", "portalUrl", "coupon", "couponBlueprint", "creatives", "program", '
                        '"theme", "token"}}; coupon: {"code", "discountType", "discountValue", "paused", '
                        '"pausedReason", "previousCodes"}: a paused coupon (the leak guard) is refused at checkout, '
                        'and couponBlueprint is then given so the affiliate can choose a new code', wire.AffonsoOk),
        400: documented("VALIDATION_ERROR: no token parameter", wire.AffonsoError),
        401: documented("TOKEN_EXPIRED: unknown, tampered, expired or replaced token", wire.AffonsoError),
    },
)
@tracer.capture_method
def embed_data(token: Annotated[str, Query(description="The embed token")]) -> Response[dict]:
    return wire.embed_data(affiliates.open_dashboard(table, token))


@app.get(
    "/affonso/portal",
    summary="The affiliate portal page (HTML): open it with #token=<embed token>",
    tags=["Affonso"],
    responses={200: {"description": "The page; it calls the embed routes of this API",
                     "content": {"text/html": {"schema": {"type": "string"}}}}},
)
@tracer.capture_method
def portal_page() -> Response[str]:
    return PORTAL.response()


@app.post(
    "/affonso/v1/embed/coupon",
    summary="Create the affiliate's self-service coupon (once per programme; again only in place of a paused one)",
    tags=["Affonso"],
    responses={
        503: documented("SERVICE_UNAVAILABLE: busy; send the same request again", wire.AffonsoError),
        200: documented('{"success": true, "data": {"code", "discountType", "discountValue"}}', wire.AffonsoOk),
        400: documented("INVALID_CODE_FORMAT, or VALIDATION_ERROR (not JSON, missing token or code)", wire.AffonsoError),
        401: documented("TOKEN_EXPIRED", wire.AffonsoError),
        403: documented("SELF_SERVICE_NOT_ENABLED", wire.AffonsoError),
        409: documented("ALREADY_HAS_COUPON (and it is not paused) or CODE_TAKEN", wire.AffonsoError),
        429: documented("RATE_LIMIT_EXCEEDED: the programme's daily coupon budget is used up; error.retryAfter "
                        "and the Retry-After header say how many seconds until it starts again", wire.AffonsoError),
    },
)
@tracer.capture_method
def create_coupon(request: wire.AffonsoCouponRequest) -> Response[dict]:
    session = affiliates.open_session(table, request.token)
    claimed = affiliates.create_coupon(table, session, request.code)
    if not claimed.replayed:
        metrics.add_metric(name="CouponsCreated", unit=MetricUnit.Count, value=1)
    logger.info("coupon created", extra={"code": masked(claimed.coupon.code), "programme": session.programme.id,
                                         "affiliate": session.affiliate.id, "replayed": claimed.replayed})
    return wire.coupon_created(claimed.coupon)


def _api_key_present() -> None:
    """The token route's key belongs to the programme named in the body, so a malformed body can only
    be told apart from a missing key: that much is checked first."""
    if app.current_event.path.endswith("/embed/token") and not wire.api_key(
            app.current_event.headers.get("authorization")):
        raise Unauthenticated("Send the programme's API key as 'Authorization: Bearer <key>'")


refuse_with(app, wire, authenticate_first=_api_key_present)
lambda_handler = entry_point(app, json_bodies=True)
init_phase.finished()
