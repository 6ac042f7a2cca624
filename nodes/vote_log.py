"""The votes this validator has signed, kept durably so that a restart never signs a
conflicting one.

Promise: ``record`` returns only after the vote is on disk (written and fsynced);
``load`` returns every vote recorded for heights not yet pruned, and skips a torn last
line left by a crash mid-write (that vote was never sent: it is recorded before it is
sent).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ledger.errors import LedgerError
from ledger.model.vote import Vote


class VoteLog:
    """An append-only file of our signed votes, one JSON line each."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for appends

    def record(self, vote: Vote) -> None:
        """Append ``vote`` and fsync."""
        self._file.write(json.dumps(vote.to_dict(), separators=(",", ":")) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def load(self) -> list[Vote]:
        """Every vote on file, oldest first."""
        votes = []
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                try:
                    votes.append(Vote.from_dict(json.loads(line)))
                except (ValueError, LedgerError):
                    continue
        return votes

    def prune(self, below_height: int) -> None:
        """Drop votes of heights below ``below_height`` (atomically rewrites the file)."""
        keep = [v for v in self.load() if v.height >= below_height]
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            for v in keep:
                f.write(json.dumps(v.to_dict(), separators=(",", ":")) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self._file.close()
        tmp.replace(self.path)
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115

    def close(self) -> None:
        """Close the file."""
        self._file.close()
