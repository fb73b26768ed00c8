"""Programmes, embed tokens and self-service coupons through the domain and the store (moto)."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from coupons.affonso import affiliates, programmes
from coupons.affonso import items as affiliate_items
from coupons.affonso.affiliates import AlreadyHasCoupon, InvalidCodeFormat, PartnerProfile, SelfServiceNotEnabled, TokenExpired
from coupons.affonso.programmes import ProgrammeSettings
from coupons.core import code_items
from coupons.core import table as core_table
from coupons.core.errors import CodeTaken, Forbidden, NotFound, Unauthenticated, Unavailable
from coupons.core.models import CodeRecord, Discount, DiscountKind, Owner, utcnow
from coupons.core.table import Table
from coupons_admin.programmes import add_programme
from tests.affonso.conftest import issue
from tests.conftest import CountingClient


def items(table, kind: str) -> list[dict]:
    return [table.deserialize(i) for i in table.client.scan(TableName=table.name)["Items"] if i["sk"]["S"] == kind]


# ---- programmes and tokens -----------------------------------------------------------------------


def test_programme_needs_its_api_key(affonso_table):
    assert programmes.open_programme(affonso_table, "demo", "demo-key").settings.coupon_blueprint.value == 20
    with pytest.raises(Forbidden, match="is not valid"):  # as a wrong key: ids cannot be enumerated
        programmes.open_programme(affonso_table, "nope", "demo-key")
    with pytest.raises(Unauthenticated):
        programmes.open_programme(affonso_table, "demo", None)
    with pytest.raises(Forbidden):
        programmes.open_programme(affonso_table, "demo", "demo-kez")


def test_token_creates_the_affiliate_and_stores_only_a_hash(affonso_table):
    before = len(items(affonso_table, "PROFILE"))
    token = issue(affonso_table, "Ann@Example.com", name="Ann", external_user_id="u-1",
                  metadata_json=json.dumps({"plan": "pro"}))
    profiles = items(affonso_table, "PROFILE")
    assert len(profiles) == before + 1
    ann = next(p for p in profiles if p["email"] == "ann@example.com")
    assert (ann["name"], ann["external_user_id"], json.loads(ann["metadata_json"])) == ("Ann", "u-1", {"plan": "pro"})
    stored = items(affonso_table, "TOKEN")
    assert all(token not in json.dumps(t, default=str) for t in stored)
    assert len(token) >= 22  # >= 128 bits in URL-safe base64
    session = affiliates.open_session(affonso_table, token)
    assert session.affiliate.email == "ann@example.com" and session.coupon is None


def test_token_expires_after_30_minutes_even_if_ttl_has_not_deleted_it(affonso_table):
    issued_at = utcnow()
    token = issue(affonso_table, "clock@example.com", now=issued_at)
    assert affiliates.open_session(affonso_table, token, now=issued_at + timedelta(minutes=29, seconds=59))
    with pytest.raises(TokenExpired):
        affiliates.open_session(affonso_table, token, now=issued_at + timedelta(minutes=30))
    token_item = next(t for t in items(affonso_table, "TOKEN") if t["affiliate"] == affiliates.affiliate_id("demo", "clock@example.com"))
    assert int(token_item["expires_at"]) == int((issued_at + timedelta(minutes=30)).timestamp())  # the TTL attribute


def test_a_new_token_for_the_same_affiliate_replaces_the_old_one(affonso_table):
    first = issue(affonso_table, "twice@example.com", name="First")
    second = issue(affonso_table, "TWICE@example.com")  # same affiliate, any letter case
    with pytest.raises(TokenExpired):
        affiliates.open_session(affonso_table, first)
    session = affiliates.open_session(affonso_table, second)
    assert session.affiliate.name == "First"  # a field not sent again keeps its value


@pytest.mark.parametrize("tamper", [lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), lambda t: t + "x",
                                    lambda t: t.upper(), lambda t: "", lambda t: "demo-token-jan"])
def test_tampered_or_unknown_tokens_are_expired(affonso_table, tamper):
    token = issue(affonso_table, "tamper@example.com")
    with pytest.raises(TokenExpired):
        affiliates.open_session(affonso_table, tamper(token))


def test_same_email_in_two_programmes_is_two_affiliates(affonso_table):
    in_demo = affiliates.open_session(affonso_table, issue(affonso_table, "both@example.com"))
    in_closed = affiliates.open_session(affonso_table, issue(affonso_table, "both@example.com", "demo-closed"))
    assert in_demo.affiliate.id != in_closed.affiliate.id
    assert affiliates.open_session(affonso_table, issue(affonso_table, "both@example.com")).affiliate.id == in_demo.affiliate.id


# ---- coupons -------------------------------------------------------------------------------------


def test_coupon_is_a_normal_code_owned_by_programme_and_affiliate(affonso_table, session):
    ann = session("ann@example.com")
    claimed = affiliates.create_coupon(affonso_table, ann, " ann-20! ")
    assert (claimed.coupon.code, claimed.replayed) == ("ANN20", False)
    stored = code_items.get(affonso_table, "ANN20")  # what checkout reads to validate and redeem
    assert stored.discount == Discount(kind=DiscountKind.PERCENT, value=Decimal(20))
    assert stored.owner == Owner(partner="affonso", account="demo", person=ann.affiliate.id)
    assert (stored.status, stored.uses, stored.max_uses, stored.expires_on) == ("active", 0, None, None)
    assert {r.code for r in code_items.list_by_owner(affonso_table, "affonso", "demo")} == {"SAMSAVES", "ANN20"}
    assert affiliates.open_session(affonso_table, issue(affonso_table, "ann@example.com")).coupon == claimed.coupon


def test_flat_blueprint_gives_a_fixed_discount_in_its_currency(affonso_table):
    add_programme(affonso_table, "flat", "demo-key", ProgrammeSettings(
        name="Flat", blueprint=Discount(kind=DiscountKind.FIXED, value=Decimal("7.50"), currency="EUR"),
        self_service=True))
    session = affiliates.open_session(affonso_table, issue(affonso_table, "flat@example.com", "flat"))
    affiliates.create_coupon(affonso_table, session, "FLAT750")
    assert code_items.get(affonso_table, "FLAT750").discount == Discount(kind=DiscountKind.FIXED, value=Decimal("7.50"),
                                                                      currency="EUR")


def test_second_coupon_for_the_same_affiliate_is_refused(affonso_table, session):
    ann = session("ann@example.com")
    affiliates.create_coupon(affonso_table, ann, "ANN20")
    with pytest.raises(AlreadyHasCoupon):
        affiliates.create_coupon(affonso_table, ann, "ANN30")
    assert code_items.get(affonso_table, "ANN30") is None


def test_retry_of_the_same_code_answers_the_same_coupon_and_writes_nothing(affonso_table, session):
    ann = session("ann@example.com")
    first = affiliates.create_coupon(affonso_table, ann, "ann20")
    # The partner's first try timed out; it asks again, even with a fresh token and other spelling.
    again = affiliates.create_coupon(affonso_table, affiliates.open_session(affonso_table, issue(affonso_table, "ann@example.com")),
                                     "ANN-20")
    assert (again.coupon, again.replayed) == (first.coupon, True)
    assert len([c for c in items(affonso_table, "CODE") if c["code"] == "ANN20"]) == 1


def test_retry_answers_the_coupon_as_made_even_if_the_blueprint_changed(affonso_table, session):
    ann = session("ann@example.com")
    affiliates.create_coupon(affonso_table, ann, "ANN20")
    add_programme(affonso_table, "demo", "demo-key", ProgrammeSettings(
        name="Demo", blueprint=Discount(kind=DiscountKind.PERCENT, value=Decimal(35)), self_service=True))
    again = affiliates.create_coupon(affonso_table, affiliates.open_session(affonso_table, issue(affonso_table, "ann@example.com")), "ANN20")
    assert again.replayed and again.coupon.discount.value == 20


@pytest.mark.parametrize("taken", ["SAMSAVES", "samsaves", "Sam-Saves"])
def test_code_held_by_another_affiliate_is_taken_in_any_case(affonso_table, session, taken):
    with pytest.raises(CodeTaken):
        affiliates.create_coupon(affonso_table, session("ann@example.com"), taken)
    assert session("ann@example.com").coupon is None  # the claim was not written either


def test_code_made_by_another_partner_is_taken(affonso_table, session):
    code_items.create(affonso_table, CodeRecord(code="CLOONEY1", discount=Discount(kind=DiscountKind.PERCENT, value=Decimal(10)),
                                             owner=Owner(partner="brandbassador", account="demo")))
    with pytest.raises(CodeTaken):
        affiliates.create_coupon(affonso_table, session("ann@example.com"), "clooney1")


def test_affiliate_with_a_coupon_asking_for_a_taken_code_already_has_a_coupon(affonso_table, session):
    ann = session("ann@example.com")
    affiliates.create_coupon(affonso_table, ann, "ANN20")
    with pytest.raises(AlreadyHasCoupon):
        affiliates.create_coupon(affonso_table, ann, "SAMSAVES")  # both conditions fail


@pytest.mark.parametrize("code, canonical", [("ab1", "AB1"), ("a-b_c.1!", "ABC1"), ("x" * 20, "X" * 20),
                                             ("  Ünïcödé9  ", "NCD9")])
def test_code_is_cleaned_up_then_checked(code, canonical):
    assert affiliates.normalise_code(code) == canonical


@pytest.mark.parametrize("code", ["", "a!", "--ab--", "x" * 21, "ÄÖÜ", "a b"])
def test_codes_outside_3_to_20_alphanumerics_are_invalid(affonso_table, session, code):
    with pytest.raises(InvalidCodeFormat):
        affiliates.create_coupon(affonso_table, session("ann@example.com"), code)


def test_self_service_off_or_no_blueprint_is_refused(affonso_table, session):
    with pytest.raises(SelfServiceNotEnabled):  # demo-closed: no blueprint
        affiliates.create_coupon(affonso_table, session("kim2@example.com", "demo-closed"), "KIM10")
    add_programme(affonso_table, "paused", "demo-key", ProgrammeSettings(
        name="Paused", blueprint=Discount(kind=DiscountKind.PERCENT, value=Decimal(10)), self_service=False))
    paused = session("pat@example.com", "paused")
    assert paused.programme.settings.coupon_blueprint is None
    with pytest.raises(SelfServiceNotEnabled):
        affiliates.create_coupon(affonso_table, paused, "PAT10")
    assert code_items.get(affonso_table, "KIM10") is None and code_items.get(affonso_table, "PAT10") is None


def test_disabled_coupon_records_who_and_when_and_stays_claimed(affonso_table, session):
    ann = session("ann@example.com")
    affiliates.create_coupon(affonso_table, ann, "ANN20")
    record = affiliates.disable_coupon(affonso_table, "ann20", by="ops@brand.example")
    stored = code_items.get(affonso_table, "ANN20")
    assert (stored.status, stored.disabled_by, stored.disabled_at) == ("disabled", "ops@brand.example", record.disabled_at)
    with pytest.raises(AlreadyHasCoupon):
        affiliates.create_coupon(affonso_table, ann, "ANN21")
    with pytest.raises(NotFound):  # only Affonso coupons, only existing ones
        affiliates.disable_coupon(affonso_table, "NOSUCH", by="ops")


def test_claim_and_code_are_written_together(affonso_table, session):
    ann = session("ann@example.com")
    affiliates.create_coupon(affonso_table, ann, "ANN20")
    profile, claim = affiliate_items.get_affiliate(affonso_table, "demo", ann.affiliate.id)
    assert claim["code"] == "ANN20" and profile["email"] == "ann@example.com"


def test_profile_fields_are_updated_by_a_new_token(affonso_table):
    issue(affonso_table, "upd@example.com", name="Old", group_id="g1")
    token = issue(affonso_table, "upd@example.com", name="New", image="https://example.com/a.png")
    session = affiliates.open_session(affonso_table, token)
    profile, _ = affiliate_items.get_affiliate(affonso_table, "demo", session.affiliate.id)
    assert (profile["name"], profile["image"], profile["group_id"]) == ("New", "https://example.com/a.png", "g1")


def test_partner_profile_needs_an_email():
    with pytest.raises(ValueError):
        PartnerProfile()


class ContendedClient:
    """The real (moto) client, except that the next ``conflicts`` transactions are cancelled with
    TransactionConflict, as DynamoDB cancels one of two transactions that touch the same item."""

    def __init__(self, client, conflicts: int):
        self.client, self.conflicts = client, conflicts

    def transact_write_items(self, **kwargs):
        if self.conflicts:
            self.conflicts -= 1
            reasons = [{"Code": "TransactionConflict"}, {"Code": "None"}]
            raise ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                               "CancellationReasons": reasons}, "TransactWriteItems")
        return self.client.transact_write_items(**kwargs)

    def __getattr__(self, name):
        return getattr(self.client, name)


def test_transaction_conflicts_are_retried_then_reported_as_unavailable(affonso_table, session, monkeypatch):
    waits = []
    monkeypatch.setattr(core_table.time, "sleep", waits.append)  # the one retry policy: core.table
    ann = session("ann@example.com")
    contended = Table(affonso_table.name, ContendedClient(affonso_table.client, conflicts=2))
    assert affiliates.create_coupon(contended, ann, "ANN20").coupon.code == "ANN20"
    assert len(waits) == 2

    bob = session("bob@example.com")
    always = Table(affonso_table.name, ContendedClient(affonso_table.client, conflicts=100))
    with pytest.raises(Unavailable):
        affiliates.create_coupon(always, bob, "BOB20")
    assert code_items.get(affonso_table, "BOB20") is None and session("bob@example.com").coupon is None


def test_checkout_gives_the_coupons_discount_to_the_affiliate_until_it_is_disabled(affonso_table, session):
    checkout = pytest.importorskip("coupons.checkout.rules")  # the brand's checkout rules (issue: checkout)
    ann = session("ann@example.com")
    affiliates.create_coupon(affonso_table, ann, "ANN20")
    cart = checkout.Cart(subtotal=Decimal("50.00"), currency="EUR")
    quote = checkout.quote(code_items.get(affonso_table, "ANN20"), "ANN20", cart, utcnow().date())
    assert (quote.discount, quote.owner) == (Decimal("10.00"), Owner(partner="affonso", account="demo", person=ann.affiliate.id))
    affiliates.disable_coupon(affonso_table, "ANN20", by="ops")
    with pytest.raises(checkout.CodeRefused) as refused:
        checkout.quote(code_items.get(affonso_table, "ANN20"), "ANN20", cart, utcnow().date())
    assert refused.value.reason is checkout.Reason.DISABLED


# ---- DynamoDB work per route, and settings changed meanwhile --------------------------------------


def test_each_route_costs_at_most_three_dynamodb_calls(affonso_table):
    counting = CountingClient(affonso_table.client)
    counted = Table(affonso_table.name, counting)  # same name: the same memory of the programme
    opened = programmes.open_programme(counted, "demo", "demo-key")
    counting.calls.clear()
    token = affiliates.issue_token(counted, opened, PartnerProfile(email="calls@example.com")).token
    assert counting.calls == ["query", "transact_write_items"]  # the affiliate; token + pointer + retired token

    counting.calls.clear()
    assert affiliates.open_dashboard(counted, token).session.coupon is None
    assert counting.calls == ["get_item"]  # the token says it all; no coupon, so no sales to read

    counting.calls.clear()
    affiliates.create_coupon(counted, affiliates.open_session(counted, token), "CALLS20")
    assert counting.calls == ["get_item", "transact_write_items"]

    counting.calls.clear()
    again = affiliates.create_coupon(counted, affiliates.open_session(counted, token), "calls-20")
    assert again.replayed and counting.calls == ["get_item"]  # a retry writes nothing

    counting.calls.clear()
    assert affiliates.open_dashboard(counted, token).session.coupon.code == "CALLS20"
    assert counting.calls == ["get_item", "query", "get_item"]  # the token, the coupon's sales, whether it is paused


def _changed_elsewhere(table, programme_id: str, **settings) -> None:
    """A change made by another process (another admin's machine): this one's memory is not told."""
    assignments = ", ".join(f"settings.{name} = :{name}" for name in settings)
    table.client.update_item(
        TableName=table.name, Key=table.serialize({"pk": f"ACCOUNT#affonso#{programme_id}", "sk": "ACCOUNT"}),
        UpdateExpression=f"SET {assignments}, version = version + :one",
        ExpressionAttributeValues=table.values({**{f":{k}": v for k, v in settings.items()}, ":one": 1}))


def test_a_coupon_is_never_made_on_settings_the_brand_changed_meanwhile(affonso_table, session):
    ann = session("ann@example.com")  # the programme is now in this process's memory, self-service on
    _changed_elsewhere(affonso_table, "demo", self_service=False)
    with pytest.raises(SelfServiceNotEnabled):
        affiliates.create_coupon(affonso_table, ann, "ANN20")
    assert code_items.get(affonso_table, "ANN20") is None and session("ann@example.com").coupon is None


def test_self_service_switched_on_meanwhile_works_at_once(affonso_table, session):
    add_programme(affonso_table, "soon", "demo-key", ProgrammeSettings(
        name="Soon", blueprint=Discount(kind=DiscountKind.PERCENT, value=Decimal(10)), self_service=False))
    pat = session("pat@example.com", "soon")  # remembered with self-service off
    _changed_elsewhere(affonso_table, "soon", self_service=True)
    assert affiliates.create_coupon(affonso_table, pat, "PATSOON").coupon.code == "PATSOON"


def test_a_token_issued_before_tokens_carried_their_affiliate_asks_for_a_new_one(affonso_table):
    affonso_table.client.put_item(TableName=affonso_table.name, Item=affonso_table.serialize({
        **affiliate_items.token_key(affiliates.token_hash("old-kind-token")), "programme": "demo",
        "affiliate": "aff_0", "expires_at": int(utcnow().timestamp()) + 600}))
    with pytest.raises(TokenExpired):
        affiliates.open_session(affonso_table, "old-kind-token")


def test_a_new_token_knows_the_coupon_made_with_the_previous_one(affonso_table, session):
    ann = session("ann@example.com")
    affiliates.create_coupon(affonso_table, ann, "ANN20")
    fresh = affiliates.open_session(affonso_table, issue(affonso_table, "ann@example.com"))
    assert fresh.coupon is not None and fresh.coupon.code == "ANN20"
    with pytest.raises(TokenExpired):  # the session it replaced can no longer create anything
        affiliates.create_coupon(affonso_table, ann, "ANN21")
