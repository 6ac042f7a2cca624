"""Benchmarks that print each figure beside the machine limit it is bounded by."""
