"""Pydantic models of every body the node's HTTP API reads or answers: what the
generated OpenAPI document states, one module per part of the API."""
