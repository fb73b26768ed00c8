"""core.attribute_values writes and reads exactly what boto3's TypeSerializer/TypeDeserializer do
(the table's items were written by them before, and the admin CLI and tests still use boto3), plus
the table's own conventions: enums as their value, dates as ISO text, None left out of maps."""

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from hypothesis import given
from hypothesis import strategies as st

from coupons.core import attribute_values
from coupons.core.table import Table

numbers = st.one_of(
    st.integers(min_value=-(10**37), max_value=10**37),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**20), max_value=10**20),
    st.decimals(allow_nan=False, allow_infinity=False).filter(lambda d: len(d.as_tuple().digits) <= 38
                                                              and -120 < d.as_tuple().exponent < 100),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=20), st.binary(max_size=8))
sets = st.one_of(st.frozensets(st.text(max_size=5), min_size=1, max_size=4),
                 st.frozensets(st.integers(-1000, 1000), min_size=1, max_size=4),
                 st.frozensets(st.binary(min_size=1, max_size=4), min_size=1, max_size=3))
values = st.recursive(st.one_of(scalars, sets),
                      lambda inner: st.one_of(st.lists(inner, max_size=4),
                                              st.dictionaries(st.text(max_size=6), inner, max_size=4)),
                      max_leaves=12)


def _without_none_in_maps(value):
    """What the table has always written: a None attribute inside a map is left out."""
    if isinstance(value, dict):
        return {k: _without_none_in_maps(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none_in_maps(v) for v in value]
    return value


def _comparable(wire):
    """Sets' members come out in any order."""
    if isinstance(wire, dict):
        return {k: (sorted(v) if k in ("SS", "NS", "BS") else _comparable(v)) for k, v in wire.items()}
    if isinstance(wire, list):
        return [_comparable(v) for v in wire]
    return wire


@given(values)
def test_serialises_as_boto3_does(value):
    expected = TypeSerializer().serialize(_without_none_in_maps(value))
    assert _comparable(attribute_values.serialize(value)) == _comparable(expected)


@given(values)
def test_reads_back_what_boto3_reads(value):
    wire = TypeSerializer().serialize(_without_none_in_maps(value))
    ours, theirs = attribute_values.deserialize(wire), TypeDeserializer().deserialize(wire)
    assert ours == _unbinary(theirs)


def _unbinary(value):
    """boto3 wraps binary in its Binary; we read plain bytes."""
    if isinstance(value, Binary):
        return value.value
    if isinstance(value, dict):
        return {k: _unbinary(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unbinary(v) for v in value]
    if isinstance(value, set):
        return {_unbinary(v) for v in value}
    return value


class Colour(str, Enum):
    RED = "red"


def test_the_tables_conventions():
    item = {"pk": "CODE#X", "kind": Colour.RED, "at": datetime(2026, 11, 29, 12, 0, tzinfo=UTC),
            "day": date(2026, 11, 29), "gone": None, "nested": {"a": None, "b": 1}, "pair": ("a", 2)}
    assert Table.serialize(item) == {
        "pk": {"S": "CODE#X"}, "kind": {"S": "red"}, "at": {"S": "2026-11-29T12:00:00+00:00"},
        "day": {"S": "2026-11-29"}, "nested": {"M": {"b": {"N": "1"}}}, "pair": {"L": [{"S": "a"}, {"N": "2"}]},
    }
    assert Table.values({":none": None, ":n": Decimal("10.50")}) == {":none": {"NULL": True}, ":n": {"N": "10.50"}}


@pytest.mark.parametrize("value", [1.5, Decimal("Infinity"), Decimal("NaN"), Decimal("1." + "1" * 40), object(),
                                   {1, "a"}])
def test_refuses_what_dynamodb_would_round_or_refuse(value):
    with pytest.raises((TypeError, ArithmeticError)):
        attribute_values.serialize(value)
