"""DynamoDB access. Speaks items, keys and conditions; knows no partner wire format.

``table.Table`` wraps the client; one module per kind of item (``codes``, ``accounts`` ...).
"""
