"""The handler invoked with each events/friendbuy/*.json, as `sam local invoke -e` does."""

import pytest

from localrun.demo import friendbuy as demo
from localrun.samples import sample_event
from tests.conftest import body, event_names, load_event

FUNCTION = "FriendbuyFunction"


def error(status: int, message: str) -> dict:
    reason = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 409: "Conflict", 422: "Unprocessable Entity"}
    return {"error": reason[status], "message": message, "code": status, "reference": "sample-request"}


REFUSALS = {
    "authorization-wrong-secret": error(401, "The access key or the secret is not valid"),
    "referral-code-missing-email": error(422, "customer.email is required"),
    "referral-code-unknown-campaign": error(404, "Campaign 11111 was not found"),
    "referral-code-unknown-bank": error(404, "Coupon bank 4040 was not found in campaign 53345"),
    "referral-code-unknown-code": error(
        404, "Coupon code NOSUCHCODE was not found; upload it to a coupon bank of campaign 53345 first"),
    "referral-code-no-credentials": error(
        401, "Send Authorization: Bearer <token> (from POST /v1/authorization), the bare token, or Basic key:secret"),
    "referral-code-expired-token": error(
        401, "The bearer token is unknown or has expired; ask POST /v1/authorization for a new one"),
    "referral-code-not-json": error(400, "The body must be a JSON object"),
    "lookup-unknown-referral-code": error(404, "Referral code zzzzzz was not found"),
    "purchase-missing-amount": error(422, "amount: Field required"),
    "purchase-bad-currency": error(422, "The currency 'DOLLARS' is not an ISO 4217 currency code (for example EUR or USD)"),
    "personal-referral-link-unknown-campaign": error(404, "Campaign 11111 was not found"),
    "personal-referral-link-bad-email": error(422, "email 'jzheng' is not an email address"),
    "sign-up-missing-customer-id": error(422, "customerId is required"),
    "custom-event-missing-type": error(422, "eventType is required"),
    "user-data-no-credentials": error(
        401, "Send Authorization: Bearer <token> (from POST /v1/authorization), the bare token, or Basic key:secret"),
    "purchase-unknown-bare-token": error(
        401, "The bearer token is unknown or has expired; ask POST /v1/authorization for a new one"),
}
SUCCESSES = {"authorization", "referral-code-from-bank", "referral-code-existing-code", "referral-code-email-only",
             "lookup-by-email", "lookup-by-customer-id", "purchase-unknown-coupon", "personal-referral-link", "sign-up",
             "customer", "custom-event", "user-data-delete", "legacy-purchase"}


def test_every_sample_event_has_an_expectation():
    assert set(event_names("friendbuy")) == set(REFUSALS) | SUCCESSES


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_refusal_events(handler, name):
    response = handler(FUNCTION)(load_event("friendbuy", name))
    assert (response["statusCode"], body(response)) == (REFUSALS[name]["code"], REFUSALS[name])
    assert response["headers"]["Content-Type"] == "application/json"


def test_authorization_event_answers_a_bearer_token_that_opens_the_routes(handler):
    invoke = handler(FUNCTION)
    response = invoke(load_event("friendbuy", "authorization"))
    answer = body(response)
    assert response["statusCode"] == 200 and set(answer) == {"tokenType", "token", "expires"}
    assert answer["tokenType"] == "Bearer" and answer["expires"].endswith("Z")
    event = load_event("friendbuy", "referral-code-from-bank")
    event["headers"]["authorization"] = f"Bearer {answer['token']}"
    assert invoke(event)["statusCode"] == 201


def test_referral_code_events_then_lookups(handler):
    invoke = handler(FUNCTION)
    created = invoke(load_event("friendbuy", "referral-code-from-bank"))
    referral = body(created)
    assert created["statusCode"] == 201
    assert referral["coupon_code"].startswith("FB") and referral["coupon_bank_id"] == {"id": "9900"}
    assert referral["campaign"] == {"id": 53345} and referral["customer"]["id"] == "C9911"
    assert referral["trackable_link"] == f"https://shop.example/r/{referral['referral_code']}"

    again = invoke(load_event("friendbuy", "referral-code-from-bank"))
    assert (again["statusCode"], body(again)) == (200, referral)

    for name in ("lookup-by-email", "lookup-by-customer-id"):
        found = body(invoke(load_event("friendbuy", name)))
        assert found["count"] == 1 and found["results"][0] == {**referral, "conversions": 0, "revenue": {}}
    route = ("GET", "/friendbuy/v1/referral_codes/{referral_code}", {"referral_code": referral["referral_code"]})
    one = invoke(sample_event(route, {"headers": {"authorization": demo.BASIC}}))
    assert (one["statusCode"], body(one)["coupon_code"]) == (200, referral["coupon_code"])


