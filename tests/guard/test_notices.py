"""The guard's notices are outbox items of their own: delivered at least once with one delivery id,
retried after a failure, never sent twice by a redelivered sale; Friendbuy hears of a paused advocate
code through a custom event (docs/guard.md, "What each party sees")."""

from __future__ import annotations

import json
from datetime import timedelta

from coupons.core import code_items, outbox
from coupons.friendbuy import campaigns, outbound, referrals
from coupons.friendbuy.wire import credentials_of
from coupons.guard import detector
from coupons.sales import alerts, webhook_items
from coupons_admin import guard as admin_guard
from localrun.demo import friendbuy as friendbuy_demo
from tests.checkout.conftest import add_code, drain, local_delivery
from tests.guard.test_detector import SITEVIBES, START, sale, use_mode


def leak_until_paused(table, code: str, owner=SITEVIBES) -> list:
    """Leaked sales (no ref, new customers) until the guard pauses ``code``; the events observed."""
    events = []
    while code_items.get(table, code).paused_at is None:
        assert len(events) < 40, "not paused within 40 leaked sales"
        events.append(sale(code, f"l-{len(events)}", START + timedelta(minutes=len(events)), None, True, owner))
        detector.observe(table, events[-1])
    return events


def guard_calls(stub) -> list[dict]:
    return [c for c in stub.calls if c["path"] == "/hooks/guard"]


def test_a_failed_notice_is_retried_with_the_same_delivery_id_and_never_sent_twice(demo_table, stub):
    webhook_items.put(demo_table, alerts.GUARD_WEBHOOK, f"{stub.url}/hooks/guard", "g-secret")
    add_code(demo_table, "RETRYME", owner=SITEVIBES)
    use_mode(demo_table, "pause")
    events = leak_until_paused(demo_table, "RETRYME")
    sender = local_delivery(demo_table, stub)
    stub.fail_next(2)  # the brand's endpoint is down for the first two attempts
    drain(sender)
    for event in events:  # every sale event delivered again (a redrive, a duplicate message)
        detector.observe(demo_table, event)
    drain(sender)
    calls = guard_calls(stub)
    taken = [c for c in calls if c["status"] == 200]
    assert sorted(c["headers"]["x-coupons-event"] for c in taken) == ["code.leak_suspected", "code.paused"]
    assert any(c["status"] == 503 for c in calls)
    # every attempt at one notice carries that notice's delivery id; each notice is taken once
    ids = {c["headers"]["x-coupons-delivery"] for c in calls}
    assert ids == {c["headers"]["x-coupons-delivery"] for c in taken} and len(ids) == 2
    assert {json.loads(c["body"])["delivery_id"] for c in taken} == ids
    delivered = [outbox.key(i) for i in ids]
    states = [demo_table.deserialize(demo_table.client.get_item(TableName=demo_table.name,
                                                                 Key=demo_table.serialize(k))["Item"])["state"]
              for k in delivered]
    assert states == ["delivered", "delivered"]


def test_without_a_webhook_the_notice_is_kept_as_skipped_to_redrive(demo_table, stub):
    add_code(demo_table, "NOHOOK", owner=SITEVIBES)
    use_mode(demo_table, "pause")
    leak_until_paused(demo_table, "NOHOOK")
    drain(local_delivery(demo_table, stub))
    skipped = [i for i in outbox.in_state(demo_table, outbox.SKIPPED) if i["event"] == outbox.ALERT]
    assert sorted(i["alert"]["event"] for i in skipped if i["partner"] == "guard") == ["code.leak_suspected",
                                                                                       "code.paused"]
    assert stub.calls == []


def test_friendbuy_hears_of_its_advocates_paused_code_and_of_the_unpause(demo_table, stub):
    outbound.link(demo_table, friendbuy_demo.CAMPAIGN, friendbuy_demo.MAPI_KEY, friendbuy_demo.MAPI_SECRET)
    caller = campaigns.caller(demo_table, credentials_of(friendbuy_demo.BASIC))
    code = referrals.refer(demo_table, caller, referrals.ReferralRequest(
        campaign_id=friendbuy_demo.CAMPAIGN, bank_id=friendbuy_demo.BANK,
        advocate=referrals.Advocate(customer_id="ADV-9", email="adv9@example.com"))).referral.coupon_code
    owner = code_items.get(demo_table, code).owner
    use_mode(demo_table, "pause", owner)
    leak_until_paused(demo_table, code, owner)
    sender = local_delivery(demo_table, stub, FRIENDBUY_MAPI_URL=stub.url)
    drain(sender)
    assert admin_guard.unpause(demo_table, code)
    drain(sender)
    custom = [json.loads(c["body"]) for c in stub.calls if c["path"] == "/v1/event/custom" and c["status"] == 201]
    assert [(e["eventType"], e["customerId"], e["couponCode"]) for e in custom] == [
        ("coupon_code_paused", "ADV-9", code), ("coupon_code_unpaused", "ADV-9", code)]
    assert all(e["deduplicationId"].startswith("OUTBOX#ALERT#") for e in custom)
    assert "leaked" in custom[0]["additionalProperties"]["reason"]
    assert code_items.get(demo_table, code).paused_at is None
