"""Anchors: a forged history that walks cleanly on its own is caught against an anchor kept outside.

`evidence anchor` prints the chain head as one line; `evidence verify --anchor FILE` checks that the
chain still extends it. The forger here holds the database, goes around the triggers and recomputes
every hash after the event they change, so the chain alone looks intact.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from conftest import Catalogue
from tampering import chain, current_digests, edit_actor, fill, rewrite, seq_of, tamper


@pytest.fixture
def filled(catalogue: Catalogue) -> dict[str, Any]:
    return fill(catalogue)


def test_a_forged_history_passes_alone_but_not_against_an_anchor(
    catalogue: Catalogue, filled: dict[str, Any], tmp_path: Path
) -> None:
    anchor = tmp_path / "anchor.txt"
    printed = catalogue.run("anchor", "-o", anchor)
    assert printed.exit_code == 0, printed.output
    line = anchor.read_text().strip()
    assert printed.stdout.strip() == line and line.startswith("evidence-anchor v1 seq=")
    (catalogue.home / "later.txt").write_text("added after the anchor")
    catalogue.ok("add", catalogue.home / "later.txt")
    assert catalogue.json("verify", "--anchor", anchor)["anchor"]["ok"] is True
    # rewrite the first acquisition (long before the anchor), the digest of its state in the event that
    # recorded it, and every hash after that event
    seq = seq_of(catalogue, "acquire")
    tamper(catalogue, [("UPDATE acquisition SET source_url = 'https://forged.example/' WHERE id = 1", {})])
    digests = current_digests(catalogue, [("acquisition", 1)])
    rewrite(
        catalogue, seq, lambda r: {**r.details, "source_url": "https://forged.example/", "records": digests}
    )
    alone = catalogue.json("verify")
    assert alone["ok"] is True  # the chain and the records agree: only an anchor can tell
    result = catalogue.run("verify", "--anchor", anchor)
    assert result.exit_code == 5, result.output
    anchored_seq = int(line.split("seq=")[1].split()[0])
    assert f"custody event {anchored_seq} no longer has the anchored hash" in result.stderr
    assert "rewritten" in result.stderr
    doc = catalogue.json("verify", "--anchor", anchor, code=5)
    assert doc["anchor"]["ok"] is False
    assert [(p["kind"], p["subject"]) for p in doc["problems"]] == [("anchor", f"event:{anchored_seq}")]


def test_events_cut_off_the_end_are_caught_by_an_anchor(
    catalogue: Catalogue, filled: dict[str, Any], tmp_path: Path
) -> None:
    anchor = tmp_path / "anchor.txt"
    catalogue.ok("verify")
    catalogue.ok("verify")  # two more events that record no record
    catalogue.ok("anchor", "-o", anchor)
    anchored_seq = int(anchor.read_text().split("seq=")[1].split()[0])
    tamper(catalogue, [("DELETE FROM event WHERE seq >= :s", {"s": anchored_seq - 1})])
    assert catalogue.json("verify")["ok"] is True  # a shorter chain still walks cleanly on its own
    result = catalogue.run("verify", "--anchor", anchor)
    assert result.exit_code == 5, result.output
    assert f"the anchor names custody event {anchored_seq} but the chain now ends at event" in result.stderr


def test_events_cut_off_the_end_that_recorded_records_fail_even_without_an_anchor(
    catalogue: Catalogue, filled: dict[str, Any]
) -> None:
    seq = seq_of(catalogue, "describe")
    tamper(catalogue, [("DELETE FROM event WHERE seq >= :s", {"s": seq})])
    problems = catalogue.json("verify", code=5)["problems"]
    assert ("record-unlogged", f"description:{filled['description']}") in {
        (p["kind"], p["subject"]) for p in problems
    }


def test_an_edit_before_the_anchor_is_named_by_walk_and_anchor(
    catalogue: Catalogue, filled: dict[str, Any], tmp_path: Path
) -> None:
    anchor = tmp_path / "anchor.txt"
    catalogue.ok("anchor", "-o", anchor)
    seq = seq_of(catalogue, "claim")
    tamper(catalogue, edit_actor(seq))
    kinds = {p["kind"] for p in catalogue.json("verify", "--anchor", anchor, code=5)["problems"]}
    assert kinds == {"chain-edited", "anchor"}


def test_anchor_refuses_a_broken_chain_and_bad_anchor_files(
    catalogue: Catalogue, filled: dict[str, Any], tmp_path: Path
) -> None:
    inside = catalogue.run("anchor", "-o", catalogue.root / "anchor.txt")
    assert inside.exit_code == 2 and "inside the catalogue" in inside.stderr
    garbage = tmp_path / "garbage.txt"
    garbage.write_text("not an anchor\n")
    result = catalogue.run("verify", "--anchor", garbage)
    assert result.exit_code == 2 and "no anchor found" in result.stderr
    missing = catalogue.run("verify", "--anchor", tmp_path / "nope.txt")
    assert missing.exit_code == 2 and "cannot read the anchor file" in missing.stderr
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    blocked = catalogue.run("verify", "--anchor", fifo)
    assert blocked.exit_code == 2 and "not a regular file" in blocked.stderr
    tamper(catalogue, edit_actor(2))
    refused = catalogue.run("anchor")
    assert refused.exit_code == 5 and "no anchor was taken" in refused.stderr
    assert refused.stdout == ""


def test_anchor_json_and_logged_event(catalogue: Catalogue, filled: dict[str, Any], tmp_path: Path) -> None:
    head = chain(catalogue)[-1]
    doc = catalogue.json("anchor")
    assert (doc["seq"], doc["hash"], doc["events"]) == (head.seq, head.hash, head.seq)
    assert doc["logged_seq"] == head.seq + 1 and doc["file"] is None
    assert doc["anchor"] == f"evidence-anchor v1 seq={head.seq} hash={head.hash} at={doc['at']}"
    logged = chain(catalogue)[-1]
    assert logged.action == "anchor" and logged.details["hash"] == head.hash
    # an anchor pasted into other text is still found
    note = tmp_path / "mail.txt"
    note.write_text(f"Dear editor,\n\nplease keep this:\n  {doc['anchor']}\n\nregards\n")
    assert catalogue.json("verify", "--anchor", note)["anchor"]["ok"] is True
