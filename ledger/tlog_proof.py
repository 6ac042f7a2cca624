"""C2SP tlog-proof text (c2sp.org/tlog-proof): an inclusion proof with its checkpoint.

::

    c2sp.org/tlog-proof@v1
    [extra <base64>]
    index <leaf index>
    <base64 proof hash, leaf to root>   (zero or more lines)
    <blank line>
    <signed checkpoint note, verbatim>
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from ledger.canonical import b64decode_strict
from ledger.errors import ProofError
from ledger.merkle import HASH_SIZE

HEADER = "c2sp.org/tlog-proof@v1"
_INDEX = re.compile(r"^index (0|[1-9][0-9]*)$")


@dataclass(frozen=True)
class TlogProof:
    """A leaf index, its RFC 9162 inclusion proof, and the signed checkpoint it leads to."""

    index: int
    proof: tuple[bytes, ...]
    checkpoint: str
    extra: bytes | None = None

    def text(self) -> str:
        """The tlog-proof text."""
        lines = [HEADER]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode())
        lines.append(f"index {self.index}")
        lines += [base64.b64encode(h).decode() for h in self.proof]
        return "\n".join(lines) + "\n\n" + self.checkpoint

    @classmethod
    def parse(cls, text: str) -> TlogProof:
        """Parse tlog-proof text; raise ``ProofError`` if malformed."""
        head, sep, checkpoint = text.partition("\n\n")
        lines = head.split("\n")
        if not sep or lines[0] != HEADER:
            raise ProofError(f"tlog-proof must start with {HEADER!r} and have a blank line")
        pos, extra = 1, None
        try:
            if len(lines) > pos and lines[pos].startswith("extra "):
                extra = b64decode_strict(lines[pos][6:])
                pos += 1
            match = _INDEX.match(lines[pos]) if len(lines) > pos else None
            if not match:
                raise ProofError("tlog-proof has no 'index N' line")
            proof = tuple(b64decode_strict(line) for line in lines[pos + 1 :])
        except ValueError as exc:
            raise ProofError("tlog-proof has a line that is not base64") from exc
        if any(len(h) != HASH_SIZE for h in proof):
            raise ProofError("tlog-proof has a hash that is not 32 bytes")
        return cls(int(match.group(1)), proof, checkpoint, extra)
