"""One rule for e-mail addresses in every contract: the address alone, unusual ones welcome."""

import json

import pytest

from coupons.core import emails
from tests.conftest import body, load_event

ACCEPTED = ["john.smith@email.com", "o'neil+tag@example.co.uk", "jörg@exämple.de", "a@b.io", "x_y-z@sub.example.com"]
REFUSED = ["<secret.person@example.com>", "Secret Person <secret.person@example.com>", "john smith@email.com",
           "jzheng", "john@localhost", "a@b@c.com", "(a)@b.com", "a@b.com,c@d.com", "a;b@c.com", '"a"@b.com',
           "a@[127.0.0.1]", "a@b..com", "a@.com", "x" * 250 + "@b.com", "a\u0000@b.com"]


@pytest.mark.parametrize("address", ACCEPTED)
def test_accepted(address):
    assert emails.is_address(address)


@pytest.mark.parametrize("address", REFUSED)
def test_refused(address):
    assert not emails.is_address(address)


def test_sitevibes_refuses_an_address_in_angle_brackets(handler):
    event = load_event("sitevibes", "coupon")
    event["body"], event["isBase64Encoded"] = json.dumps({"email": "<secret.person@example.com>"}), False
    response = handler("SiteVibesFunction")(event)
    assert response["statusCode"] == 400 and body(response)["error"]["code"] == "INVALID_EMAIL"
