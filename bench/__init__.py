"""``make bench``: cold-start import cost, per-request overhead against the bare DynamoDB call,
DynamoDB round trips and capacity per operation. One module per contract plus
``coldstart`` (every handler, imported from its built artifacts as Lambda loads them), each with
``run(ctx) -> list[Row]``; ``harness`` and ``artifacts`` hold what they share."""
