"""Everything that does I/O over the network or the terminal: the CLI now; node server, consensus and client later."""
