"""Affonso's embed API: self-service affiliate coupons with embed tokens and a coupon blueprint
(``wire``, ``programmes``, ``affiliates``; tokens, affiliates and claims in ``items``)."""
