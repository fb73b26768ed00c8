"""Brandbassador custom webshop: GET /brandbassador/webshops/{webshop}/codes creates a percent
code or a gift card for an ambassador. Wire format: coupons.brandbassador.wire."""

import gc

gc.disable()  # until init_phase.finished(), this module's last line: see coupons.core.init_phase

from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.metrics import MetricUnit

import coupons.core.snapstart  # noqa: F401 - SnapStart: fresh clients after restore (no-op elsewhere)
from coupons.brandbassador import webshops, wire
from coupons.core import init_phase
from coupons.core.http_api import entry_point, refuse_with
from coupons.core.observability import logger, masked, metrics, tracer
from coupons.core.responses import documented
from coupons.core.table import Table

app = APIGatewayHttpResolver(enable_validation=True)
table = Table.from_env()


@app.get(
    "/brandbassador/webshops/<webshop>/codes",
    summary="Create a discount code or a gift card for an ambassador",
    description=wire.RULES,
    tags=["Brandbassador"],
    security=wire.SECURITY,
    responses={
        200: documented('{"status": "success"}: the code is created and ready to use', wire.Created),
        400: documented('{"status": 0, "error": "..."}: bad input', wire.Refused),
        401: documented("The webshop key is missing", wire.Refused),
        403: documented("The webshop key is wrong, or the webshop unknown (the same answer)", wire.Refused),
        429: documented('{"status": 0, "error": "..."}: over the webshop\'s gift-card cap or daily budget', wire.Refused),
        409: documented('{"status": 0, "error": "Discount code already exists"}', wire.Refused),
        503: documented("Busy (throttled or contended); send the same request again", wire.Refused),
    },
)
@tracer.capture_method
def create_code(webshop: str, query: Annotated[wire.CodeQuery, Query()]) -> Response[dict]:
    shop = webshops.open_webshop(table, webshop, wire.presented_key(query))  # credentials first
    wire.refuse_repeated(app.current_event.raw_query_string)
    request = wire.parse(query)
    issued = webshops.create_code(table, shop, request)
    if not issued.replayed:
        metrics.add_metric(name="CodesCreated", unit=MetricUnit.Count, value=1)
    logger.info("code created", extra={"code": masked(issued.record.code), "webshop": webshop, "replayed": issued.replayed})
    return wire.created()


refuse_with(app, wire)
lambda_handler = entry_point(app)
init_phase.finished()
