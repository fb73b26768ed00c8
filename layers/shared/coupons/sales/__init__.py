"""The sender's package: delivering outbox sale events to the partner that owns the code
(``delivery``), and our signed webhook for partners without a sales API (``webhook``,
``webhook_items``)."""
