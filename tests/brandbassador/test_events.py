"""The handler invoked with each events/brandbassador/*.json, as `sam local invoke -e` does."""

import pytest

from tests.conftest import body, event_names, load_event

EXPECTED = {
    "percent-code": (200, {"status": "success"}),
    "gift-card": (200, {"status": "success"}),
    "bad-code": (400, {"status": 0, "error": "The discount code 'JOHN-20' may only contain letters A-Z and digits 0-9"}),
    "both-percentage-and-amount": (
        400, {"status": 0, "error": "Send either percentage (a discount code) or amount (a gift card), not both"}),
    "wrong-key": (403, {"status": 0, "error": "The key for webshop 'demo' is not valid"}),
    "unknown-webshop": (
        403, {"status": 0, "error": "The key for webshop 'nope' is not valid"}),  # as a wrong key: no enumeration
}


def test_every_sample_event_has_an_expectation():
    assert set(event_names("brandbassador")) == set(EXPECTED) | {"duplicate-other-case"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_event(handler, name):
    response = handler("BrandbassadorFunction")(load_event("brandbassador", name))
    assert (response["statusCode"], body(response)) == EXPECTED[name]
    assert response["headers"]["Content-Type"] == "application/json"


def test_duplicate_in_other_case_after_the_percent_code(handler):
    invoke = handler("BrandbassadorFunction")
    assert invoke(load_event("brandbassador", "percent-code"))["statusCode"] == 200
    response = invoke(load_event("brandbassador", "duplicate-other-case"))
    assert (response["statusCode"], body(response)) == (409, {"status": 0, "error": "Discount code already exists"})


def test_retry_of_the_same_event_answers_success_again(handler):
    invoke = handler("BrandbassadorFunction")
    event = load_event("brandbassador", "gift-card")
    assert [invoke(event)["statusCode"] for _ in range(3)] == [200, 200, 200]
