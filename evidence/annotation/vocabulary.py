"""Use cases of `evidence terms`: show the vocabulary, add paths and aliases, move terms, import and
export vocabulary files (formats: evidence/core/vocab_io.py), and seed a new catalogue with the starter
vocabulary (evidence/catalogue/starter_vocabulary.py). Each function owns its transaction; every change
leaves a custody event, and an import leaves exactly one (`vocabulary-import`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from evidence.catalogue import starter
from evidence.catalogue import vocab as catalogue_vocab
from evidence.catalogue.vocab_import import ImportResult, import_entries, log_import
from evidence.core import vocab_io
from evidence.core.text import printable
from evidence.core.vocab import SEPARATOR, Vocabulary, normalise, split_path
from evidence.errors import InputRefused, UsageError
from evidence.workspace import Workspace

FORMATS = ("csv", "json")
# the schema revision that brought the vocabulary: catalogues made or upgraded across it get the starter
MAX_FILE = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class TermView:
    id: int
    path: tuple[str, ...]
    parent_id: int | None
    depth: int
    free: bool
    note: str | None
    aliases: tuple[tuple[str, str], ...]
    tags: int

    @property
    def label(self) -> str:
        return self.path[-1]


@dataclass(frozen=True, slots=True)
class AddResult:
    term: TermView
    created: tuple[tuple[str, ...], ...]
    aliases_added: tuple[tuple[str, str], ...]
    note_changed: bool
    homonyms: tuple[tuple[str, ...], ...] = ()  # other terms with the label of a created one


@dataclass(frozen=True, slots=True)
class MoveResult:
    before: tuple[str, ...]
    after: tuple[str, ...]
    moved: bool


@dataclass(frozen=True, slots=True)
class ExportResult:
    text: str
    format: str
    sha256: str
    terms: int
    path: Path | None


def _view(vocab: Vocabulary, term_id: int, depth: int, counts: dict[int, int]) -> TermView:
    node = vocab.terms[term_id]
    return TermView(
        id=term_id,
        path=tuple(vocab.path(term_id)),
        parent_id=node.parent_id,
        depth=depth,
        free=node.free,
        note=node.note,
        aliases=tuple((a.alias, a.language) for a in vocab.aliases.get(term_id, [])),
        tags=counts.get(term_id, 0),
    )


def _subtree_root(vocab: Vocabulary, under: str | None) -> int | None:
    return catalogue_vocab.resolve(vocab, under) if under else None


def tree(ws: Workspace, *, under: str | None = None) -> list[TermView]:
    """The vocabulary (or the part from `under` down), depth first, siblings by label."""
    with ws.db.read() as session:
        vocab = catalogue_vocab.load(session)
        counts = catalogue_vocab.tag_counts(session)
    start = _subtree_root(vocab, under)
    return [_view(vocab, term_id, depth, counts) for term_id, depth in vocab.walk(start)]


@dataclass(frozen=True, slots=True)
class Completion:
    path: tuple[str, ...]
    matched: str  # the label or alias that the typed text matched (any language)
    free: bool


def complete(ws: Workspace, text: str, *, limit: int = 10) -> list[Completion]:
    """Terms for a partly typed name (an autocomplete): labels, paths and aliases in any language."""
    if len(text) > 200:
        return []
    with ws.db.read() as session:
        vocab = catalogue_vocab.shared(session)
    return [
        Completion(tuple(vocab.path(i)), name, vocab.terms[i].free) for i, name in vocab.complete(text, limit)
    ]


def _anchor(vocab: Vocabulary, labels: list[str]) -> tuple[int | None, list[str]]:
    """Where a typed path starts: at the root when its first label is a root term (or unknown), else
    at the longest leading part that names one known term (`rifle › AK-99` goes under weapon › small
    arms › rifle)."""
    if vocab.child_named(None, labels[0]) is not None:
        return None, labels
    for k in range(len(labels), 0, -1):
        ids = vocab.lookup(SEPARATOR.join(labels[:k]))
        if len(ids) == 1:
            return ids[0], labels[k:]
        if len(ids) > 1:
            raise UsageError(
                f"{SEPARATOR.join(labels[:k])!r} names several terms: "
                f"{catalogue_vocab.describe_choices(vocab, ids)}; give the path from the root"
            )
    return None, labels


def add(
    ws: Workspace,
    path: str,
    *,
    aliases: list[str],
    language: str = "",
    note: str | None = None,
    actor: str,
) -> AddResult:
    """Make sure `path` exists (every missing label is created; the path may start at any known term),
    then give its last term the aliases and the note. All or nothing: an alias that already names
    another term in that language refuses the whole command."""
    labels = split_path(path)
    if not labels:
        raise UsageError("give a term path such as 'weapon › small arms › rifle › AK-74M'")
    with ws.db.write() as session:
        vocab = catalogue_vocab.load(session)
        term_id, rest = _anchor(vocab, labels)
        created = []
        for n, label in enumerate(rest, 1):
            found = vocab.child_named(term_id, label)
            if found is None:
                last_note = note if n == len(rest) else None
                found = catalogue_vocab.create_term(
                    session, vocab, term_id, label, actor=actor, note=last_note
                )
                created.append(found)
            term_id = found
        assert term_id is not None
        note_changed = False
        if not created and note is not None:
            note_changed = catalogue_vocab.set_note(session, vocab, term_id, note, actor=actor)
        added = []
        for name in aliases:
            if catalogue_vocab.add_alias(session, vocab, term_id, name, language=language, actor=actor):
                added.append(vocab.aliases[term_id][-1])
        counts = catalogue_vocab.tag_counts(session)
    homonyms = {
        other
        for made in created
        for other in vocab.lookup(vocab.terms[made].label)
        if other not in created and normalise(vocab.terms[other].label) == normalise(vocab.terms[made].label)
    }
    return AddResult(
        term=_view(vocab, term_id, len(vocab.ancestry(term_id)) - 1, counts),
        created=tuple(tuple(vocab.path(i)) for i in created),
        aliases_added=tuple((a.alias, a.language) for a in added),
        note_changed=note_changed,
        homonyms=tuple(sorted(tuple(vocab.path(i)) for i in homonyms)),
    )


def alias(ws: Workspace, term: str, name: str, *, language: str = "", actor: str) -> tuple[TermView, bool]:
    """Give an existing term another name; the flag is False when it had that alias already."""
    with ws.db.write() as session:
        vocab = catalogue_vocab.load(session)
        term_id = catalogue_vocab.resolve(vocab, term)
        added = catalogue_vocab.add_alias(session, vocab, term_id, name, language=language, actor=actor)
        counts = catalogue_vocab.tag_counts(session)
    return _view(vocab, term_id, len(vocab.ancestry(term_id)) - 1, counts), added


def move(ws: Workspace, term: str, new_parent: str | None, *, actor: str) -> MoveResult:
    """Put a term (and all below it) under another term, or at the root when `new_parent` is None."""
    with ws.db.write() as session:
        vocab = catalogue_vocab.load(session)
        term_id = catalogue_vocab.resolve(vocab, term)
        parent_id = catalogue_vocab.resolve(vocab, new_parent) if new_parent is not None else None
        before = tuple(vocab.path(term_id))
        moved = catalogue_vocab.move_term(session, vocab, term_id, parent_id, actor=actor)
    return MoveResult(before, tuple(vocab.path(term_id)), moved)


# ---- import and export


def format_of(path: Path | None, given: str | None) -> str:
    """The file format: as given, else from the file's extension."""
    if given is not None:
        if given.lower() not in FORMATS:
            raise UsageError(f"--format must be csv or json, not {given!r}")
        return given.lower()
    suffix = path.suffix.lower().lstrip(".") if path is not None else ""
    if suffix in FORMATS:
        return suffix
    name = printable(str(path)) if path is not None else "the output"
    raise UsageError(f"cannot tell the format of {name} from its extension: give --format csv or json")


