"""``provledger verify-state`` as a user runs it: what a proof proves in plain words,
exit 0; a forged proof NOT VERIFIED naming the failed step, exit 1; a file that is not a
state proof, one line on stderr, exit 2."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ledger.state_proof import build_state_proof
from ledger.store import Store
from tests.conftest import make_consortium
from tests.test_cli import one_line_error, run
from tests.test_history_proof import History, build
from tests.test_state_proof import PRODUCT


@dataclass
class Files:
    folder: Path
    history: History

    def write(self, name: str, doc: object) -> str:
        path = self.folder / name
        path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
        return str(path)

    def verify(
        self, name: str, doc: object, *extra: str
    ) -> tuple[str, list[str], subprocess.CompletedProcess[str]]:
        path = self.write(name, doc)
        result = run("verify-state", path, "--trust", str(self.folder / "trust.json"), *extra)
        return path, result.stdout.splitlines(), result


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Files]:
    folder = tmp_path_factory.mktemp("state-cli")
    consortium = make_consortium(3)
    store = Store.create(str(folder / "node.sqlite"), consortium.genesis)
    history = build(store, consortium)
    (folder / "trust.json").write_text(json.dumps(history.trust.to_dict()))
    yield Files(folder, history)
    store.close()


def _when(files: Files) -> str:
    header = files.history.store.header(3)
    return f"as of height 3 ({header.time}), certified by org0-node, org1-node, org2-node"


def test_a_product_history_in_one_sentence(files: Files) -> None:
    path, lines, result = files.verify("product.json", files.history.product())
    assert result.returncode == 0, result.stdout + result.stderr
    assert lines == [
        f"VERIFIED {path}",
        f"  {PRODUCT}: recalled, held by org2, owned by org0, 3 events, {_when(files)}",
    ]


def test_a_document_history_and_a_document_never_anchored(files: Files) -> None:
    a = files.history.doc_a
    _, lines, result = files.verify("doc.json", files.history.document(a))
    assert result.returncode == 0, result.stderr
    assert lines[1] == (
        f"  doc {a}: first deposited by org0 at height 1, 2 re-deposits, facts published, "
        f"{_when(files)}"
    )
    absent = "c3" * 32
    _, lines, result = files.verify("absent.json", files.history.document(absent))
    assert result.returncode == 0, result.stderr
    assert lines[1] == f"  {absent}: never anchored {_when(files)}"


def test_a_state_proof_names_each_entry(files: Files) -> None:
    h = files.history
    keys = [
        ("evidence", f"doc/{h.doc_a}"),
        ("evidence", f"redeposit/{h.redeposit_txs[0]}"),
        ("evidence", "doc/" + "c3" * 32),
        ("ledger", "nothing/here"),
    ]
    _, lines, result = files.verify("state.json", build_state_proof(*h.store.prove_state(keys)))
    assert result.returncode == 0, result.stderr
    assert lines[1].startswith(f"  doc {h.doc_a}: first deposited by org0 at height 1")
    assert lines[2].startswith(f"  evidence/redeposit/{h.redeposit_txs[0]} = {{")
    assert lines[2].endswith("…") and len(lines[2]) < 200
    assert lines[3] == f"  {'c3' * 32}: never anchored"
    assert lines[4] == "  ledger/nothing/here: absent"
    assert lines[5] == f"  {_when(files)}"


def test_json_output(files: Files) -> None:
    _, _, result = files.verify("product-json.json", files.history.product(), "--json")
    out = json.loads(result.stdout)
    assert out["verdict"] == "VERIFIED" and out["height"] == 3
    assert out["entries"][0]["key"] == f"product/{PRODUCT}"


def test_a_forged_proof_is_not_verified(files: Files) -> None:
    doc = files.history.product()
    doc["entries"][0]["value"]["status"] = "active"
    path, lines, result = files.verify("forged.json", doc)
    assert result.returncode == 1
    assert lines == [
        f"NOT VERIFIED {path}: entry traceability/product/{PRODUCT}: the proven value hash "
        "differs from the expected value's"
    ]
    doc = files.history.product()
    del doc["events"][1]
    _, lines, result = files.verify("dropped.json", doc)
    assert result.returncode == 1 and len(lines) == 1 and ": history: " in lines[0]


def test_an_older_proof_than_asked_for_is_not_verified(files: Files) -> None:
    _, lines, result = files.verify("old.json", files.history.product(), "--min-height", "9")
    assert result.returncode == 1
    assert lines[0].endswith("height: proven as of height 3, older than the height 9 you asked for")


def test_a_malformed_file_is_one_line_exit_2(files: Files) -> None:
    trust = str(files.folder / "trust.json")
    path = files.write("bad.json", "{not json")
    one_line_error(run("verify-state", path, "--trust", trust), 2, "not JSON")
    path = files.write("receipt.json", {"format": "provledger-receipt/v1"})
    one_line_error(run("verify-state", path, "--trust", trust), 2, "not a provledger-state-proof")
    doc = files.history.product()
    del doc["header"]
    path = files.write("missing.json", doc)
    one_line_error(run("verify-state", path, "--trust", trust), 2, "format: ")
    one_line_error(run("verify-state", path, "--trust", str(files.folder / "none")), 2, "none")
