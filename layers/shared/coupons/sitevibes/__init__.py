"""SiteVibes' custom coupon rewards: POST {email} -> {coupon_code} (``wire``, ``rewards``), one
claim per reward and shopper stored with its code in one transaction (``items``)."""
