"""Domain errors. Each contract module maps these to its own status codes and body shape."""

from __future__ import annotations


class CouponError(Exception):
    """Base class: ``message`` is written for a brand's support person, not for a developer."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidRequest(CouponError):
    """The request is malformed or breaks a rule (bad code, bad amount, past date ...)."""


class Unauthenticated(CouponError):
    """No credentials were presented."""


class Forbidden(CouponError):
    """Credentials were presented but do not match."""


class NotFound(CouponError):
    """The account (webshop, reward, programme ...) or object named in the request does not exist."""


class CodeTaken(CouponError):
    """The code exists already in the namespace (any letter case, any partner)."""


class Unavailable(CouponError):
    """DynamoDB throttled or failed transiently; the caller may retry the same request."""


class LimitReached(CouponError):
    """An abuse limit the brand set (a gift card's largest value, a daily issuance budget) refuses
    the request; the same request may succeed once the limit allows it (tomorrow, or when raised)."""
