"""The votes this validator has signed, kept durably so that a restart never signs a
conflicting one.

Promise: ``record`` returns only after the vote is on disk (written and fsynced), and
files replaced by rename have their folder fsynced too;
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
        created = not path.exists()
        _cut_torn_tail(path)
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for appends
        if created:
            _sync_dir(path.parent)

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
        _sync_dir(self.path.parent)
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115

    @property
    def lock_path(self) -> Path:
        """Where the proposal of our last non-nil precommit is kept."""
        return self.path.with_name("lock.json")

    def record_lock(self, wire_proposal: bytes) -> None:
        """Keep the proposal we are about to precommit (atomically, fsynced): after a
        restart we can still propose the value we are locked on."""
        tmp = self.lock_path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            f.write(wire_proposal)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(self.lock_path)
        _sync_dir(self.lock_path.parent)

    def load_lock(self) -> bytes | None:
        """The kept proposal's wire bytes, if any."""
        try:
            return self.lock_path.read_bytes()
        except FileNotFoundError:
            return None

    def close(self) -> None:
        """Close the file."""
        self._file.close()


def _cut_torn_tail(path: Path) -> None:
    """Drop a last line left unfinished by a crash (that vote was never sent), so the
    next vote starts on a line of its own."""
    if not path.exists():
        return
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end != len(data):
        with open(path, "r+b") as f:
            f.truncate(end)
            f.flush()
            os.fsync(f.fileno())


def _sync_dir(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` survive a power cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
