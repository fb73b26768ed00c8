from decimal import Decimal

import pytest

from coupons.core import codes, credentials, money
from coupons.core.errors import InvalidRequest


@pytest.mark.parametrize("given, canonical", [("JOHN20", "JOHN20"), ("john20", "JOHN20"), ("JoHn20oFf", "JOHN20OFF")])
def test_codes_are_case_insensitive_and_keyed_upper_case(given, canonical):
    assert codes.require_valid(given) == canonical


@pytest.mark.parametrize("bad", ["JOHN-20", "JOHN 20", "JÖHN20", "JOHN_20", "ＪＯＨＮ２０", "JO", "A" * 65, "", None])
def test_codes_outside_a_z_0_9_or_length_are_refused_not_cleaned(bad):
    with pytest.raises(InvalidRequest) as refused:
        codes.require_valid(bad)
    assert refused.value.message


@pytest.mark.parametrize("look_alike, character", [("STRAßE20", "ß"), ("FıX20", "ı"), ("ſALE20", "ſ"), ("ﬁVE20", "ﬁ")])
def test_look_alikes_that_upper_casing_would_turn_into_letters_are_refused_by_name(look_alike, character):
    """str.upper() makes 'STRASSE20' of 'STRAßE20': accepted, the shopper's typed code would never match."""
    assert look_alike.upper().isascii()  # what the silent clean-up would have made of it
    with pytest.raises(InvalidRequest) as refused:
        codes.require_valid(look_alike)
    assert repr(character) in refused.value.message


def test_generated_codes_use_the_prefix_and_no_look_alike_characters():
    generated = {codes.generate("sv", 10) for _ in range(200)}
    assert len(generated) == 200
    for code in generated:
        assert code.startswith("SV") and len(code) == 12
        assert not set(code[2:]) & set("01IO")
        assert codes.require_valid(code) == code


@pytest.mark.parametrize("text, value", [("1000.00", Decimal("1000.00")), ("20", Decimal(20)), ("0.5", Decimal("0.5"))])
def test_amounts_in_partner_format(text, value):
    assert money.parse_amount(text, "amount") == value


@pytest.mark.parametrize("text", ["1,000.00", "10.001", "-5", "0", "0.00", "1e3", "NaN", "", "10.", " 10"])
def test_amounts_outside_the_format_are_refused(text):
    with pytest.raises(InvalidRequest):
        money.parse_amount(text, "amount")


def test_currencies_are_iso_4217():
    assert money.require_currency("eur") == "EUR"
    with pytest.raises(InvalidRequest):
        money.require_currency("EURO")
    with pytest.raises(InvalidRequest):
        money.require_currency("XXX")


def test_secrets_are_stored_hashed_and_verified():
    stored = credentials.hash_secret("demo-key")
    assert "demo-key" not in stored
    assert credentials.verify_secret("demo-key", stored)
    assert not credentials.verify_secret("demo-kez", stored)
    assert not credentials.verify_secret("", stored)
    assert not credentials.verify_secret(None, stored)
    assert not credentials.verify_secret("demo-key", None)
    # Same secret, different salt: the stored forms differ.
    assert credentials.hash_secret("demo-key") != stored
