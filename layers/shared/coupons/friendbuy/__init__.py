"""Friendbuy's APIs: authorization (``campaigns``, ``key_items``), coupon banks (``banks``,
``bank_items``), advocates' referral codes (``referrals``, ``referral_items``) and purchases
(``purchases``), spoken in Friendbuy's own bodies and errors (``wire``)."""
