"""The pure vocabulary: lookups, suggestions, the tree walk, the cycle rule, and the file formats."""

from __future__ import annotations

import csv
import json

import pytest

from evidence.catalogue import starter_vocabulary
from evidence.core import vocab_io
from evidence.core.vocab import (
    AliasEntry,
    TermNode,
    Vocabulary,
    compact,
    normalise,
    normalise_language,
    split_path,
)


def small() -> Vocabulary:
    terms = [
        TermNode(1, None, "weapon"),
        TermNode(2, 1, "small arms"),
        TermNode(3, 2, "rifle"),
        TermNode(4, 3, "AK-74M"),
        TermNode(5, 3, "AK-74"),
        TermNode(6, None, "protective gear"),
        TermNode(7, 6, "helmet"),
        TermNode(8, None, "medical"),
        TermNode(9, 8, "bandage packet"),
        TermNode(10, None, "Straße", free=True),
        TermNode(11, None, "rifle"),  # a second "rifle", elsewhere
    ]
    aliases = [
        AliasEntry(4, "АК-74М", "ru"),
        AliasEntry(4, "АК-74М", "uk"),
        AliasEntry(7, "шлем", "ru"),
        AliasEntry(7, "خوذة", "ar"),
        AliasEntry(9, "ИПП", "ru"),
    ]
    return Vocabulary(terms, aliases)


def test_lookup_by_label_alias_and_path() -> None:
    v = small()
    assert v.lookup("AK-74M") == [4]
    assert v.lookup("шлем") == [7]
    assert v.lookup("خوذة") == [7]
    assert v.lookup("weapon › small arms › rifle") == [3]
    assert v.lookup("weapon > small arms > rifle") == [3]
    assert v.lookup("weapon/small arms/rifle/AK-74M") == [4]
    assert v.lookup("rifle › AK-74M") == [4]  # the last labels of a path
    assert v.lookup("small arms / rifle") == [3]
    assert sorted(v.lookup("rifle")) == [3, 11]  # ambiguous: two terms
    assert v.lookup("AK-99") == [] and v.lookup("   ") == []


def test_lookup_folds_case_width_and_unicode_forms() -> None:
    v = small()
    assert v.lookup("ak-74m") == [4]
    assert v.lookup("  HELMET ") == [7]
    assert v.lookup("аК-74м") == [4]  # Cyrillic alias, other case
    assert v.lookup("ｈｅｌｍｅｔ") == [7]  # full-width letters (NFKC)
    assert v.lookup("STRASSE") == [10]  # case folding: ß = ss
    assert v.lookup("bandage\u00a0 packet") == [9]  # no-break and repeated spaces
    assert v.lookup("и\u0306пп") == []  # й decomposed is not и
    assert v.lookup("ипп") == [9]
    assert normalise("Ｓｈｌｅｍ") == "shlem"


def test_nearest_suggests_what_was_meant() -> None:
    v = small()
    assert v.nearest("AK74M")[0] == 4
    assert v.nearest("ak 74")[:2] == [5, 4]
    assert 4 in v.nearest("ak 74")
    assert v.nearest("helmit")[0] == 7
    assert v.nearest("АК74М")[0] == 4  # Cyrillic look-alikes typed for Latin
    assert v.nearest("protective gear › helmut")[0] == 7  # a path is judged by its last label
    assert v.nearest("bandage pack")[0] == 9
    assert v.nearest("zzzz") == []
    assert len(v.nearest("a", n=3)) <= 3


def test_nearest_on_the_starter_vocabulary() -> None:
    entries = starter_vocabulary.entries()
    nodes, aliases, ids = [], [], {}
    for n, e in enumerate(entries, 1):
        ids[e.path] = n
        nodes.append(TermNode(n, ids.get(e.path[:-1]), e.path[-1]))
        aliases.extend(AliasEntry(n, a, lang) for a, lang in e.aliases)
    v = Vocabulary(nodes, aliases)
    label = {i: v.terms[i].label for i in v.terms}
    assert label[v.nearest("AK74-M")[0]] == "AK-74M"
    assert "AK-74M" in [label[i] for i in v.nearest("ak 74")]
    assert label[v.nearest("helmit")[0]] == "helmet"
    assert label[v.nearest("turniket")[0]] == "tourniquet"
    assert label[v.nearest("Dragunov SVD")[0]] == "SVD Dragunov"
    assert label[v.nearest("ПКМ пулемет")[0]] in ("PKM", "machine gun")


def test_descendants_walk_and_would_cycle() -> None:
    v = small()
    assert v.descendants(1) == {1, 2, 3, 4, 5}
    assert v.descendants(4) == {4}
    assert v.would_cycle(1, 4)  # under its own descendant
    assert v.would_cycle(3, 3)  # under itself
    assert not v.would_cycle(4, 7) and not v.would_cycle(3, None)
    walk = v.walk(1)
    assert walk == [(1, 0), (2, 1), (3, 2), (5, 3), (4, 3)]  # depth first, siblings by label
    assert [t for t, d in v.walk() if d == 0] == [8, 6, 11, 10, 1]
    v.move_term(3, 6)
    assert v.path_text(4) == "protective gear › rifle › AK-74M"
    assert v.descendants(1) == {1, 2}


def test_split_path_compact_and_languages() -> None:
    assert split_path(" weapon ›small arms>  rifle / AK-74M ") == ["weapon", "small arms", "rifle", "AK-74M"]
    assert split_path("› ›") == []
    assert compact("AK-74M") == compact("ak 74m") == compact("АК-74М") == "ak74m"
    assert compact("7.62×39mm") == compact("7.62x39 mm")
    assert compact("خُوذَة") == compact("خوذه")  # harakat and ta marbuta folded
    assert normalise_language(" RU ") == "ru"
    assert normalise_language("sr_latn_rs") == "sr-Latn-RS"
    assert normalise_language("") == ""
    with pytest.raises(ValueError):
        normalise_language("Russian!")


