"""The seed manifest: it records the corpus byte for byte, names each article's real
headline and source, and ``check_corpus`` names any file that differs."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from ledger.errors import ValidationError
from seeds.corpus import Document, documents
from seeds.manifest import (
    CorpusMismatch,
    check_corpus,
    corpus_folder,
    load_manifest,
    manifest_entry,
    parse_manifest,
)

SHARED = Path("/work/shared/seeds")


def test_manifest_records_every_corpus_file_byte_for_byte():
    docs = documents()
    entries = load_manifest()
    assert [e.file for e in entries] == [d.name for d in docs]
    assert len(entries) == 5
    for doc in docs:
        entry = manifest_entry(doc.name)
        assert entry is not None
        assert entry.bytes == len(doc.data)
        assert entry.sha256 == hashlib.sha256(doc.data).hexdigest() == doc.sha256
    check_corpus()


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} (the original seeds) is not here")
def test_corpus_is_identical_to_the_shared_originals():
    shared = sorted(p.name for p in SHARED.iterdir() if p.is_file())
    assert shared == [d.name for d in documents()]
    for doc in documents():
        assert (SHARED / doc.name).read_bytes() == doc.data
    check_corpus(SHARED)


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(corpus_folder(), folder)
    check_corpus(folder)
    return folder


def test_a_changed_byte_is_reported_by_file_name(tmp_path):
    folder = _copy(tmp_path)
    target = folder / "002_5c8d7b0c9d1e31d6.txt"
    data = bytearray(target.read_bytes())
    data[100] ^= 0x01
    target.write_bytes(bytes(data))
    with pytest.raises(CorpusMismatch, match=r"^002_5c8d7b0c9d1e31d6\.txt: SHA-256 "):
        check_corpus(folder)


def test_a_changed_size_a_missing_and_an_extra_file_are_reported(tmp_path):
    folder = _copy(tmp_path)
    with (folder / "003_54c0b5e779158fb1.txt").open("ab") as f:
        f.write(b"\n")
    with pytest.raises(CorpusMismatch, match=r"^003_54c0b5e779158fb1\.txt: 3568 bytes"):
        check_corpus(folder)

    folder = _copy(tmp_path / "b")
    (folder / "000_1a7d1cbdc2d70702.txt").unlink()
    with pytest.raises(CorpusMismatch, match=r"^000_1a7d1cbdc2d70702\.txt: .* missing"):
        check_corpus(folder)

    folder = _copy(tmp_path / "c")
    (folder / "005_extra.txt").write_text("not a seed")
    with pytest.raises(CorpusMismatch, match=r"^005_extra\.txt: .* not listed"):
        check_corpus(folder)


def test_titles_are_the_real_headlines():
    titles = {d.name[:3]: d.title for d in documents()}
    # 002's first line is page furniture, 001's is a dateline: the manifest knows better.
    assert titles["002"] == "China’s State-owned Industrial Giants Eyes Blockchain for Innovation"
    assert titles["001"] == "Luo Lin: The future blockchain unicorn enterprise may be born here"
    for doc in documents():
        entry = manifest_entry(doc.name)
        assert entry is not None
        if entry.title_note is None:
            assert entry.title in doc.data.decode("utf-8"), doc.name
    # 004 opens with its body; its title is descriptive and says so.
    note = manifest_entry("004_743dc997306bfd42.txt").title_note
    assert note is not None and "no headline" in note


def test_a_changed_document_falls_back_to_its_first_line():
    doc = documents()[2]
    changed = Document(doc.name, doc.data + b" ")
    assert changed.title == "Hot search keywords"
    assert Document("unknown.txt", b"\n  A headline \nbody").title == "A headline"


def test_sources_are_what_the_text_names():
    by_prefix = {e.file[:3]: e for e in load_manifest()}
    assert by_prefix["003"].source == "Shanghai Securities News"
    assert by_prefix["004"].source == "People’s Daily Overseas Edition"
    assert by_prefix["000"].source == "CoinYuppie"
    for entry in load_manifest():
        text = (corpus_folder() / entry.file).read_text(encoding="utf-8")
        if entry.source_note is None:
            assert entry.source in text, entry.file
    # 001 and 002 name no publication: the source is who the text gives as origin.
    assert by_prefix["001"].source_note and "no publication" in by_prefix["001"].source_note
    assert by_prefix["002"].source_note and "no publication" in by_prefix["002"].source_note
    for person in ("Luo Lin",):
        assert person in (corpus_folder() / by_prefix["001"].file).read_text(encoding="utf-8")
    text_002 = (corpus_folder() / by_prefix["002"].file).read_text(encoding="utf-8")
    for person in ("Liu Liehong", "Zhang Wei", "Bo Manhui"):
        assert person in by_prefix["002"].source and person in text_002


def test_malformed_manifests_are_refused():
    good = json.loads((corpus_folder().parent / "manifest.json").read_text(encoding="utf-8"))
    assert parse_manifest(good) == load_manifest()
    entry = good["documents"][0]
    cases = [
        {"format": "other", "documents": []},
        {**good, "documents": [{k: v for k, v in entry.items() if k != "sha256"}]},
        {**good, "documents": [{**entry, "sha256": "AB" * 32}]},
        {**good, "documents": [{**entry, "bytes": "10"}]},
        {**good, "documents": [{**entry, "colour": "blue"}]},
        {**good, "documents": [entry, entry]},
    ]
    for case in cases:
        with pytest.raises(ValidationError):
            parse_manifest(case)
