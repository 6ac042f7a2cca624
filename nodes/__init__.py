"""Everything that does I/O over the network or the terminal.

The CLI and the core demo and benchmark now; the node server, consensus, peer
transport and client in later issues.
"""
