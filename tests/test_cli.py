"""The CLI as a user runs it: real processes, real files, one-line errors, exit codes."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ledger.trust import Trust
from tests.test_event_hash import reference_hash_ids_of_file


def run(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "nodes.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def one_line_error(result: subprocess.CompletedProcess[str], code: int, fragment: str) -> None:
    assert result.returncode == code, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:") and fragment in lines[0]
    assert "Traceback" not in result.stderr


def test_keys_new_and_show(tmp_path):
    path = tmp_path / "k" / "member.pem"
    made = run("keys", "new", str(path), "--json")
    assert made.returncode == 0, made.stderr
    info = json.loads(made.stdout)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    shown = json.loads(run("keys", "show", str(path), "--json").stdout)
    assert shown == info and len(info["key_id"]) == 64
    one_line_error(run("keys", "new", str(path)), 2, "refusing to overwrite")
    one_line_error(run("keys", "show", str(tmp_path / "none.pem")), 2, "no such key file")
    (tmp_path / "bad.pem").write_text("not a key")
    one_line_error(run("keys", "show", str(tmp_path / "bad.pem")), 2, "not an unencrypted PEM")


def test_genesis_new_writes_genesis_and_trust(tmp_path):
    result = run(
        "genesis",
        "new",
        str(tmp_path),
        "--org",
        "sinochem:producer,processor",
        "--org",
        "cetc:notary",
        "--org",
        "sasac:regulator",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    trust = Trust.load(tmp_path / "trust.json")
    assert out["chain_id"] == trust.chain_id and out["quorum"] == 2
    assert [o["name"] for o in out["organisations"]] == ["sinochem", "cetc", "sasac"]
    for org in ("sinochem", "cetc", "sasac"):
        for kind in ("member", "node"):
            key = tmp_path / "keys" / f"{org}.{kind}.pem"
            assert stat.S_IMODE(key.stat().st_mode) == 0o600
    one_line_error(run("genesis", "new", str(tmp_path), "--org", "x:producer"), 2, "already exists")
    again = run(
        "genesis", "new", str(tmp_path), "--org", "sinochem:producer,processor", "--force", "--json"
    )
    assert again.returncode == 0  # keys were reused
    assert (
        json.loads(again.stdout)["organisations"][0]["member_key_id"]
        == out["organisations"][0]["member_key_id"]
    )
    one_line_error(run("genesis", "new", str(tmp_path / "n"), "--org", "nocolon"), 2, "NAME:ROLE")
    one_line_error(
        run("genesis", "new", str(tmp_path / "n"), "--org", "Bad Name:x"), 2, "must be 1-63"
    )


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    result = run("demo", "--core", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "receipt verified offline" in result.stdout
    assert "forged receipt" in result.stdout and "refused" in result.stdout
    assert "audit clean" in result.stdout
    return out


def test_demo_writes_trust_and_receipts(demo_dir):
    receipts = sorted((demo_dir / "receipts").glob("*.json"))
    assert len(receipts) == 5
    assert (demo_dir / "trust.json").exists()


def test_verify_receipt_command(demo_dir, tmp_path):
    receipt = sorted((demo_dir / "receipts").glob("*.json"))[2]
    trust = demo_dir / "trust.json"
    ok = run("verify-receipt", str(receipt), "--trust", str(trust), "--json")
    assert ok.returncode == 0, ok.stderr
    summary = json.loads(ok.stdout)
    assert summary["verified"] is True and summary["height"] == 3
    assert summary["verdict"] == "VERIFIED"
    assert summary["organisation"] == "sasac"
    human = run("verify-receipt", str(receipt), "--trust", str(trust))
    assert human.returncode == 0 and "VERIFIED" in human.stdout

    forged = json.loads(receipt.read_text())
    forged["header"]["time"] = "2020-01-01T00:00:00.000000Z"
    bad = tmp_path / "forged.json"
    bad.write_text(json.dumps(forged))
    refused = run("verify-receipt", str(bad), "--trust", str(trust))
    assert refused.returncode == 1 and refused.stdout.startswith(f"NOT VERIFIED {bad}")
    assert refused.stderr == ""
    answer = json.loads(run("verify-receipt", str(bad), "--trust", str(trust), "--json").stdout)
    assert answer["verified"] is False and answer["verdict"] == "NOT VERIFIED"
    bad.write_text("{")
    one_line_error(run("verify-receipt", str(bad), "--trust", str(trust)), 2, "not JSON")
    one_line_error(
        run("verify-receipt", str(receipt), "--trust", str(tmp_path / "no.json")),
        2,
        "cannot read trust file",
    )


def test_audit_command(demo_dir, tmp_path):
    db = demo_dir / "ledger.sqlite"
    clean = run("audit", "--db", str(db), "--json")
    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout)["ok"] is True
    human = run("audit", "--db", str(db), "--genesis", str(demo_dir / "genesis.json"))
    assert human.returncode == 0 and "clean" in human.stdout

    copy = tmp_path / "copy.sqlite"
    src, dst = sqlite3.connect(db), sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.execute("UPDATE transactions SET tx_id = zeroblob(32) WHERE log_index = 2")
    dst.commit()
    dst.close()
    fault = run("audit", "--db", str(copy))
    assert fault.returncode == 1
    assert "FAULT" in fault.stdout and "height 3, transaction 0 (log index 2)" in fault.stdout
    finding = json.loads(run("audit", "--db", str(copy), "--json").stdout)["finding"]
    assert (finding["check"], finding["height"], finding["log_index"]) == ("tx_id", 3, 2)
    one_line_error(
        run("audit", "--db", str(tmp_path / "nothing.sqlite")), 2, "no such database file"
    )
    assert not (tmp_path / "nothing.sqlite").exists()
    (tmp_path / "empty.sqlite").touch()
    one_line_error(
        run("audit", "--db", str(tmp_path / "empty.sqlite")), 2, "not a provledger store"
    )


def test_help_everywhere():
    for args in ([], ["keys"], ["genesis", "new"], ["audit"], ["verify-receipt"], ["bench"]):
        result = run(*args, "--help")
        assert result.returncode == 0 and "Usage" in result.stdout


def test_unreadable_inputs_get_one_line(tmp_path, demo_dir):
    trust = demo_dir / "trust.json"
    latin = tmp_path / "latin1.json"
    latin.write_bytes(b'{"format": "caf\xe9"}')
    one_line_error(
        run("verify-receipt", str(latin), "--trust", str(trust)), 2, "cannot read receipt file"
    )
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000)
    one_line_error(run("verify-receipt", str(deep), "--trust", str(trust)), 2, "nested too deeply")
    not_receipt = run("verify-receipt", str(trust), "--trust", str(trust))
    assert not_receipt.returncode == 1 and not_receipt.stdout.startswith("NOT VERIFIED")


@pytest.mark.filterwarnings("ignore:open_text is deprecated:DeprecationWarning")
def test_consortium_demo_runs_three_nodes_and_leaves_none(tmp_path):
    out = tmp_path / "demo"
    result = run("demo", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    for said in (
        "VERIFIED offline",
        "NOT ANCHORED",
        "paragraph 3 (line 5)",
        "fact proven offline",
        "organisations admitted by membership votes",
        "exported from Quanzhou to Singapore",
        "refused, as the rules require",
        "recall impact",
        "kill -9",
        "restarted and caught up",
        "audit clean",
        "every check came out as expected",
        "all nodes stopped",
    ):
        assert said in result.stdout, said
    assert len(list((out / "receipts").glob("*.json"))) == 5
    assert len(list((out / "exports").glob("*.prov.json"))) == 2
    assert len(list((out / "exports").glob("*.epcis.jsonld"))) == 2
    for path in (out / "exports").glob("*.epcis.jsonld"):  # GS1's tool, on the files as written
        events = json.loads(path.read_text(encoding="utf-8"))["epcisBody"]["eventList"]
        assert reference_hash_ids_of_file(path) == [e["eventID"] for e in events], path.name
    trust = json.loads((out / "trust.json").read_text())
    assert {"greenfarm", "sg-energy"} <= {o["name"] for o in trust["organisations"]}
    assert not list((out / "run").glob("*.pid"))
    for log in (out / "logs").glob("*.log"):
        assert "started at height" in log.read_text()
    pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    for pid in pids:
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        assert str(out).encode() not in cmd, f"process {pid} outlived the demo"
    fact = next((out / "proofs").glob("*.json"))
    proven = run("verify-fact", str(fact), "--trust", str(out / "trust.json"))
    assert proven.returncode == 0 and proven.stdout.startswith("VERIFIED fact ")
    forged = json.loads(fact.read_text())
    forged["fact"]["text"] = forged["fact"]["text"] + " (forged)"
    bad = tmp_path / "forged-fact.json"
    bad.write_text(json.dumps(forged))
    refused = run("verify-fact", str(bad), "--trust", str(out / "trust.json"))
    assert refused.returncode == 1 and refused.stdout.startswith(f"NOT VERIFIED {bad}: ")
    assert refused.stderr == ""
    answer = json.loads(
        run("verify-fact", str(bad), "--trust", str(out / "trust.json"), "--json").stdout
    )
    assert (answer["verdict"], answer["verified"]) == ("NOT VERIFIED", False)
    receipt = sorted((out / "receipts").glob("*.json"))[0]
    ok = run("verify-receipt", str(receipt), "--trust", str(out / "trust.json"))
    assert ok.returncode == 0 and "VERIFIED" in ok.stdout


@pytest.mark.parametrize("as_json", [True, False])
def test_bench_consortium_hands_every_option_to_the_bench(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, as_json: bool
) -> None:
    from typer.testing import CliRunner

    from nodes.bench import consortium as bench
    from nodes.cli.main import app

    calls = []

    def fake(folder: Path, **options: Any) -> bench.ConsortiumFigures:
        calls.append((folder, options))
        if not as_json:  # the progress bar's callbacks run without error
            options["presign"](10)
            options["tick"](1.5, 300)
        return bench.ConsortiumFigures(2, 3.0, 900, 850, 283.3, 0.2, 0.9, 9000.0, 2, 1)

    monkeypatch.setattr(bench, "run_consortium_bench", fake)
    args = ["bench", "consortium", "--seconds", "3", "--nodes", "2", "--batch", "50"]
    args += ["--base-port", "7501", "--in-flight", "77", "--keep", str(tmp_path)]
    result = CliRunner().invoke(app, [*args, "--json"] if as_json else args)
    assert result.exit_code == 0, result.output
    ((folder, options),) = calls
    assert folder == tmp_path
    given = {k: v for k, v in options.items() if k not in ("tick", "presign")}
    assert given == {"nodes": 2, "seconds": 3.0, "batch": 50, "base_port": 7501, "in_flight": 77}
    assert ("tick" in options) is ("presign" in options) is (not as_json)
    if as_json:
        out = json.loads(result.output)
        assert (out["committed"], out["limit"]) == (850, 9000.0 * 2 / 2)
    else:
        assert "283 tx/s" in result.output and "850 of 900 sent" in result.output


def test_verify_receipt_verdicts_with_the_file(demo_dir, tmp_path):
    """One vocabulary on stdout, first line: VERIFIED for the anchored bytes; NOT ANCHORED
    for other bytes under a receipt that verifies (with the differing paragraphs); NOT
    VERIFIED when the receipt itself fails."""
    import hashlib

    corpus = Path(__file__).resolve().parents[1] / "seeds" / "corpus"
    by_digest = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in corpus.iterdir()}
    trust = str(demo_dir / "trust.json")
    for receipt in sorted((demo_dir / "receipts").glob("*.json")):
        digest = json.loads(receipt.read_text())["entry"]["tx"]["args"]["sha256"]
        if digest in by_digest and by_digest[digest].suffix in (".txt", ".md"):
            break
    else:
        pytest.fail("no receipt of a seed text document")
    doc = by_digest[digest]
    ok = run("verify-receipt", str(receipt), str(doc), "--trust", trust)
    assert ok.returncode == 0 and ok.stdout.startswith(f"VERIFIED {receipt} for {doc}"), ok.stdout
    text = doc.read_text(encoding="utf-8")
    paragraphs = text.split("\n\n")
    paragraphs[1] = paragraphs[1] + " (changed)"
    copy = tmp_path / doc.name
    copy.write_text("\n\n".join(paragraphs), encoding="utf-8")
    changed = run("verify-receipt", str(receipt), str(copy), "--trust", trust)
    assert changed.returncode == 1, changed.stdout + changed.stderr
    first = changed.stdout.splitlines()[0]
    assert first.startswith(f"NOT ANCHORED {copy}: not the document this receipt anchors")
    assert "verifies" in changed.stdout and "no paragraph hashes" in changed.stdout
    assert changed.stderr == ""
    answer = json.loads(
        run("verify-receipt", str(receipt), str(copy), "--trust", trust, "--json").stdout
    )
    assert (answer["verdict"], answer["verified"]) == ("NOT ANCHORED", False)
    assert answer["differences"] == []  # the core demo anchors no paragraph hashes
    forged = json.loads(receipt.read_text())
    forged["certificate"] = (
        forged["certificate"][:1] if isinstance(forged["certificate"], list) else {}
    )
    bad = tmp_path / "forged.json"
    bad.write_text(json.dumps(forged))
    refused = run("verify-receipt", str(bad), str(doc), "--trust", trust)
    assert refused.returncode == 1 and refused.stdout.startswith(f"NOT VERIFIED {bad}: ")
