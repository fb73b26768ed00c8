"""Campaigns, referral codes and purchases through the domain and the store (moto)."""

import csv
from datetime import timedelta
from decimal import Decimal

import pytest

from coupons.core import code_items
from coupons.core.errors import CodeTaken, InvalidRequest, NotFound, Unauthenticated
from coupons.core.models import utcnow
from coupons.friendbuy import banks, campaigns, purchases, referrals
from coupons.friendbuy import key_items as campaign_keys
from coupons.friendbuy.banks import BankEmpty
from coupons.friendbuy.campaigns import CampaignSettings
from coupons.friendbuy.purchases import Purchase
from coupons.friendbuy.referrals import AdvocateHasCode
from coupons.friendbuy.wire import credentials_of
from coupons_admin import bank_loading
from coupons_admin.__main__ import main as admin
from tests.friendbuy.conftest import BANK, BANK_CODES, CAMPAIGN, EMPTY_BANK, KEY, NAMED_BANK, SECRET, basic, from_bank, with_code


def free_left(table, bank_id=BANK) -> int:
    return banks.status(table, bank_id).free


# ---- authentication ----------------------------------------------------------------------------


def test_token_opens_the_campaign_for_twenty_minutes(fb_table):
    token = campaigns.authorize(fb_table, KEY, SECRET)
    assert timedelta(minutes=19) < token.expires - utcnow() <= timedelta(minutes=20)
    assert campaigns.caller(fb_table, credentials_of(f"Bearer {token.token}")).campaigns == {CAMPAIGN}
    stored = fb_table.client.scan(TableName=fb_table.name, FilterExpression="sk = :t",
                                  ExpressionAttributeValues={":t": {"S": "TOKEN"}})["Items"]
    assert len(stored) == 1 and token.token not in str(stored)  # only its hash is stored
    assert int(stored[0]["expires_at"]["N"]) == int(token.expires.timestamp())  # the table's TTL attribute


def test_expired_token_is_refused_even_before_ttl_deletes_it(fb_table):
    token = campaigns.authorize(fb_table, KEY, SECRET)
    item = campaign_keys.get_token(fb_table, campaigns._token_hash(token.token))
    campaign_keys.put_token(fb_table, campaigns._token_hash(token.token), KEY, set(item["campaigns"]),
                            int(utcnow().timestamp()) - 1)
    with pytest.raises(Unauthenticated, match="expired"):
        campaigns.caller(fb_table, credentials_of(f"Bearer {token.token}"))


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer nope", basic(secret="wrong"), basic(key="nokey"),
                                    "Basic !!!", "Basic " + "ZGVtbw==", "Digest abc"])
def test_bad_credentials_are_refused(fb_table, header):
    with pytest.raises(Unauthenticated):
        campaigns.caller(fb_table, credentials_of(header))


@pytest.mark.parametrize("key, secret", [(KEY, "wrong"), ("unknown", SECRET), ("", "")])
def test_authorization_refuses_wrong_key_or_secret(fb_table, key, secret):
    with pytest.raises(Unauthenticated):
        campaigns.authorize(fb_table, key, secret)


def test_inactive_unknown_and_foreign_campaigns_are_not_found(fb_table, caller):
    with pytest.raises(NotFound):
        referrals.refer(fb_table, caller, from_bank("C1", campaign="999"))
    campaigns.add_campaign(fb_table, "800", "other-secret", CampaignSettings(access_key="key-800"))
    banks.add_bank(fb_table, "80", banks.BankSettings(campaign_id="800", discount=banks.Discount(kind="free_shipping")))
    with pytest.raises(NotFound):  # exists, but this key does not open it
        referrals.refer(fb_table, caller, from_bank("C1", campaign="800", bank="80"))
    campaigns.set_active(fb_table, CAMPAIGN, False)
    with pytest.raises(NotFound, match="not active"):
        referrals.refer(fb_table, caller, from_bank("C1"))
    assert free_left(fb_table) == len(BANK_CODES)


# ---- use case 1: a code from the bank ----------------------------------------------------------


def test_advocate_gets_a_bank_code_and_the_code_records_its_owner(fb_table, caller):
    referred = referrals.refer(fb_table, caller, from_bank("C9911", "jzheng@example.mil"))
    r = referred.referral
    assert referred.created and r.coupon_code in BANK_CODES and r.bank_id == BANK
    assert len(r.referral_code) == 6 and r.link == f"https://b.example/r/{r.referral_code}"
    code = code_items.get(fb_table, r.coupon_code)
    assert (code.owner.partner, code.owner.account, code.owner.person) == ("friendbuy", CAMPAIGN, "C9911")
    assert code.max_uses is None and code.discount.value == 10  # multi-use, what the bank gives
    assert free_left(fb_table) == len(BANK_CODES) - 1


