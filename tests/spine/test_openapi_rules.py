"""The rules docs/openapi.json states are the rules the parsers enforce: a client that validates a
request against the document before sending it agrees with the server, value by value.

The schema's patterns are written for JSON Schema (no lookarounds, any letter case where the
parser upper-cases); each is checked here against its parser over every value of a small alphabet
up to a length, so a change to one side alone fails."""

from __future__ import annotations

import itertools
import re
from datetime import date

import pytest

from coupons.affonso import affiliates
from coupons.affonso import wire as affonso_wire
from coupons.brandbassador import wire as brandbassador_wire
from coupons.checkout import wire as checkout_wire
from coupons.core import codes, dates, emails, money, sales
from coupons.core.errors import InvalidRequest
from localrun import openapi


def _accepts(parse, value) -> bool:
    try:
        parse(value)
    except (InvalidRequest, ValueError):  # sales.RefRefused is a ValueError
        return False
    return True


def _words(alphabet: str, longest: int):
    for length in range(longest + 1):
        yield from ("".join(w) for w in itertools.product(alphabet, repeat=length))


def _same(pattern: str, parse, values) -> None:
    compiled = re.compile(pattern)
    differ = [v for v in values if bool(compiled.fullmatch(v)) != _accepts(parse, v)]
    assert not differ, f"schema and parser disagree on {differ[:5]}"


@pytest.mark.parametrize("alphabet", [codes.ALPHANUMERIC, codes.WITH_HYPHENS])
def test_code_patterns_are_the_code_rules(alphabet):
    values = [*_words("a9-", 4), "A" * 64, "A" * 65, "A-" * 32, "ß" * 3, "AB\n"]
    _same(alphabet.schema, lambda v: codes.require_valid(v, alphabet), values)


def test_the_day_pattern_is_parse_day():
    values = [f"{y:04d}-{m:02d}-{d:02d}" for y in (1999, 2000, 2023, 2024, 2100, 2101)
              for m in range(0, 14) for d in range(0, 33)]
    _same(dates.DAY_SCHEMA, dates.parse_day, [*values, "2024-1-01", "20240101", ""])


def test_brandbassador_percentages_and_amounts():
    values = [*_words("01.", 4), "100", "100.0", "100.00", "100.01", "000000100", "1000000000", "99.99", "5."]

    def percentage(text: str) -> None:
        if money.parse_amount(text, "percentage") > 100:
            raise InvalidRequest("over 100")

    _same(brandbassador_wire._PERCENTAGE, lambda v: v == "" or percentage(v), values)
    amount = re.compile(brandbassador_wire._AMOUNT["pattern"])
    zero = re.compile(brandbassador_wire._NOT_ZERO["not"]["pattern"])
    for value in values:
        in_schema = bool(amount.fullmatch(value)) and not zero.fullmatch(value)
        assert in_schema == (value == "" or _accepts(lambda v: money.parse_amount(v, "amount"), value)), value


def test_checkout_amounts_per_currency_decimals():
    for decimals in (0, 2, 3):
        text = re.compile(checkout_wire._amount_schema(decimals)["anyOf"][0]["pattern"])
        for value in _words("05.", 4):
            try:
                parsed = money.parse_amount(value, "amount", zero=True, decimals=3)
            except InvalidRequest:
                assert not text.fullmatch(value), value
                continue
            assert bool(text.fullmatch(value)) == (money.decimals(parsed) <= decimals), (value, decimals)


def test_affonso_codes_count_letters_and_digits_only():
    _same(affonso_wire.CODE_SCHEMA, affiliates.normalise_code, [*_words("a9-", 5), "x" * 20 + "-", "x" * 21])


def test_currencies_in_any_letter_case():
    pattern = re.compile(money.CURRENCY_SCHEMA)
    assert all(pattern.fullmatch(c) and pattern.fullmatch(c.lower()) for c in money.ISO_4217)
    assert not pattern.fullmatch("XXX") and not pattern.fullmatch("EURO")


def test_every_address_the_schema_promises_is_one():
    pattern = re.compile(emails.ADDRESS_SCHEMA["pattern"])
    for value in _words("a.@-é", 6):
        if pattern.fullmatch(value):
            assert emails.is_address(value), value


def test_refs_name_a_partner():
    pattern = re.compile(sales.REF_SCHEMA)
    for value in ["bb-42", "BB_1", "bb", "b", "fb-1", "bb" + "x" * 98, "bb" + "x" * 99, "-bb"]:
        assert bool(pattern.fullmatch(value)) == _accepts(lambda v: sales.partner_of_ref(v), value), value


def test_every_route_names_its_security_and_every_scheme_exists():
    document = openapi.document()
    schemes = document["components"]["securitySchemes"]
    public = {("post", "/friendbuy/v1/authorization"), ("get", "/affonso/v1/embed/data"),
              ("post", "/affonso/v1/embed/coupon"), ("get", "/affonso/portal")}  # their credential is a field
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            named = [name for requirement in operation.get("security", []) for name in requirement]
            assert all(name in schemes for name in named)
            assert bool(named) != ((method, path) in public), f"{method.upper()} {path}"


def test_the_day_pattern_covers_today():
    assert re.fullmatch(dates.DAY_SCHEMA, date.today().isoformat())