def test_starter_vocabulary_is_unambiguous() -> None:
    entries = starter_vocabulary.entries()
    assert 150 <= len(entries) <= 300
    labels = [normalise(e.path[-1]) for e in entries]
    assert len(labels) == len(set(labels)), "a bare label must name one starter term"
    owner: dict[str, tuple[str, ...]] = {}
    for e in entries:
        for alias, language in e.aliases:
            assert language in ("", "ru", "uk", "ar", "en")
            key = normalise(alias)
            assert owner.setdefault(key, e.path) == e.path, f"{alias!r} names two terms"
            assert key not in labels or labels.index(key) == entries.index(e), f"{alias!r} is a label"
    by_label = {e.path[-1]: e for e in entries}
    assert ("АК-74М", "ru") in by_label["AK-74M"].aliases
    assert ("шлем", "ru") in by_label["helmet"].aliases and ("خوذة", "ar") in by_label["helmet"].aliases
    assert ("ИПП", "ru") in by_label["bandage packet"].aliases
    assert by_label["AK-74M"].path == ("weapon", "small arms", "rifle", "AK-74M")


# ---- file formats


def entries() -> list[vocab_io.VocabEntry]:
    return vocab_io.entries_of(small())


def test_json_round_trip() -> None:
    text = vocab_io.to_json(entries())
    document = json.loads(text)
    assert document["format"] == "evidence-vocabulary"
    ak = document["terms"]["weapon › small arms › rifle › AK-74M"]
    assert ak["parent"] == "weapon › small arms › rifle" and ak["label"] == "AK-74M"
    assert {"alias": "АК-74М", "language": "ru"} in ak["aliases"]
    back = vocab_io.from_json(text)
    assert vocab_io.canonical_digest(back) == vocab_io.canonical_digest(entries())


def test_csv_round_trip_and_formula_cells() -> None:
    risky = [
        vocab_io.VocabEntry(("=cmd|' -C calc'!A0",), (("+1", ""), ("@SUM(A1)", "en")), "-note"),
        vocab_io.VocabEntry(("'=quoted",), (("''+two", ""),)),
        vocab_io.VocabEntry(("plain",)),
    ]
    text = vocab_io.to_csv([*entries(), *risky])
    for line in text.splitlines()[1:]:
        for cell in next(csv.reader([line])):
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), line
    assert text.splitlines()[0] == "path,alias,language,note,free"
    back = vocab_io.from_csv(text)
    merged: dict[tuple[str, ...], set[tuple[str, str]]] = {}
    for e in back:
        merged.setdefault(e.path, set()).update(e.aliases)
    assert merged[("=cmd|' -C calc'!A0",)] == {("+1", ""), ("@SUM(A1)", "en")}
    assert merged[("'=quoted",)] == {("''+two", "")}
    assert [e.note for e in back if e.path == ("=cmd|' -C calc'!A0",)] == ["-note", "-note"]
    assert merged[("weapon", "small arms", "rifle", "AK-74M")] == {("АК-74М", "ru"), ("АК-74М", "uk")}
    assert [e.free for e in back if e.path == ("Straße",)] == [True]


def test_restore_takes_off_only_the_quote_neutralise_added() -> None:
    for cell in ["=1", "'=1", "''@x", "-", "it's", "'plain", "+", "\tx", ""]:
        assert vocab_io.restore(vocab_io.neutralise(cell)) == cell


def test_hand_written_json_with_parents_and_a_cycle() -> None:
    text = json.dumps(
        {
            "terms": {
                "rifle": {"parent": "weapon"},
                "weapon": {},
                "AK-99": {"parent": "rifle", "aliases": ["AK99"]},
            }
        }
    )
    paths = {e.path for e in vocab_io.from_json(text)}
    assert ("weapon", "rifle", "AK-99") in paths
    looped = json.dumps({"terms": {"a": {"parent": "b"}, "b": {"parent": "c"}, "c": {"parent": "a"}}})
    with pytest.raises(vocab_io.VocabularyFileError, match="cycle"):
        vocab_io.from_json(looped)
    listed = json.dumps(
        {"terms": [{"id": 1, "label": "x", "parent_id": 2}, {"id": 2, "label": "y", "parent_id": 1}]}
    )
    with pytest.raises(vocab_io.VocabularyFileError, match="cycle") as info:
        vocab_io.from_json(listed)
    assert info.value.row.startswith("term #")


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("{not json", "line 1"),
        ('{"terms": {"a": []}}', "term 'a'"),
        ('{"terms": {"a › b": {"path": ["a", "c"]}}}', "term 'a › b'"),
        ('{"terms": {"a": {"aliases": [3]}}}', "term 'a'"),
        ('{"terms": [{"id": 1, "label": "x", "parent_id": 9}]}', "term #1"),
    ],
)
def test_bad_json_names_the_row(text: str, where: str) -> None:
    with pytest.raises(vocab_io.VocabularyFileError) as info:
        vocab_io.from_json(text)
    assert str(info.value).startswith(where)


def test_bad_csv_names_the_line() -> None:
    with pytest.raises(vocab_io.VocabularyFileError, match="line 3"):
        vocab_io.from_csv("path,alias\nweapon,оружие\n ,x\n")
    with pytest.raises(vocab_io.VocabularyFileError, match="no 'path' column"):
        vocab_io.from_csv("label,alias\nweapon,x\n")
    assert vocab_io.from_csv("\ufeffpath\nweapon › rifle\n")[0].path == ("weapon", "rifle")
