"""DynamoDB's typed attribute values (``{"S": "X"}``, ``{"N": "10.5"}``...) to and from Python.

boto3's wire forms and number rules without importing boto3 at cold start
(tests/spine/test_attribute_values.py compares them); Decimal both ways, a float is refused.
Why, and what it stores beyond boto3: docs/architecture.md, "A wing per partner on a shared core" (Cold start)."""

from __future__ import annotations

from collections.abc import Mapping, Set
from datetime import date, datetime
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from enum import Enum
from typing import Any

# DynamoDB's numbers: 38 significant digits, exponents within -130..+125. Traps make a number
# DynamoDB would round or refuse an error here rather than a different number there (boto3's
# DYNAMODB_CONTEXT).
NUMBERS = Context(Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow])


def _number(value: int | Decimal) -> str:
    number = NUMBERS.create_decimal(value)
    if not number.is_finite():
        raise TypeError("Infinity and NaN not supported")
    return str(number)


def serialize(value: Any) -> dict[str, Any]:
    """One Python value as a DynamoDB attribute value."""
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is Decimal or kind is int:
        return {"N": _number(value)}
    if kind is bool:
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    if kind is dict or isinstance(value, Mapping):
        return {"M": {k: serialize(v) for k, v in value.items() if v is not None}}
    if kind is list or kind is tuple:
        return {"L": [serialize(v) for v in value]}
    if isinstance(value, Enum):
        return serialize(value.value)
    if isinstance(value, (datetime, date)):
        return {"S": value.isoformat()}
    if isinstance(value, str):
        return {"S": str(value)}
    if isinstance(value, float):
        raise TypeError("Float types are not supported. Use Decimal types instead.")
    if isinstance(value, (int, Decimal)):
        return {"N": _number(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"B": bytes(value)}
    if isinstance(value, (list, tuple)):
        return {"L": [serialize(v) for v in value]}
    if isinstance(value, Set):
        return _set(value)
    raise TypeError(f'Unsupported type "{type(value)}" for value "{value}"')


def _set(members: Set[Any]) -> dict[str, Any]:
    if all(isinstance(m, (int, Decimal)) for m in members):
        return {"NS": [_number(m) for m in members]}
    if all(isinstance(m, str) for m in members):
        return {"SS": list(members)}
    if all(isinstance(m, (bytes, bytearray)) for m in members):
        return {"BS": [bytes(m) for m in members]}
    raise TypeError(f"A set holds one type of string, number or binary: {type(members)}")


def deserialize(value: Mapping[str, Any]) -> Any:
    """One DynamoDB attribute value as Python: numbers as Decimal, binary as bytes."""
    if len(value) != 1:
        raise TypeError("Value must be a nonempty dictionary whose key is a valid dynamodb type.")
    ((kind, raw),) = value.items()
    if kind == "S":
        return raw
    if kind == "N":
        return NUMBERS.create_decimal(raw)
    if kind == "M":
        return {k: deserialize(v) for k, v in raw.items()}
    if kind == "BOOL":
        return raw
    if kind == "NULL":
        return None
    if kind == "L":
        return [deserialize(v) for v in raw]
    if kind == "SS":
        return set(raw)
    if kind == "NS":
        return {NUMBERS.create_decimal(n) for n in raw}
    if kind == "B":
        return bytes(raw)
    if kind == "BS":
        return {bytes(b) for b in raw}
    raise TypeError(f"Dynamodb type {kind} is not supported")


def serialize_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item's attributes (or a key); ``None`` attributes are left out."""
    return {k: serialize(v) for k, v in item.items() if v is not None}


def deserialize_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: deserialize(v) for k, v in item.items()}
