"""The explorer's browser side: static ES modules that verify receipts in the browser.

``static/js/`` holds the verifier library (no build step, no third-party code): it
checks a receipt against a pinned trust.json with WebCrypto alone, trusting the server
that delivered it for nothing. ``STATIC_DIR`` is where a server mounts it.
"""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
