"""The brand's own checkout: validate and redeem codes, roll back, gift-card balances (``wire``,
``redemptions``); pure rules in ``rules``; the redemption transaction and its items in ``items``."""