def test_existing_code_event_gives_the_named_code(handler):
    response = handler(FUNCTION)(load_event("friendbuy", "referral-code-existing-code"))
    answer = body(response)
    assert response["statusCode"] == 201
    assert (answer["coupon_code"], answer["coupon_bank_id"]) == ("GEORGIE10", {"id": "9901"})


def test_email_only_event_lowercases_the_advocates_email(handler):
    answer = body(handler(FUNCTION)(load_event("friendbuy", "referral-code-email-only")))
    assert answer["customer"] == {"id": None, "email": "sam@example.org", "first_name": None, "last_name": None}


def test_purchase_event_is_recorded_unattributed_then_replayed(handler):
    invoke = handler(FUNCTION)
    first = invoke(load_event("friendbuy", "purchase-unknown-coupon"))
    answer = body(first)
    assert first["statusCode"] == 201
    assert answer["attribution"] == {"status": "unattributed", "reason": "Coupon code NOTABANKCODE is unknown"}
    again = invoke(load_event("friendbuy", "purchase-unknown-coupon"))
    assert (again["statusCode"], body(again)) == (201, answer)


def test_purchase_with_an_advocates_code_is_attributed(handler):
    invoke = handler(FUNCTION)
    referral = body(invoke(load_event("friendbuy", "referral-code-from-bank")))
    event = load_event("friendbuy", "purchase-unknown-coupon")
    event["body"] = event["body"].replace("NOTABANKCODE", referral["coupon_code"].lower())
    answer = body(invoke(event))
    assert answer["attribution"] == {"status": "attributed", "referralCode": referral["referral_code"],
                                     "couponCode": referral["coupon_code"], "campaignId": 53345,
                                     "by": "couponCode"}
    found = body(invoke(load_event("friendbuy", "lookup-by-customer-id")))["results"][0]
    assert (found["conversions"], found["revenue"]) == (1, {"USD": "25.00"})


def test_personal_referral_link_is_the_advocates_referral_code_once(handler):
    invoke = handler(FUNCTION)
    first = invoke(load_event("friendbuy", "personal-referral-link"))
    again = invoke(load_event("friendbuy", "personal-referral-link"))
    link = body(first)
    assert (first["statusCode"], again["statusCode"]) == (201, 200) and body(again) == link
    assert set(link) == {"link", "referralCode", "createdOn"}
    assert link["link"].startswith(f"{demo.REFERRAL_URL}?utm_source=email&referralCode={link['referralCode']}&attributionId=")
    # The older API's referral for the same advocate keeps that referral code and adds the coupon code.
    referral = body(invoke(load_event("friendbuy", "referral-code-from-bank")))
    assert referral["referral_code"] == link["referralCode"] and referral["coupon_code"].startswith("FB")


def test_sign_up_customer_and_custom_events_are_recorded_once(handler):
    invoke = handler(FUNCTION)
    for name, repeat_status in (("sign-up", 201), ("customer", 200), ("custom-event", 201)):
        first, again = invoke(load_event("friendbuy", name)), invoke(load_event("friendbuy", name))
        assert (first["statusCode"], again["statusCode"]) == (201, repeat_status), name
        assert body(again)["eventId"] == body(first)["eventId"] and body(first)["createdOn"].endswith("Z")
    signed_up = body(invoke(load_event("friendbuy", "sign-up")))
    assert signed_up["attribution"] == {"status": "unattributed",
                                        "reason": "Coupon code GEORGIE10 has not been given to an advocate"}


def test_legacy_purchase_is_the_merchant_api_purchase_of_that_order(handler):
    invoke = handler(FUNCTION)
    legacy = invoke(load_event("friendbuy", "legacy-purchase"))
    assert legacy["statusCode"] == 201
    mapi = load_event("friendbuy", "purchase-unknown-coupon")
    mapi["body"] = mapi["body"].replace("ORDER-2001", "281")
    assert body(invoke(mapi))["eventId"] == body(legacy)["eventId"]  # one order id, one purchase


def test_user_data_delete_answers_how_many_items_it_scrubbed(handler):
    invoke = handler(FUNCTION)
    invoke(load_event("friendbuy", "sign-up"))
    invoke(load_event("friendbuy", "custom-event"))
    erased = invoke(load_event("friendbuy", "user-data-delete"))
    assert erased["statusCode"] == 200 and body(erased)["scrubbed"] == 2 and body(erased)["jobId"]
    assert body(invoke(load_event("friendbuy", "user-data-delete")))["scrubbed"] == 0  # nothing left to erase
