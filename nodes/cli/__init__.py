"""The provledger command line (Typer + Rich)."""
