"""The shared core under every wing: nothing here knows a partner's wire format.

codes / money / dates (rules for codes, amounts and days), models (code and account records), credentials
(secrets hashed, compared in constant time; credentials as requests carry them), errors (what the
domain refuses with), table (the client, ``transact`` and ``get_many``, one retry policy),
code_items / account_items / outbox (the items every wing touches), issuing (a code into the
namespace, safe under retries, within a daily budget), sales / sale_items (the seam to the partners:
a redemption, its reporters, the sales of one code), cache (configuration for at most 30 s),
json_body / responses / http_api / observability / snapstart (the Lambda edge, written once).
"""
