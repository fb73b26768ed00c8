"""One module per partner wire format: request model, error mapping and response shape.

Everything a partner's documentation says about the wire lives in its module and nowhere else.
"""
