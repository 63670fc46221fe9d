"""The vocabulary as a pure, in-memory tree: paths, descendants, lookups by path, label or alias, the
nearest labels to a misspelt one, and the cycle rule. The catalogue loads it; nothing here touches a
database.

Lookups are exact on the normalised text (`normalise`: NFKC, case-folded, single spaces). Suggestions
("did you mean") compare a looser key (`compact`): punctuation and spaces dropped, diacritics and Arabic
letter variants folded, and Cyrillic letters that look Latin read as Latin, so that "AK74M", "ak 74" or
"АК74М" typed in the wrong script all come close to AK-74M."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from evidence.errors import UsageError

SEPARATOR = " › "
# a path may be typed with ›, > or / between the labels
_SPLIT = re.compile(r"\s*(?:›|>|/)\s*")
_SPACES = re.compile(r"\s+")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{1,8})*$")
# Cyrillic letters that look like Latin ones, and Arabic letter variants people type interchangeably
_FOLD = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
        "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "×": "x",
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي",
    }
)  # fmt: skip


def normalise(text: str) -> str:
    """The lookup key of a label or alias: NFKC, case-folded, inner white space collapsed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def clean_label(text: str) -> str:
    """A label as stored: NFC, single spaces, no control characters, no path separator."""
    label = _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()
    label = "".join(ch for ch in label if unicodedata.category(ch)[0] != "C")
    return label


def compact(text: str) -> str:
    """A loose key for suggestions only: `normalise`d, diacritics dropped, look-alike letters folded,
    and only letters and digits kept."""
    decomposed = unicodedata.normalize("NFKD", normalise(text))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_FOLD)
    return "".join(ch for ch in plain if ch.isalnum())


def has_separator(label: str) -> bool:
    """Whether a label would be read as a path (it holds ›, > or /)."""
    return len(_SPLIT.split(label)) > 1


def normalise_language(tag: str) -> str:
    """A BCP 47 language tag in its usual case (`ru`, `uk`, `ar`, `sr-Latn`, `pt-BR`), or "" for none.
    Raises ValueError for something that is not a language tag."""
    text = tag.strip().replace("_", "-")
    if not text:
        return ""
    if not _LANGUAGE.match(text.lower()):
        raise ValueError(f"{tag!r} is not a language tag (use a BCP 47 tag such as ru, uk, ar or pt-BR)")
    parts = text.lower().split("-")
    out = [parts[0]]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):
            out.append(part.upper())
        else:
            out.append(part)
    return "-".join(out)


NEAREST_CUTOFF = 0.6


def _similarity(key: str, other: str) -> float:
    """How close two compact keys are, 0..1: equal, then one a prefix of the other, then one inside the
    other, then difflib's ratio."""
    if key == other:
        return 1.0
    short, long = sorted((key, other), key=len)
    if len(short) >= 2 and long.startswith(short):
        return 0.9 + 0.05 * len(short) / len(long)
    if len(short) >= 3 and short in long:
        return 0.75 + 0.05 * len(short) / len(long)
    matcher = difflib.SequenceMatcher(None, key, other)
    if matcher.real_quick_ratio() < NEAREST_CUTOFF or matcher.quick_ratio() < NEAREST_CUTOFF:
        return 0.0
    return matcher.ratio()


def split_path(text: str) -> list[str]:
    """`weapon › small arms › rifle` (or with > or /) into its labels; empty parts dropped."""
    return [part for part in (clean_label(p) for p in _SPLIT.split(text)) if part]


@dataclass(frozen=True, slots=True)
class TermNode:
    id: int
    parent_id: int | None
    label: str
    free: bool = False
    note: str | None = None


@dataclass(frozen=True, slots=True)
class AliasEntry:
    term_id: int
    alias: str
    language: str = ""


