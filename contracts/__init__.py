"""Deterministic state machines that give transactions meaning (later issues)."""