def test_same_advocate_again_gets_the_same_code_and_referral_code(fb_table, caller):
    first = referrals.refer(fb_table, caller, from_bank("C9911"))
    again = referrals.refer(fb_table, caller, from_bank("C9911", email="changed@example.com"))
    assert not again.created
    assert (again.referral.coupon_code, again.referral.referral_code) == (first.referral.coupon_code, first.referral.referral_code)
    assert free_left(fb_table) == len(BANK_CODES) - 1


def test_without_customer_id_the_email_is_the_advocate(fb_table, caller):
    first = referrals.refer(fb_table, caller, from_bank(None, "sam@example.org"))
    again = referrals.refer(fb_table, caller, from_bank(None, "sam@example.org"))
    other = referrals.refer(fb_table, caller, from_bank("C5", "sam@example.org"))  # an id makes another advocate
    assert again.referral.referral_code == first.referral.referral_code
    assert other.referral.coupon_code != first.referral.coupon_code


def test_different_advocates_get_different_codes_until_the_bank_is_empty(fb_table, caller):
    given = [referrals.refer(fb_table, caller, from_bank(f"C{i}")).referral.coupon_code for i in range(len(BANK_CODES))]
    assert sorted(given) == sorted(BANK_CODES)
    with pytest.raises(BankEmpty, match="no codes left"):
        referrals.refer(fb_table, caller, from_bank("C-late"))
    with pytest.raises(BankEmpty):
        referrals.refer(fb_table, caller, from_bank("C-new", bank=EMPTY_BANK))


def test_advocate_with_a_code_asking_another_bank_is_refused(fb_table, caller):
    bank_loading.upload(fb_table, banks.get_bank(fb_table, EMPTY_BANK), ["OTHERBANK1"], workers=1)
    referrals.refer(fb_table, caller, from_bank("C1"))
    with pytest.raises(AdvocateHasCode):
        referrals.refer(fb_table, caller, from_bank("C1", bank=EMPTY_BANK))
    assert free_left(fb_table, EMPTY_BANK) == 1


def test_claim_that_loses_a_race_takes_another_code(fb_table, caller, monkeypatch):
    """Two takers meet at one free code: the one whose conditional delete fails moves on."""
    original = banks.free_codes
    raced = []

    def stale(table, bank, rng):  # the first answer lists a code a rival takes right after the query
        found = original(table, bank, rng)
        if not raced:
            raced.append(referrals.refer(fb_table, caller, with_code("rival", found[0].code)).referral.coupon_code)
        return found

    monkeypatch.setattr(banks, "free_codes", stale)
    mine = referrals.refer(fb_table, caller, from_bank("me"))
    assert raced and mine.referral.coupon_code != raced[0]
    assert code_items.get(fb_table, raced[0]).owner.person == "rival"
    assert free_left(fb_table) == len(BANK_CODES) - 2


# ---- use case 2: a named code ------------------------------------------------------------------


def test_named_code_in_any_case_goes_to_the_advocate_and_leaves_the_pool(fb_table, caller):
    referred = referrals.refer(fb_table, caller, with_code("C9911", "CLOONEY1"))
    assert referred.created and referred.referral.coupon_code == "CLOONEY1" and referred.referral.bank_id == NAMED_BANK
    assert code_items.get(fb_table, "CLOONEY1").owner.person == "C9911"
    assert free_left(fb_table, NAMED_BANK) == 1  # never handed out from the bank afterwards
    again = referrals.refer(fb_table, caller, with_code("C9911", "CLOONEY1"))
    assert not again.created and again.referral.referral_code == referred.referral.referral_code


def test_named_code_of_someone_else_is_refused(fb_table, caller):
    referrals.refer(fb_table, caller, with_code("C1", "CLOONEY1"))
    with pytest.raises(CodeTaken, match="another advocate"):
        referrals.refer(fb_table, caller, with_code("C2", "CLOONEY1"))
    taken_from_bank = referrals.refer(fb_table, caller, from_bank("C3")).referral.coupon_code
    with pytest.raises(CodeTaken):
        referrals.refer(fb_table, caller, with_code("C4", taken_from_bank))


def test_named_code_unknown_or_of_another_partner(fb_table, caller):
    with pytest.raises(NotFound):
        referrals.refer(fb_table, caller, with_code("C1", "NOSUCH1"))
    code_items.create(fb_table, banks.Bank(id="x", settings=banks.BankSettings(
        campaign_id="other", discount=banks.Discount(kind="free_shipping")), generation_key="00").record("FOREIGN1"))
    with pytest.raises(CodeTaken, match="not a code of campaign"):
        referrals.refer(fb_table, caller, with_code("C1", "FOREIGN1"))


# ---- purchases ---------------------------------------------------------------------------------