class Vocabulary:
    """A snapshot of the term tree with its aliases."""

    def __init__(
        self, terms: Iterable[TermNode], aliases: Iterable[AliasEntry] = (), retired: Iterable[int] = ()
    ) -> None:
        self.terms: dict[int, TermNode] = {}
        self.aliases: dict[int, list[AliasEntry]] = {}
        self.retired: set[int] = set()
        self._children: dict[int | None, list[int]] = {}
        self._by_label: dict[str, list[int]] = {}
        self._by_alias: dict[str, list[int]] = {}
        # one sort by label, as `add_term` keeps siblings (which sorts them again on every term)
        for key, term in sorted(((normalise(t.label), t.id), t) for t in terms):
            self.terms[term.id] = term
            self._children.setdefault(term.parent_id, []).append(term.id)
            self._by_label.setdefault(key[0], []).append(term.id)
        for alias in aliases:
            self.add_alias(alias)
        for term_id in retired:
            self.retire(term_id)

    def retire(self, term_id: int) -> None:
        """A term merged into another: it keeps its path (old records name it) but is no longer found
        by its label or aliases, listed, or offered as a nearest term."""
        self.retired.add(term_id)
        node = self.terms[term_id]
        siblings = self._children.get(node.parent_id, [])
        if term_id in siblings:
            siblings.remove(term_id)
        for index in (self._by_label, self._by_alias):
            for ids in index.values():
                if term_id in ids:
                    ids.remove(term_id)

    def add_term(self, term: TermNode) -> None:
        """Take in a term made after loading (its label sorts among its siblings)."""
        self.terms[term.id] = term
        siblings = self._children.setdefault(term.parent_id, [])
        siblings.append(term.id)
        siblings.sort(key=lambda i: (normalise(self.terms[i].label), i))
        self._by_label.setdefault(normalise(term.label), []).append(term.id)

    def add_alias(self, alias: AliasEntry) -> None:
        self.aliases.setdefault(alias.term_id, []).append(alias)
        ids = self._by_alias.setdefault(normalise(alias.alias), [])
        if alias.term_id not in ids:
            ids.append(alias.term_id)

    def move_term(self, term_id: int, new_parent_id: int | None) -> None:
        """Put a term (and everything below it) under another parent. Check `would_cycle` first."""
        old = self.terms[term_id]
        self._children[old.parent_id].remove(term_id)
        self.terms[term_id] = TermNode(term_id, new_parent_id, old.label, old.free, old.note)
        siblings = self._children.setdefault(new_parent_id, [])
        siblings.append(term_id)
        siblings.sort(key=lambda i: (normalise(self.terms[i].label), i))

    def __len__(self) -> int:
        return len(self.terms)

    def children(self, term_id: int | None) -> list[int]:
        return list(self._children.get(term_id, []))

    def ancestry(self, term_id: int) -> list[int]:
        """The term's ids from the root down to itself."""
        chain: list[int] = []
        seen: set[int] = set()
        current: int | None = term_id
        while current is not None and current not in seen:
            seen.add(current)
            chain.append(current)
            current = self.terms[current].parent_id
        return chain[::-1]

    def path(self, term_id: int) -> list[str]:
        return [self.terms[i].label for i in self.ancestry(term_id)]

    def path_text(self, term_id: int) -> str:
        return SEPARATOR.join(self.path(term_id))

    def descendants(self, term_id: int) -> set[int]:
        """The term and everything below it."""
        found = {term_id}
        stack = [term_id]
        while stack:
            for child in self._children.get(stack.pop(), []):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return found

    def child_named(self, parent_id: int | None, label: str) -> int | None:
        key = normalise(label)
        for child in self._children.get(parent_id, []):
            if normalise(self.terms[child].label) == key:
                return child
        return None

    def find_path(self, labels: list[str]) -> int | None:
        """The term at exactly this path from the root, or None."""
        current: int | None = None
        for label in labels:
            current = self.child_named(current, label)
            if current is None:
                return None
        return current

    def find_suffix(self, labels: list[str]) -> list[int]:
        """Terms whose path ends with these labels (`rifle › AK-74M` finds weapon › … › AK-74M)."""
        if not labels:
            return []
        found = []
        for term_id in self._by_label.get(normalise(labels[-1]), []):
            path = [normalise(p) for p in self.path(term_id)]
            if path[-len(labels) :] == [normalise(p) for p in labels]:
                found.append(term_id)
        return found

    def lookup(self, text: str) -> list[int]:
        """Terms that `text` names: a whole label or alias first, else a path (full, or its last
        labels). More than one id means the text is ambiguous; none means unknown."""
        key = normalise(text)
        if not key:
            return []
        named = list(dict.fromkeys(self._by_label.get(key, []) + self._by_alias.get(key, [])))
        if named:
            return named
        labels = split_path(text)
        if len(labels) > 1:
            exact = self.find_path(labels)
            if exact is not None:
                return [exact]
            return self.find_suffix(labels)
        return []

    def nearest(self, text: str, n: int = 5) -> list[int]:
        """Terms whose label or alias is closest to `text` (for a "did you mean"), closest first. A path
        is judged by its last label."""
        labels = split_path(text)
        key = compact(labels[-1] if labels else text)
        if not key:
            return []
        best: dict[int, float] = {}
        for names in (self._by_label, self._by_alias):
            for name, ids in names.items():
                score = _similarity(key, compact(name))
                if score < NEAREST_CUTOFF:
                    continue
                for term_id in ids:
                    best[term_id] = max(score, best.get(term_id, 0.0))
        ranked = sorted(best, key=lambda i: (-best[i], len(self.ancestry(i)), self.path_text(i).casefold()))
        return ranked[:n]

    def complete(self, text: str, n: int = 10) -> list[tuple[int, str]]:
        """Terms a partly typed `text` may mean, for an autocomplete, with the label or alias that
        matched: names that begin with it first, then names that hold it (a path is judged by its
        last label); each term once, shallower terms first."""
        labels = split_path(text)
        key = normalise(labels[-1]) if labels else ""
        if not key:
            return []
        found: dict[int, tuple[int, str]] = {}
        for names in (self._by_label, self._by_alias):
            for name, ids in names.items():
                if key in name:
                    rank = 0 if name.startswith(key) else 1
                    for term_id in ids:
                        if term_id not in found or rank < found[term_id][0]:
                            found[term_id] = (rank, name)
        ranked = sorted(
            found, key=lambda i: (found[i][0], len(self.ancestry(i)), self.path_text(i).casefold())
        )
        return [(i, self._shown_name(i, found[i][1])) for i in ranked[:n]]

    def _shown_name(self, term_id: int, key: str) -> str:
        """The label or alias as written, for its lookup key."""
        for alias in [AliasEntry(term_id, self.terms[term_id].label), *self.aliases.get(term_id, [])]:
            if normalise(alias.alias) == key:
                return alias.alias
        return key

    def walk(self, start: int | None = None) -> list[tuple[int, int]]:
        """(term id, depth) from `start` (None: every root) down, depth first, siblings by label."""
        out: list[tuple[int, int]] = []
        roots = [start] if start is not None else self.children(None)
        stack = [(r, 0) for r in reversed(roots)]
        while stack:
            term_id, depth = stack.pop()
            out.append((term_id, depth))
            stack.extend((c, depth + 1) for c in reversed(self._children.get(term_id, [])))
        return out

    def set_note(self, term_id: int, note: str | None) -> None:
        old = self.terms[term_id]
        self.terms[term_id] = TermNode(term_id, old.parent_id, old.label, old.free, note)

    def would_cycle(self, term_id: int, new_parent_id: int | None) -> bool:
        """Whether putting `term_id` under `new_parent_id` would make a term its own ancestor."""
        return new_parent_id is not None and new_parent_id in self.descendants(term_id)


MAX_LABEL = 200


def check_label(label: str, *, term: bool = False) -> str:
    cleaned = clean_label(label)
    if not cleaned:
        raise UsageError("a term needs a label that is not empty")
    if len(cleaned) > MAX_LABEL:
        raise UsageError(f"a term label is at most {MAX_LABEL} characters")
    if term and has_separator(cleaned):
        raise UsageError(f"the label {cleaned!r} holds a path separator (›, > or /); give a path instead")
    return cleaned


def check_language(language: str) -> str:
    """A language tag as stored ("" for none), or a UsageError."""
    try:
        return normalise_language(language)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
