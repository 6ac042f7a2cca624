"""Histories: a product's whole event chain, or a document's anchor with every re-deposit,
proven complete as of a certified block, offline.

A history document is a state-proof document (``ledger.state_proof``) of format
``"provledger-history/v1"`` with two more fields::

    "subject": {"kind": "product", "id": "<product id>"}
             | {"kind": "document", "sha256": "<hex>"},
    "events": [ {...event record...}, ... ]          a product's events, oldest first

- product: ``entries`` is exactly the traceability record ``product/<id>``. Its
  ``last_event`` names the latest event; every event names, in ``previous[<id>]``, the
  product's event before it (null for the first) and hashes (``ledger.event_chain``) to
  its ``event_id``; the record counts them in ``events``.
- document: ``entries[0]`` is the evidence record ``doc/<sha256>`` (null: never anchored);
  then exactly ``redeposits`` distinct ``redeposit/<tx_id>`` records, each naming this
  digest and the first anchor's ``tx_id``; and ``facts/<sha256>`` iff ``facts_published``.
  ``events`` is empty.

Promises:
- ``verify_history`` runs every check of ``verify_state`` (same steps, same errors), then
  raises ``StateProofError`` starting ``history:`` unless the entries and events are
  exactly the subject's history: for a product, the chain from the proven ``last_event``
  back to the first event, each event unedited, none dropped, added or reordered, as
  many as the record counts; for a document, every re-deposit the record counts and its
  published facts. So a verifier knows the history is whole as of the certified block.
- Needs only ``ledger`` and ``cryptography``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.canonical import check_hex
from ledger.errors import LedgerError, StateProofError, StateProofFormatError
from ledger.event_chain import event_hash
from ledger.model.block import BlockHeader
from ledger.model.fields import expect_object, get_list, get_str
from ledger.model.vote import CommitCertificate
from ledger.state_proof import (
    STATE_FIELDS,
    ProvableEntry,
    ProvenState,
    ProvenValue,
    build_state_proof,
    check_format,
    parse_state_fields,
    verify_parsed,
)
from ledger.trust import Trust

HISTORY_FORMAT = "provledger-history/v1"
HISTORY_FIELDS = STATE_FIELDS | {"subject", "events"}
PRODUCT = "product"
DOCUMENT = "document"
TRACEABILITY = "traceability"
EVIDENCE = "evidence"


@dataclass(frozen=True)
class ProvenHistory:
    """What a valid history proves. ``record`` is the product or document record (None:
    absent as of the block); ``events`` a product's events, oldest first;
    ``redeposits`` a document's re-deposit records; ``facts`` its published facts."""

    state: ProvenState
    kind: str
    subject: str
    record: dict[str, Any] | None
    events: tuple[dict[str, Any], ...] = ()
    redeposits: tuple[dict[str, Any], ...] = ()
    facts: dict[str, Any] | None = None


def product_subject(product_id: str) -> dict[str, Any]:
    """The subject of a product's history."""
    return {"kind": PRODUCT, "id": product_id}


def document_subject(sha256: str) -> dict[str, Any]:
    """The subject of a document's history."""
    return {"kind": DOCUMENT, "sha256": sha256}


def product_key(product_id: str) -> str:
    """The traceability state key of product ``product_id``."""
    return f"product/{product_id}"


def document_keys(
    sha256: str, record: dict[str, Any] | None, redeposit_tx_ids: Sequence[str] = ()
) -> list[tuple[str, str]]:
    """The ``(contract, key)`` pairs a document's history proves, in order: the record,
    the re-deposits made by ``redeposit_tx_ids``, and the facts if published."""
    keys = [(EVIDENCE, f"doc/{sha256}")]
    keys += [(EVIDENCE, f"redeposit/{tx_id}") for tx_id in redeposit_tx_ids]
    if record is not None and record.get("facts_published"):
        keys.append((EVIDENCE, f"facts/{sha256}"))
    return keys


def walk_events(
    product_id: str, record: dict[str, Any], read_event: Callable[[str], Any]
) -> list[dict[str, Any]]:
    """A product's events, oldest first, read with ``read_event(event_id)`` (the value
    of traceability ``event/<event_id>``) from the record's ``last_event`` back to the
    first. Raises ``StateProofError`` if an event is missing or the chain loops."""
    events: list[dict[str, Any]] = []
    seen: set[str] = set()
    current = record.get("last_event")
    while current is not None:
        if current in seen:
            raise StateProofError(f"history: the events of {product_id} loop at {current}")
        seen.add(current)
        event = read_event(current)
        if not isinstance(event, dict):
            raise StateProofError(f"history: event {current} of {product_id} is missing")
        events.append(event)
        current = event.get("previous", {}).get(product_id)
    return events[::-1]


