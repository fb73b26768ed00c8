"""Coupon-code service core, shipped as the shared Lambda layer.

Layers inside, from the edge in:
- ``contracts/``: one module per partner wire format (request model, error mapping, response shape);
- domain modules (``issuing``, ``webshops`` ...): business rules, no API Gateway types;
- ``store/``: DynamoDB access, no partner wire formats.
"""