def purchase(order: str, **fields) -> Purchase:
    return Purchase(order_id=order, customer_id="F1", amount=Decimal(fields.pop("amount", "50.00")),
                    currency=fields.pop("currency", "USD"), **fields)


def test_purchase_with_the_coupon_code_is_attributed_without_a_referral_code(fb_table, caller):
    referral = referrals.refer(fb_table, caller, from_bank("C9911")).referral
    event = purchases.record_purchase(fb_table, purchase("O1", coupon_code=referral.coupon_code.lower()), caller.campaigns)
    assert event.attributed and event.referral_code == referral.referral_code and event.campaign_id == CAMPAIGN
    purchases.record_purchase(fb_table, purchase("O2", amount="10.50", coupon_code=referral.coupon_code))
    purchases.record_purchase(fb_table, purchase("O3", amount="7", currency="EUR", coupon_code=referral.coupon_code))
    found = referrals.find(fb_table, caller, referral.referral_code)
    assert found.conversions == 3 and found.revenue == {"USD": Decimal("60.50"), "EUR": Decimal("7")}


def test_coupon_code_wins_over_attribution_id_which_wins_over_referral_code(fb_table, caller):
    """Friendbuy's documented order: coupon code, then attributionId, then referral code."""
    one, two, three = (referrals.refer(fb_table, caller, from_bank(c)).referral for c in ("C1", "C2", "C3"))
    event = purchases.record_purchase(fb_table, purchase("O1", referral_code=two.referral_code, coupon_code=one.coupon_code,
                                                         attribution_id=three.attribution_id))
    assert (event.referral_code, event.attributed_by) == (one.referral_code, "couponCode")
    event = purchases.record_purchase(fb_table, purchase("O2", referral_code=two.referral_code,
                                                         attribution_id=three.attribution_id, coupon_code="NOSUCH"))
    assert (event.referral_code, event.attributed_by) == (three.referral_code, "attributionId")
    event = purchases.record_purchase(fb_table, purchase("O3", referral_code=two.referral_code, attribution_id="made-up"))
    assert (event.referral_code, event.attributed_by) == (two.referral_code, "referralCode")


def test_same_order_twice_is_recorded_once_and_answers_the_first_event(fb_table, caller):
    referral = referrals.refer(fb_table, caller, from_bank("C1")).referral
    first = purchases.record_purchase(fb_table, purchase("O1", coupon_code=referral.coupon_code))
    again = purchases.record_purchase(fb_table, purchase("O1", amount="999", coupon_code=referral.coupon_code))
    assert (again.event_id, again.created_on, again.replayed) == (first.event_id, first.created_on, True)
    assert referrals.find(fb_table, caller, referral.referral_code).conversions == 1


@pytest.mark.parametrize("fields, reason", [
    ({"coupon_code": "NOSUCH"}, "unknown"),
    ({"coupon_code": "CLOONEY1"}, "not been given"),
    ({}, "no coupon code"),
    ({"referral_code": "zzzzzz"}, "unknown"),
])
def test_purchase_nobody_can_be_credited_with_is_recorded_unattributed(fb_table, fields, reason):
    event = purchases.record_purchase(fb_table, purchase("O9", **fields))
    assert not event.attributed and reason in event.reason
    assert purchases.record_purchase(fb_table, purchase("O9")).event_id == event.event_id  # it was recorded


def test_purchase_for_a_campaign_the_key_does_not_open_is_not_attributed(fb_table, caller):
    referral = referrals.refer(fb_table, caller, from_bank("C1")).referral
    event = purchases.record_purchase(fb_table, purchase("O1", coupon_code=referral.coupon_code), frozenset({"other"}))
    assert not event.attributed and "does not open" in event.reason


# ---- lookups -----------------------------------------------------------------------------------


def test_lookups_by_referral_code_email_and_customer_id(fb_table, caller):
    referral = referrals.refer(fb_table, caller, from_bank("C9911", "jzheng@example.mil")).referral
    assert referrals.find(fb_table, caller, referral.referral_code).coupon_code == referral.coupon_code
    assert [r.referral_code for r in referrals.find_by_email(fb_table, caller, "jzheng@example.mil")] == [referral.referral_code]
    assert [r.referral_code for r in referrals.find_by_customer(fb_table, caller, "C9911")] == [referral.referral_code]
    assert referrals.find_by_customer(fb_table, caller, "C9911", campaign_id="other") == []
    with pytest.raises(NotFound):
        referrals.find(fb_table, caller, referral.referral_code.swapcase())  # referral codes are case-sensitive
    other = campaigns.Caller("k", frozenset({"other"}))
    with pytest.raises(NotFound):
        referrals.find(fb_table, other, referral.referral_code)


# ---- generation --------------------------------------------------------------------------------