def build_history(
    header: BlockHeader,
    certificate: CommitCertificate,
    checkpoint: str,
    entries: Sequence[ProvableEntry],
    subject: dict[str, Any],
    events: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """Assemble a history document (JSON-safe dict); does not verify it. ``entries``
    come from ``Store.prove_state`` for the subject's keys, ``events`` oldest first."""
    return {
        **build_state_proof(header, certificate, checkpoint, entries),
        "format": HISTORY_FORMAT,
        "subject": dict(subject),
        "events": [dict(e) for e in events],
    }


def verify_history(doc: Any, trust: Trust, *, min_height: int | None = None) -> ProvenHistory:
    """Verify a history document against ``trust``: every check of ``verify_state``,
    then that its entries and events are exactly the subject's whole history. Return
    what it proves or raise ``StateProofError`` naming the failed step."""
    body = check_format(doc, HISTORY_FORMAT, HISTORY_FIELDS)
    parsed = parse_state_fields(body)
    kind, subject = _parse_subject(body["subject"])
    events = _parse_events(body["events"])
    state = verify_parsed(parsed, trust, min_height=min_height)
    if kind == PRODUCT:
        return _product(state, subject, events)
    return _document(state, subject, events)


# ---- internals ------------------------------------------------------------------


def _fault(message: str) -> StateProofError:
    return StateProofError(f"history: {message}")


def _short(h: Any) -> str:
    return f"{h[:16]}…" if isinstance(h, str) else repr(h)


def _parse_subject(obj: Any) -> tuple[str, str]:
    try:
        if isinstance(obj, dict) and obj.get("kind") == PRODUCT:
            expect_object(obj, "subject", {"kind", "id"})
            return PRODUCT, get_str(obj, "id", "subject")
        if isinstance(obj, dict) and obj.get("kind") == DOCUMENT:
            expect_object(obj, "subject", {"kind", "sha256"})
            return DOCUMENT, check_hex(obj["sha256"], "subject.sha256", 32)
    except LedgerError as exc:
        raise StateProofFormatError(f"format: {exc}") from exc
    raise StateProofFormatError(
        f"format: subject: expected kind {PRODUCT!r} with an id, or {DOCUMENT!r} with a sha256"
    )


def _parse_events(obj: Any) -> tuple[dict[str, Any], ...]:
    try:
        events = get_list({"events": obj}, "events", "document")
        for n, event in enumerate(events, start=1):
            where = f"events[{n - 1}]"
            if not isinstance(event, dict):
                raise StateProofFormatError(f"format: {where}: expected an event record")
            check_hex(event.get("event_id"), f"{where}.event_id", 32)
            if not isinstance(event.get("previous"), dict):
                raise StateProofFormatError(f"format: {where}.previous: expected an object")
            event_hash(event)  # canonical form, or CanonicalError
    except StateProofFormatError:
        raise
    except LedgerError as exc:
        raise StateProofFormatError(f"format: {exc}") from exc
    return tuple(events)


def _product(
    state: ProvenState, product_id: str, events: tuple[dict[str, Any], ...]
) -> ProvenHistory:
    key = product_key(product_id)
    _first(state, TRACEABILITY, key)
    if len(state.entries) > 1:
        extra = state.entries[1]
        raise _fault(f"{extra.contract}/{extra.key} is not part of the history of {product_id}")
    record = state.entries[0].value
    if record is None:
        if events:
            raise _fault(
                f"product {product_id} is absent as of height {state.height}, "
                f"yet the history lists {len(events)} events"
            )
        return ProvenHistory(state, PRODUCT, product_id, None)
    if not isinstance(record, dict) or record.get("id") != product_id:
        raise _fault(f"the proven {TRACEABILITY}/{key} is not a record of product {product_id}")
    last, count = record.get("last_event"), record.get("events")
    if not (last is None or isinstance(last, str)) or type(count) is not int:
        raise _fault(f"the record of {product_id} has no last_event and events count")
    for n, event in enumerate(events, start=1):
        if event_hash(event) != event["event_id"]:
            raise _fault(
                f"event {n} ({_short(event['event_id'])}) does not hash to its event_id: "
                "it was edited"
            )
    expected: Any = last
    for n in range(len(events), 0, -1):
        event_id = events[n - 1]["event_id"]
        if expected is None:
            raise _fault(
                f"the chain of {product_id} reaches its first event after event {n + 1}: "
                f"event {n} ({_short(event_id)}) is not in it"
            )
        if event_id != expected:
            if n == len(events):
                raise _fault(
                    f"the last event of {product_id} is {_short(expected)}, the history "
                    f"ends with {_short(event_id)}"
                )
            raise _fault(
                f"event {n + 1} names {_short(expected)} as the previous event of "
                f"{product_id}, the history has {_short(event_id)} before it"
            )
        previous = events[n - 1]["previous"]
        if product_id not in previous:
            raise _fault(f"event {n} ({_short(event_id)}) does not touch {product_id}")
        expected = previous[product_id]
    if expected is not None:
        where = "the oldest event of the history" if events else f"the record of {product_id}"
        raise _fault(f"{where} names an earlier event {_short(expected)}, which it leaves out")
    if len(events) != count:
        raise _fault(
            f"the record of {product_id} counts {count} events, its chain from last_event "
            f"back to the first has {len(events)}"
        )
    return ProvenHistory(state, PRODUCT, product_id, record, events)


def _first(state: ProvenState, contract: str, key: str) -> None:
    found = state.entries[0] if state.entries else None
    if found is None or (found.contract, found.key) != (contract, key):
        first = "nothing" if found is None else f"{found.contract}/{found.key}"
        raise _fault(f"the first entry is {first}, not {contract}/{key}")


def _document(state: ProvenState, sha256: str, events: tuple[dict[str, Any], ...]) -> ProvenHistory:
    doc, facts_key = f"doc/{sha256}", f"facts/{sha256}"
    if events:
        raise _fault("a document's history lists no events")
    entries = state.entries
    _first(state, EVIDENCE, doc)
    record = entries[0].value
    if record is None:
        if len(entries) > 1:
            raise _fault(
                f"document {sha256} was never anchored as of height {state.height}, "
                f"yet the history proves {entries[1].contract}/{entries[1].key}"
            )
        return ProvenHistory(state, DOCUMENT, sha256, None)
    if (
        not isinstance(record, dict)
        or record.get("sha256") != sha256
        or not isinstance(record.get("tx_id"), str)
        or type(record.get("redeposits")) is not int
        or not isinstance(record.get("facts_published"), bool)
    ):
        raise _fault(f"the proven {EVIDENCE}/{doc} is not an anchor record of {sha256}")
    redeposits: list[dict[str, Any]] = []
    facts: dict[str, Any] | None = None
    facts_proven = False
    for entry in entries[1:]:
        name = f"{entry.contract}/{entry.key}"
        if entry.contract == EVIDENCE and entry.key.startswith("redeposit/"):
            redeposits.append(_redeposit(entry, name, sha256, record["tx_id"]))
        elif (entry.contract, entry.key) == (EVIDENCE, facts_key):
            facts_proven = True
            if (entry.value is not None) != record["facts_published"]:
                said = "published" if record["facts_published"] else "not published"
                shown = "absent" if entry.value is None else "present"
                raise _fault(f"the record says facts {said}, the history proves {name} {shown}")
            facts = entry.value
        else:
            raise _fault(f"{name} is not part of the history of {sha256}")
    if len(redeposits) != record["redeposits"]:
        raise _fault(
            f"the record of {sha256} counts {record['redeposits']} re-deposits, the history "
            f"proves {len(redeposits)}"
        )
    if record["facts_published"] and not facts_proven:
        raise _fault(f"the record says facts published, the history does not prove {facts_key}")
    return ProvenHistory(state, DOCUMENT, sha256, record, (), tuple(redeposits), facts)


def _redeposit(entry: ProvenValue, name: str, sha256: str, first_tx_id: str) -> dict[str, Any]:
    value = entry.value
    if value is None:
        raise _fault(f"{name} is proven absent: it is no re-deposit")
    if not isinstance(value, dict) or value.get("sha256") != sha256:
        raise _fault(f"{name} is a re-deposit of another document")
    if value.get("first_tx_id") != first_tx_id:
        raise _fault(f"{name} names another first anchor than {_short(first_tx_id)}")
    return value
