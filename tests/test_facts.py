"""Fact extraction: hand-checked facts of every seed document, the promises every fact
keeps, determinism across processes, robustness on any text, and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ledger.canonical import canonical
from nodes.cli.main import app
from seeds.corpus import documents
from seeds.facts import EXTRACTOR_VERSION, FACT_KEYS, KINDS, extract_facts
from seeds.facts.model import MAX_NAME, MAX_ORGANISATIONS, MAX_SPAN, MAX_UNIT, MAX_VALUE

SASAC = "State-owned Assets Supervision and Administration Commission of the State Council"
MIIT = "Ministry of Industry and Information Technology"
CETC = "China Electronics Technology Group Corporation"
STATE_GRID = "State Grid Corporation of China"
NDRC = "National Development and Reform Commission"


@cache
def doc_text(prefix: str) -> tuple[str, str]:
    (doc,) = [d for d in documents() if d.name.startswith(prefix)]
    return doc.name, doc.data.decode("utf-8")


@cache
def facts_of(prefix: str) -> tuple[dict[str, Any], ...]:
    name, text = doc_text(prefix)
    return tuple(extract_facts(name, text))


def fact(prefix: str, kind: str, span: str, nth: int = 0, after: str = "") -> dict[str, Any]:
    """The one fact of ``kind`` whose span is exactly the ``nth`` occurrence of ``span``
    in the document (counting from the first occurrence of ``after``)."""
    _, text = doc_text(prefix)
    pos = text.index(after) if after else 0
    for _ in range(nth):
        pos = text.index(span, pos) + 1
    start = text.index(span, pos)
    found = [
        f
        for f in facts_of(prefix)
        if (f["start"], f["end"], f["kind"]) == (start, start + len(span), kind)
    ]
    assert len(found) == 1, (kind, span, [f for f in facts_of(prefix) if f["start"] == start])
    return found[0]


def claim(prefix: str, sentence_start: str) -> dict[str, Any]:
    """The claim whose sentence begins with ``sentence_start``."""
    found = [
        f for f in facts_of(prefix) if f["kind"] == "claim" and f["text"].startswith(sentence_start)
    ]
    assert len(found) == 1, sentence_start
    return found[0]


def check(f: dict[str, Any], value: Any, unit: str | None = None) -> None:
    assert (f["value"], f["unit"]) == (value, unit), f
    assert type(f["value"]) is type(value), f


# ---- hand-verified facts, read off each document ------------------------------------


def test_doc_000_why_54_central_enterprises():
    check(fact("000", "count", "54 central enterprises"), 54, "central enterprises")
    check(fact("000", "date", "October 27"), "--10-27", "day, year not stated")
    sasac = "State-owned Assets Supervision and Administration Commission"
    check(fact("000", "organisation", sasac), SASAC)
    check(fact("000", "organisation", "SASAC"), SASAC)
    check(fact("000", "organisation", MIIT), MIIT)
    signing = claim("000", "On October 27, the State-owned Assets")
    check(signing, "SASAC, MIIT: sign")
    assert signing["text"].endswith("the real economy.")
    assert signing["organisations"] == [MIIT, SASAC]
    check(fact("000", "date", "October 24, 2020"), "2020-10-24", "day")
    check(
        fact("000", "organisation", "Ordnance Industry Corporation"),
        "China North Industries Group Corporation",
    )
    twenty = fact("000", "count", "20 central enterprises")
    check(twenty, 20, "central enterprises")
    assert SASAC in twenty["organisations"] and STATE_GRID in twenty["organisations"]
    check(fact("000", "date", "December 2020"), "2020-12", "month")
    check(fact("000", "count", "54", after="as of December 2020"), 54, "central enterprises")
    check(fact("000", "count", "97 central enterprises"), 97, "central enterprises")
    check(fact("000", "percentage", "55.7%"), "55.7", "%")
    check(fact("000", "count", "3709 blockchain companies"), 3709, "blockchain companies")
    check(fact("000", "year", "2018"), 2018)
    check(fact("000", "ranking", "first", after="2018 is the"), 1, "rank")
    check(fact("000", "count", "451"), 451, "blockchain patents")
    check(fact("000", "count", "373 blockchain patents"), 373, "blockchain patents")
    check(fact("000", "date", "April 20, 2020"), "2020-04-20", "day")


def test_doc_001_luo_lin():
    check(fact("001", "date", "Monday, October 26, 2020"), "2020-10-26", "day")
    # The dateline gives the year of dates the text writes without one.
    check(fact("001", "date", "April 20"), "2020-04-20", "day, year from dateline")
    check(fact("001", "date", "July"), "2020-07", "month, year from dateline")
    check(fact("001", "date", "August this year"), "2020-08", "month, year from dateline")
    check(fact("001", "date", "April 2020"), "2020-04", "month")
    check(fact("001", "money", "38.9 billion yuan"), "38900000000", "CNY")
    check(fact("001", "money", "900 million yuan"), "900000000", "CNY")
    check(fact("001", "ranking", "ranks fifth"), 5, "rank")
    check(fact("001", "ranking", "top three"), 3, "top")
    check(fact("001", "count", "9 new occupations"), 9, "new occupations")
    check(fact("001", "count", "two new blockchain occupations"), 2, "new blockchain occupations")
    check(fact("001", "percentage", "2.8%"), "2.8", "%")
    check(fact("001", "quantity", "400,000 square meters"), 400000, "m2")
    check(fact("001", "count", "3-5 unicorn companies"), "3-5", "unicorn companies")
    check(fact("001", "count", "3,000 Internet companies"), 3000, "Internet companies")
    mohrss = "Ministry of Human Resources and Social Security"
    check(fact("001", "organisation", mohrss), mohrss)
    csrc = "China Securities Regulatory Commission"
    check(fact("001", "organisation", csrc), csrc)
    check(fact("001", "organisation", "Securities Regulatory Commission", nth=2), csrc)
    check(claim("001", "In early July, the Ministry of Human"), "MOHRSS: announce")


def test_doc_002_state_owned_giants():
    check(fact("002", "organisation", CETC), CETC)
    check(fact("002", "organisation", "CETC"), CETC)
    check(fact("002", "organisation", "Sinochem Group"), "Sinochem Group")
    check(fact("002", "organisation", "Sinochem", after="Zhang Wei"), "Sinochem Group")
    check(fact("002", "date", "December 2017"), "2017-12", "month")
    check(fact("002", "ranking", "first", after="carried out its"), 1, "rank")
    check(fact("002", "organisation", STATE_GRID), STATE_GRID)
    check(fact("002", "organisation", "SGCC"), STATE_GRID)
    ev = "State Grid Electric Vehicle Service Company"
    check(fact("002", "organisation", ev), ev)
    check(
        fact("002", "organisation", "China TravelSky Holding Company"),
        "China TravelSky Holding Company",
    )
    disclosed = claim("002", "Sinochem also disclosed")
    check(disclosed, "Sinochem: disclose")
    assert disclosed["organisations"] == ["Sinochem Group"]
    check(fact("002", "count", "two main factors"), 2, "main factors")
    check(fact("002", "date", "June"), "--06", "month, year not stated")


def test_doc_003_shanghai_securities_news():
    ssn = "Shanghai Securities News"
    check(fact("003", "organisation", ssn), ssn)
    departments = fact("003", "count", "53 departments")
    check(departments, 53, "departments")
    assert departments["organisations"] == ["Chongqing Municipal Committee", "Standing Committee"]
    suning = "Suning Financial Research Institute"
    check(fact("003", "organisation", suning), suning)
    check(claim("003", "Fu Yifu, a senior researcher"), f"{suning}: tell")
    check(fact("003", "organisation", NDRC), NDRC)
    check(
        fact("003", "organisation", "China Xintong Institute"),
        "China Academy of Information and Communications Technology",
    )
    check(fact("003", "year", "2019"), 2019)
    check(fact("003", "organisation", "AVIC Securities"), "AVIC Securities")
    check(claim("003", "AVIC Securities believes"), "AVIC Securities: believe")


def test_doc_004_guiding_opinions():
    check(fact("004", "organisation", MIIT), MIIT)
    office = "Office of the Central Cyber Security and Informatization Commission"
    check(fact("004", "organisation", office), "Cyberspace Administration of China")
    issued = claim("004", "Recently, the Ministry of Industry")
    check(issued, "MIIT, CAC: issue")
    assert issued["organisations"] == ["Cyberspace Administration of China", MIIT]
    check(fact("004", "year", "2025"), 2025)
    check(fact("004", "year", "2030"), 2030)
    check(fact("004", "count", "22 key tasks", nth=1), 22, "key tasks")
    check(fact("004", "count", "five major areas"), 5, "major areas")
    check(fact("004", "count", "six safeguard measures"), 6, "safeguard measures")
    check(fact("004", "percentage", "70%"), "70", "%")
    check(fact("004", "organisation", "JD Logistics"), "JD Logistics")
    check(fact("004", "organisation", "People’s Daily Overseas Edition"), "People's Daily")
    dept = "Information Technology Development Department"
    check(fact("004", "organisation", dept), dept)


# ---- promises every fact keeps ------------------------------------------------------

VALUE_TYPES: dict[str, tuple[type, ...]] = {
    "claim": (str,),
    "count": (int, str),
    "date": (str,),
    "money": (str,),
    "number": (int, str),
    "organisation": (str,),
    "percentage": (str,),
    "quantity": (int, str),
    "ranking": (int,),
    "year": (int,),
}


def assert_well_formed(doc: str, text: str, facts: list[dict[str, Any]]) -> None:
    keys = [(f["start"], f["end"], f["kind"]) for f in facts]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    for f in facts:
        assert list(f) == list(FACT_KEYS)
        assert f["doc"] == doc
        assert 0 <= f["start"] < f["end"] <= len(text)
        assert f["text"] == text[f["start"] : f["end"]]
        assert f["kind"] in KINDS
        assert isinstance(f["value"], VALUE_TYPES[f["kind"]]), f
        assert f["unit"] is None or isinstance(f["unit"], str)
        assert f["organisations"] == sorted(set(f["organisations"]))
        assert len(f["organisations"]) <= MAX_ORGANISATIONS
        assert all(len(name) <= MAX_NAME for name in f["organisations"])
        assert len(f["text"]) <= MAX_SPAN and len(f["unit"] or "") <= MAX_UNIT
        assert not isinstance(f["value"], str) or len(f["value"]) <= MAX_VALUE
        if f["kind"] == "organisation" and len(f["organisations"]) < MAX_ORGANISATIONS:
            assert f["value"] in f["organisations"]
        canonical(f)


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_every_fact_keeps_its_promises(prefix):
    name, text = doc_text(prefix)
    facts = list(facts_of(prefix))
    assert_well_formed(name, text, facts)
    kinds = {f["kind"] for f in facts}
    assert len(kinds) >= 3, kinds
    assert {"organisation", "claim"} <= kinds


def test_extraction_is_deterministic_across_processes():
    expected = {d.name: extract_facts(d.name, d.data.decode("utf-8")) for d in documents()}
    assert expected == {d.name: extract_facts(d.name, d.data.decode("utf-8")) for d in documents()}
    script = (
        "import json; from seeds.corpus import documents; from seeds.facts import extract_facts;"
        "print(json.dumps({d.name: extract_facts(d.name, d.data.decode()) for d in documents()},"
        " sort_keys=True))"
    )
    for seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
        )
        assert json.loads(out.stdout) == expected
        assert out.stdout.strip() == json.dumps(expected, sort_keys=True)


# ---- any text -----------------------------------------------------------------------

PIECES = [
    "Group", "Ministry of", "Commission", "State Grid", "SASAC", " and ", " of ", "the ",
    "first", "ranks", "top", "No.", "October", "in July", "this year", "2020", "12",
    "3,000", "55.7", "%", "$", "yuan", "billion", "-", ",", ".", ". ", "\n\n", " ",
    "’s", "companies", "年", "月", "日", "two", "said", "signed",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.text(max_size=300), st.lists(st.sampled_from(PIECES), max_size=80).map("".join))
)
def test_any_text_gives_well_formed_facts(text):
    assert_well_formed("x.txt", text, extract_facts("x.txt", text))


@pytest.mark.parametrize(
    "text",
    [
        "1" * 200_000,
        "1,000" * 40_000 + "G",
        "Alpha " * 35_000 + "Group",
        "Alpha and " * 20_000 + "Group",
        "Ministry of " * 18_000 + "Beta",
        "October " * 25_000,
        "end." + " " * 200_000 + "x",
        "1-" * 100_000,
        "the first year " * 14_000,
        "".join(f"Org{i} Group, " for i in range(9_000)) + "signed.",
        "x" * 100_000 + " Group " + "7" * 100_000 + " companies",
    ],
    ids=[
        "digits",
        "thousands",
        "caps",
        "and-chain",
        "of-chain",
        "months",
        "spaces",
        "ranges",
        "ordinals",
        "many-orgs",
        "huge-words",
    ],
)
def test_pathological_200kb_inputs_complete_within_bounds(text):
    assert_well_formed("big.txt", text, extract_facts("big.txt", text))


def test_facts_fit_the_evidence_contract():
    fact_args = pytest.importorskip("contracts.evidence.fact_args")
    crowded = "".join(f"Org{i} Group, " for i in range(200)) + "signed 3 deals."
    for name, text in [*(doc_text(p) for p in ("000", "001", "002", "003", "004")),
                       ("crowded.txt", crowded)]:  # fmt: skip
        for i, f in enumerate(extract_facts(name, text)):
            fact_args.check_fact(f"{name}[{i}]", f)
    (claim_fact,) = [f for f in extract_facts("c.txt", crowded) if f["kind"] == "claim"]
    assert claim_fact["value"].endswith("more: sign")
    assert len(claim_fact["organisations"]) == MAX_ORGANISATIONS


# ---- the CLI ------------------------------------------------------------------------

runner = CliRunner()


def test_cli_seeds_list():
    result = runner.invoke(app, ["seeds", "list", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert listed["corpus_matches"] is True
    assert [d["file"][:3] for d in listed["documents"]] == ["000", "001", "002", "003", "004"]
    table = runner.invoke(app, ["seeds", "list"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "Shanghai Securities News" in table.stdout


def test_cli_seeds_list_names_a_tampered_file(tmp_path):
    folder = tmp_path / "corpus"
    for doc in documents():
        data = doc.data.replace(b"54", b"55", 1) if doc.name.startswith("000") else doc.data
        (folder / doc.name).parent.mkdir(exist_ok=True)
        (folder / doc.name).write_bytes(data)
    result = runner.invoke(app, ["seeds", "list", "--corpus", str(folder)])
    assert result.exit_code == 1
    assert "000_1a7d1cbdc2d70702.txt: SHA-256" in result.stderr


def test_cli_seeds_facts_json_doc_and_kind():
    result = runner.invoke(app, ["seeds", "facts", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["extractor"] == EXTRACTOR_VERSION == "provledger-facts/1"
    assert out["facts"] == [f for p in ("000", "001", "002", "003", "004") for f in facts_of(p)]

    one = json.loads(runner.invoke(app, ["seeds", "facts", "--json", "--doc", "003"]).stdout)
    assert one["facts"] == list(facts_of("003"))
    counts = runner.invoke(app, ["seeds", "facts", "--json", "--doc", "003", "--kind", "count"])
    assert [f["text"] for f in json.loads(counts.stdout)["facts"]] == ["53 departments"]
    table = runner.invoke(app, ["seeds", "facts", "--doc", "002"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "Sinochem Group" in table.stdout

    for bad in (["--doc", "999"], ["--kind", "colour"]):
        refused = runner.invoke(app, ["seeds", "facts", *bad])
        assert refused.exit_code == 2
        assert len(refused.stderr.strip().splitlines()) == 1


def test_cli_seeds_facts_from_a_file(tmp_path):
    good = tmp_path / "note.txt"
    good.write_text("On 3 March 2021 Sinochem Group signed 2 contracts worth $1.2 billion.\n")
    result = runner.invoke(app, ["seeds", "facts", "--json", "--file", str(good)])
    assert result.exit_code == 0, result.output
    got = {
        (f["kind"], f["text"]): (f["value"], f["unit"]) for f in json.loads(result.stdout)["facts"]
    }
    assert got[("date", "3 March 2021")] == ("2021-03-03", "day")
    assert got[("money", "$1.2 billion")] == ("1200000000", "USD")
    assert got[("count", "2 contracts")] == (2, "contracts")
    assert got[("organisation", "Sinochem Group")] == ("Sinochem Group", None)

    bad = tmp_path / "latin1.txt"
    bad.write_bytes("café".encode("latin-1"))
    refused = runner.invoke(app, ["seeds", "facts", "--file", str(bad)])
    assert refused.exit_code == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "not UTF-8" in lines[0] and "Traceback" not in refused.output
