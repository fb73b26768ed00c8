"""The shared core under every wing: nothing here knows a partner's wire format.

codes / money (rules for codes and amounts), models (code and account records), credentials
(secrets hashed, compared in constant time; credentials as requests carry them), errors (what the
domain refuses with), table (the client, ``transact`` and ``get_many``, one retry policy),
code_items / account_items / outbox (the items every wing touches), issuing (a code into the
namespace, safe under retries), sales (the seam to the partners: a redemption and its reporters),
json_body / responses / http_api / observability (the Lambda edge, written once).
"""
