"""The HTTP face of a node: client API, peer API, health and metrics (FastAPI)."""