def test_generated_codes_cover_the_pattern_once_each_and_depend_on_the_key():
    settings = banks.BankSettings(campaign_id=CAMPAIGN, discount=banks.Discount(kind="free_shipping"), prefix="ab",
                                  alphabet="XYZ", length=4)
    bank = banks.Bank(id="g", settings=settings, generation_key="11" * 32)
    made = [bank_loading.generated_code(bank, i) for i in range(3**4)]
    assert len(set(made)) == 81 and all(c.startswith("AB") and set(c[2:]) <= set("XYZ") for c in made)
    assert made == [bank_loading.generated_code(bank, i) for i in range(81)]  # a re-run makes the same codes
    other = bank.model_copy(update={"generation_key": "22" * 32})
    assert [bank_loading.generated_code(other, i) for i in range(81)] != made and made != sorted(made)
    with pytest.raises(InvalidRequest, match="no codes left to generate"):
        bank_loading.generated_code(bank, 81)


@pytest.mark.parametrize("changes, says", [
    ({"alphabet": "A"}, "two distinct"), ({"prefix": "FB_"}, "hyphens"), ({"alphabet": "AB-"}, "hyphen"), ({"discount": {"kind": "gift_card", "value": 5, "currency": "EUR"}}, "gift card"),
])
def test_bank_settings_that_cannot_work_are_refused(changes, says):
    values = {"campaign_id": CAMPAIGN, "discount": {"kind": "percent", "value": 10}, **changes}
    with pytest.raises(ValueError, match=says):
        banks.BankSettings(**values)


# ---- admin CLI ---------------------------------------------------------------------------------


def test_admin_cli_campaign_then_attribution_export(table, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("coupons_admin.__main__.Table", lambda name: table)
    run = lambda *argv: admin(["--table", table.name, *argv])  # noqa: E731
    assert run("campaigns", "add", "900", "--key", "k9", "--secret", "s9", "--link-base", "https://x.example/") == 0
    assert run("banks", "add", "90", "--campaign", "900", "--value", "15", "--shards", "1") == 0
    with pytest.raises(SystemExit, match="A-Z"):
        run("banks", "add", "91", "--campaign", "900", "--value", "15", "--prefix", "B_")
    assert run("banks", "add", "92", "--campaign", "nope", "--value", "15") == 1  # unknown campaign
    (tmp_path / "codes.txt").write_text("ADV1\nADV2\n")
    assert run("banks", "upload", "90", str(tmp_path / "codes.txt")) == 0
    # Generated or uploaded here, uploaded to Friendbuy: its code-bank file is one code a line, no header.
    assert run("banks", "export", "90", "-o", str(tmp_path / "bank.csv")) == 0
    assert sorted((tmp_path / "bank.csv").read_bytes().split(b"\r\n")) == [b"", b"ADV1", b"ADV2"]
    caller = campaigns.caller(table, credentials_of(basic("k9", "s9")))
    referral = referrals.refer(table, caller, from_bank("C1", "c1@example.com", bank="90", campaign="900")).referral
    purchases.record_purchase(table, purchase("O1", coupon_code=referral.coupon_code), caller.campaigns)
    assert run("referrals", "export", "900", "-o", str(tmp_path / "out.csv")) == 0
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert [(r["customer_id"], r["coupon_code"], r["conversions"], r["revenue"]) for r in rows] == [
        ("C1", referral.coupon_code, "1", "USD 50.00")]
    assert run("campaigns", "deactivate", "900") == 0
    with pytest.raises(NotFound):
        referrals.refer(table, caller, from_bank("C2", bank="90", campaign="900"))
    out = capsys.readouterr().out
    assert "campaign 900 saved (active), access key k9" in out and "15 % off, unlimited uses per code" in out


def test_checkout_finds_a_hyphenated_friendbuy_code_in_any_case(demo_table):
    from coupons.checkout import redemptions
    from coupons.core import code_items
    from coupons.core.models import CodeRecord, Discount, Owner
    from coupons.core.sales import Cart, Customer
    from tests.checkout.conftest import AUTH

    code_items.create(demo_table, CodeRecord(code="FRIEND-OFFER-244432", discount=Discount(kind="percent", value=10),
                                             owner=Owner(partner="friendbuy", account="53345")))
    cart = Cart(subtotal=Decimal("50.00"), currency="USD")
    quote = redemptions.validate(demo_table, AUTH, "friend-offer-244432", cart, Customer())
    assert quote.code == "FRIEND-OFFER-244432"
    with pytest.raises(Exception, match="does not exist"):
        redemptions.validate(demo_table, AUTH, "FRIENDOFFER244432", cart, Customer())
    assert banks.require_code("friend-offer-244432") == "FRIEND-OFFER-244432"
