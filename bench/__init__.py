"""``make bench``: cold-start import cost, per-request overhead against the bare DynamoDB call,
DynamoDB round trips and capacity per operation. One module per contract plus
``coldstart`` (every handler, imported from its built artifacts as Lambda loads them), each with
``run(ctx) -> list[Row]``; ``harness`` and ``artifacts`` hold what they share."""

import os

# Before any bench module imports coupons (whose Powertools singletons read these once): the
# template's Globals, so a bench run alone (``python -m bench friendbuy``) has a metrics namespace.
for _name, _value in {"POWERTOOLS_SERVICE_NAME": "coupon-service", "POWERTOOLS_METRICS_NAMESPACE": "CouponService",
                      "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "ERROR"}.items():
    os.environ.setdefault(_name, _value)
