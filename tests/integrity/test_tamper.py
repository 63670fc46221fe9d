"""Tamper evidence: whatever is changed behind the tool's back, `evidence verify` exits 5 and says what.

Objects are altered in the store; custody rows and records are altered in the database around its
triggers (SQLite: drop them, change, re-create them; PostgreSQL: as superuser, disable them). The chain
covers events, not rows: a record (acquisition, tag, claim, description, item) is checked against the
custody event that created it, which carries its content. Cases that only an anchor can catch (history
rewritten with every later hash recomputed, events cut off the end) are in test_anchor.py.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Catalogue
from tampering import Statement, chain, edit_actor, fill, object_path, seq_of, tamper

from evidence.core.custody import event_hash


@pytest.fixture
def filled(catalogue: Catalogue) -> dict[str, Any]:
    """Three files, a tag (and a withdrawn one), a claim, a description."""
    return fill(catalogue)


def flip_bit(path: Path) -> None:
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    path.chmod(0o444)


def replace_object(path: Path) -> None:
    path.unlink()
    path.write_bytes(b"different bytes under the same name\n")
    path.chmod(0o444)


def symlink_object(path: Path) -> None:
    keep = path.parents[4] / "elsewhere"  # outside the object store
    path.rename(keep)
    path.symlink_to(keep)


def truncate_object(path: Path) -> None:
    path.chmod(0o644)
    with path.open("r+b") as handle:
        handle.truncate(10)
    path.chmod(0o444)


OBJECT_CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "bit-flipped": (flip_bit, "changed"),
    "replaced": (replace_object, "changed"),
    "truncated": (truncate_object, "changed"),
    "deleted": (Path.unlink, "missing"),
    "symlinked": (symlink_object, "replaced"),
}


@pytest.mark.parametrize("case", list(OBJECT_CASES))
def test_a_tampered_object_is_named(catalogue: Catalogue, filled: dict[str, Any], case: str) -> None:
    sha = filled["shas"][1]
    action, kind = OBJECT_CASES[case]
    action(object_path(catalogue, sha))
    result = catalogue.run("verify")
    assert result.exit_code == 5, result.output
    assert f"PROBLEM {kind}" in result.stderr and sha in result.stderr
    report = catalogue.json("verify", code=5)
    assert [(p["kind"], p["subject"]) for p in report["problems"]] == [(kind, sha)]


def test_an_object_dropped_into_the_store_is_untracked(catalogue: Catalogue, filled: dict[str, Any]) -> None:
    planted = b"planted evidence\n"
    sha = hashlib.sha256(planted).hexdigest()  # a well-formed object, just not one we catalogued
    path = object_path(catalogue, sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(planted)
    path.chmod(0o444)
    report = catalogue.json("verify", code=5)
    assert [(p["kind"], p["subject"]) for p in report["problems"]] == [("untracked", sha)]


def _delete(seq: int) -> list[Statement]:
    return [("DELETE FROM event WHERE seq = :s", {"s": seq})]


def _swap(seq: int) -> list[Statement]:
    return [
        ("UPDATE event SET seq = 100000 WHERE seq = :s", {"s": seq}),
        ("UPDATE event SET seq = :s WHERE seq = :t", {"s": seq, "t": seq + 1}),
        ("UPDATE event SET seq = :t WHERE seq = 100000", {"t": seq + 1}),
    ]


CHAIN_CASES: dict[str, tuple[Callable[[int], list[Statement]], set[str]]] = {
    "edited": (edit_actor, {"chain-edited"}),
    "deleted": (_delete, {"chain-gap", "chain-broken-link"}),
    "reordered": (_swap, {"chain-edited", "chain-broken-link", "chain-out-of-order", "chain-gap"}),
}


@pytest.mark.parametrize("case", list(CHAIN_CASES))
def test_a_tampered_custody_row_is_named(catalogue: Catalogue, filled: dict[str, Any], case: str) -> None:
    seq = seq_of(catalogue, "tag")
    statements, kinds = CHAIN_CASES[case]
    tamper(catalogue, statements(seq))
    result = catalogue.run("verify")
    assert result.exit_code == 5, result.output
    assert f"custody event {seq}" in result.stderr or f"custody event {seq + 1}" in result.stderr
    found = {(p["kind"], p["subject"]) for p in catalogue.json("verify", code=5)["problems"]}
    chain_found = {k for k, s in found if k.startswith("chain-")}
    assert chain_found and chain_found <= kinds
    assert {s for k, s in found if k.startswith("chain-")} <= {f"event:{seq + k}" for k in range(3)}


def test_an_edited_row_with_its_own_hash_recomputed_breaks_the_next_link(
    catalogue: Catalogue, filled: dict[str, Any]
) -> None:
    seq = seq_of(catalogue, "tag")
    rec = chain(catalogue)[seq - 1]
    details = {**rec.details, "note": "forged"}
    digest = event_hash(
        seq=seq, at=rec.at, actor=rec.actor, action=rec.action, subject=rec.subject, details=details,
        prev=rec.prev_hash, host=rec.host,
    )  # fmt: skip
    body = json.dumps(details, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    tamper(
        catalogue,
        [("UPDATE event SET details = :d, hash = :h WHERE seq = :s", {"d": body, "h": digest, "s": seq})],
    )
    problems = catalogue.json("verify", code=5)["problems"]
    assert ("chain-broken-link", f"event:{seq + 1}") in {(p["kind"], p["subject"]) for p in problems}


RECORD_CASES: dict[
    str, tuple[Callable[[dict[str, Any]], list[Statement]], str, Callable[[dict[str, Any]], str]]
] = {
    "tag-note-edited": (
        lambda f: [("UPDATE annotation SET note = 'forged' WHERE id = :i", {"i": f["tag"]})],
        "record-edited",
        lambda f: f"tag:{f['tag']}",
    ),
    "tag-box-added": (
        lambda f: [
            (
                "UPDATE annotation SET box_x = 1, box_y = 1, box_w = 5, box_h = 5 WHERE id = :i",
                {"i": f["tag"]},
            )
        ],
        "record-edited",
        lambda f: f"tag:{f['tag']}",
    ),
    "tag-deleted": (
        lambda f: [("DELETE FROM annotation WHERE id = :i", {"i": f["tag"]})],
        "record-missing",
        lambda f: f"tag:{f['tag']}",
    ),
    "tag-unwithdrawn": (
        lambda f: [("DELETE FROM withdrawal WHERE record = 'tag' AND record_id = :i", {"i": f["withdrawn"]})],
        "record-missing",
        lambda f: "withdrawal:1",
    ),
    "claim-text-edited": (
        lambda f: [("UPDATE claim SET statement = 'Nobody was killed' WHERE id = :i", {"i": f["claim"]})],
        "record-edited",
        lambda f: f"claim:{f['claim']}",
    ),
    "claim-item-removed": (
        lambda f: [("DELETE FROM claim_item WHERE claim_id = :i AND item_id = 2", {"i": f["claim"]})],
        "record-edited",
        lambda f: f"claim:{f['claim']}",
    ),
    "description-source-edited": (
        lambda f: [("UPDATE description SET source = 'forged' WHERE id = :i", {"i": f["description"]})],
        "record-edited",
        lambda f: f"description:{f['description']}",
    ),
    "acquisition-url-edited": (
        lambda f: [("UPDATE acquisition SET source_url = 'https://evil.example/' WHERE id = 1", {})],
        "record-edited",
        lambda f: "acquisition:1",
    ),
}


@pytest.mark.parametrize("case", list(RECORD_CASES))
def test_a_tampered_record_differs_from_its_custody_event(
    catalogue: Catalogue, filled: dict[str, Any], case: str
) -> None:
    statements, kind, subject = RECORD_CASES[case]
    tamper(catalogue, statements(filled))
    result = catalogue.run("verify")
    assert result.exit_code == 5, result.output
    found = [(p["kind"], p["subject"]) for p in catalogue.json("verify", code=5)["problems"]]
    assert found == [(kind, subject(filled))]
    assert "custody event" in result.stderr or "no custody event" in result.stderr


def test_records_inserted_without_an_event_are_problems(catalogue: Catalogue, filled: dict[str, Any]) -> None:
    """Every record evidence makes is recorded by a custody event: a row no event recorded (an item
    planted with its object, an acquisition slipped in) was added around the tool, and verify fails."""
    planted = b"planted with a record\n"
    sha = hashlib.sha256(planted).hexdigest()
    path = object_path(catalogue, sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(planted)
    path.chmod(0o444)
    tamper(
        catalogue,
        [
            (
                "INSERT INTO item (sha256, size, kind, declared_ext, analysis, first_catalogued_at) "
                "VALUES (:s, :n, 'other', 'txt', 'ok', '2026-01-01 00:00:00')",
                {"s": sha, "n": len(planted)},
            ),
            (
                "INSERT INTO acquisition (item_id, original_name, original_path, captured_at, tool_version) "
                "VALUES (1, 'x', '/x', '2026-01-01 00:00:00', 'evidence 0')",
                {},
            ),
        ],
    )
    report = catalogue.json("verify", code=5)
    found = {(p["kind"], p["subject"]) for p in report["problems"]}
    assert found == {("record-unlogged", f"item:{sha}"), ("record-unlogged", "acquisition:4")}
    messages = [p["message"] for p in report["problems"]]
    assert f"item 4 ({sha}) has no custody event that recorded it (it was added around evidence)" in messages
