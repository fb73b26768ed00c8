"""``make bench``: cold-start import cost, per-request overhead against the bare DynamoDB call,
DynamoDB round trips and capacity per operation. One module per contract, each with
``run(ctx) -> list[Row]``; ``harness`` holds what they share."""
