"""Run every route of template.yaml on 127.0.0.1, backed by DynamoDB Local (``make run``).

Nothing here ships to Lambda. The routes, the table and the functions' environment are read from
template.yaml, so there is no second routing table or table definition to keep in step.
"""
