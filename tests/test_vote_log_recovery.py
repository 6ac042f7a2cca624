"""The vote log after a crash mid-write: votes recorded after a restart must survive
the next restart, or the node may sign a conflicting vote (equivocate)."""

from __future__ import annotations

from ledger.keys import SigningKey
from ledger.model.vote import Vote, VoteType
from nodes.vote_log import VoteLog

CHAIN = "ab" * 32


def test_torn_last_line_is_skipped_and_later_votes_are_kept(tmp_path):
    key = SigningKey.generate()
    path = tmp_path / "votes.jsonl"
    log = VoteLog(path)
    first = Vote.signed(key, CHAIN, 1, 0, VoteType.PREVOTE, None)
    log.record(first)
    log.close()
    # A crash while writing the next vote leaves part of a line, without its newline.
    whole = path.read_text()
    path.write_text(whole + whole[:57])

    log = VoteLog(path)  # the restart
    assert log.load() == [first]
    second = Vote.signed(key, CHAIN, 2, 0, VoteType.PRECOMMIT, "cd" * 32)
    log.record(second)  # fsynced: the node may now send it
    log.close()

    # The next restart must still know the second vote.
    assert VoteLog(path).load() == [first, second]


def test_prune_keeps_votes_from_the_given_height(tmp_path):
    key = SigningKey.generate()
    log = VoteLog(tmp_path / "votes.jsonl")
    votes = [Vote.signed(key, CHAIN, h, 0, VoteType.PREVOTE, None) for h in range(1, 6)]
    for v in votes:
        log.record(v)
    log.prune(4)
    assert log.load() == votes[3:]
    extra = Vote.signed(key, CHAIN, 6, 0, VoteType.PREVOTE, None)
    log.record(extra)
    log.close()
    assert VoteLog(tmp_path / "votes.jsonl").load() == [*votes[3:], extra]
