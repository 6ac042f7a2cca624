"""The peer protocol between validator nodes: signed requests, consensus messages on
the wire, and an HTTP client with timeouts and retries."""
