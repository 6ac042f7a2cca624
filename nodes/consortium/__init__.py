"""A local consortium in one folder: its identity, node configurations, processes and
logs; created by ``provledger consortium init`` and run by ``up``/``down``."""