def _read(file: Path) -> bytes:
    try:
        if not file.is_file():
            raise InputRefused(f"{printable(str(file))}: no such file")
        if file.stat().st_size > MAX_FILE:
            raise InputRefused(
                f"{printable(str(file))}: larger than {MAX_FILE // 2**20} MiB, not a vocabulary"
            )
        return file.read_bytes()
    except OSError as exc:
        raise InputRefused(f"{printable(str(file))}: cannot read it ({exc.strerror})") from None


def parse(data: bytes, fmt: str, name: str) -> list[vocab_io.VocabEntry]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{name}: not UTF-8 text (byte {exc.start}); nothing was imported") from None
    try:
        return vocab_io.from_csv(text) if fmt == "csv" else vocab_io.from_json(text)
    except vocab_io.VocabularyFileError as exc:
        raise UsageError(f"{name}: {printable(str(exc))}; nothing was imported") from None


def import_file(ws: Workspace, file: Path, *, fmt: str | None = None, actor: str) -> ImportResult:
    """Import a vocabulary file in one transaction: all of it, or (a row refused) nothing."""
    fmt = format_of(file, fmt)
    data = _read(file)
    entries = parse(data, fmt, printable(file.name))
    if not entries:
        raise UsageError(f"{printable(file.name)}: no terms in it; nothing was imported")
    digest = hashlib.sha256(data).hexdigest()
    with ws.db.write() as session:
        vocab = catalogue_vocab.load(session)
        try:
            counts = import_entries(session, vocab, entries, actor=actor)
        except UsageError as exc:
            raise UsageError(f"{printable(file.name)}: {exc.message}") from None
        if counts.terms_added or counts.aliases_added:
            details = {"origin": "file", "file": str(file.resolve()), "format": fmt, "sha256": digest}
            log_import(session, counts, actor=actor, details=details)
    return ImportResult(counts, "file", fmt, digest, len(vocab))


def import_starter(ws: Workspace, *, actor: str) -> ImportResult:
    """`evidence terms import --starter`: add what the catalogue lacks of the starter vocabulary (its
    aliases that already name other terms are skipped and counted, not refused)."""
    with ws.db.write() as session:
        return starter.add_starter(session, actor)


def export(
    ws: Workspace, *, fmt: str | None = None, output: Path | None = None, under: str | None = None, actor: str
) -> ExportResult:
    """The vocabulary as a file (written atomically to `output`, never inside the catalogue) or as text
    for stdout; either way logged as an export."""
    fmt = format_of(output, fmt) if output is not None or fmt is not None else "json"
    with ws.db.read() as session:
        vocab = catalogue_vocab.load(session)
    entries = vocab_io.entries_of(vocab, _subtree_root(vocab, under))
    text = vocab_io.to_csv(entries) if fmt == "csv" else vocab_io.to_json(entries)
    data = text.encode()
    digest, _ = ws.export(
        data,
        output,
        actor=actor,
        subject="vocabulary",
        details={"format": f"vocabulary-{fmt}", "terms": len(entries), "under": under},
    )
    return ExportResult(text, fmt, digest, len(entries), output)
