"""`evidence terms`: the vocabulary of observable things — show it, add paths and aliases, move terms,
import and export it (file formats: evidence/core/vocab_io.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.text import Text
from rich.tree import Tree

from evidence.cli.app import app, state
from evidence.cli.output import emit_json, message, stdout
from evidence.core.text import printable

if TYPE_CHECKING:
    from evidence.annotation.vocabulary import TermView

SEP = " › "

terms_app = typer.Typer(
    help="The vocabulary: a tree of observable things (weapon › small arms › rifle › AK-74M) with "
    "aliases in other languages. Bare `evidence terms` prints the tree.",
    invoke_without_command=True,
)
app.add_typer(terms_app, name="terms")

JSON_OPT = typer.Option(False, "--json", help="Print one JSON document.")


def _actor() -> str:
    from evidence.workspace import default_actor

    return default_actor()


def _term_json(view: TermView) -> dict[str, Any]:
    return {
        "id": view.id,
        "path": list(view.path),
        "label": view.label,
        "parent_id": view.parent_id,
        "free": view.free,
        "note": view.note,
        "aliases": [{"alias": a, "language": lang} for a, lang in view.aliases],
        "tags": view.tags,
    }


def _aliases_text(aliases: tuple[tuple[str, str], ...]) -> str:
    """`AK74M; ru: АК-74М; uk: АК-74М` — aliases without a language first, then by language."""
    by_language: dict[str, list[str]] = {}
    for alias, language in aliases:
        by_language.setdefault(language, []).append(printable(alias))
    groups = [
        ", ".join(names) if not lang else f"{lang}: {', '.join(names)}"
        for lang, names in sorted(by_language.items(), key=lambda kv: (kv[0] != "", kv[0]))
    ]
    return "; ".join(groups)


def _line(view: TermView) -> Text:
    text = Text(printable(view.label), style="bold" if view.depth == 0 else "")
    if view.free:
        text.append(" (free)", style="yellow")
    if view.aliases:
        text.append(f"  [{_aliases_text(view.aliases)}]", style="dim")
    if view.tags:
        text.append(f"  · {view.tags} tag{'s' if view.tags != 1 else ''}", style="cyan")
    if view.note:
        text.append(f"  — {printable(view.note)}", style="italic dim")
    return text


@terms_app.callback(invoke_without_command=True)
def terms(
    ctx: typer.Context,
    under: str | None = typer.Option(None, "--under", help="Show only this term and what is below it."),
    json_out: bool = JSON_OPT,
) -> None:
    """Print the vocabulary as a tree: aliases with their language, free terms marked, tag counts."""
    if ctx.invoked_subcommand is not None:
        return
    from evidence.annotation import vocabulary
    from evidence.workspace import open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        views = vocabulary.tree(ws, under=under)
    if json_out:
        emit_json({"terms": [_term_json(v) for v in views]})
        return
    if not views:
        message(
            "the vocabulary is empty: add terms with `evidence terms add PATH` "
            "or `evidence terms import --starter`"
        )
        return
    console = stdout()
    branches: list[Tree] = []
    roots: list[Tree] = []
    for view in views:
        label = _line(view)
        if view is views[0] and under:
            label = Text(printable(SEP.join(view.path[:-1]) + SEP) if len(view.path) > 1 else "") + label
        if view.depth == 0:
            node = Tree(label, guide_style="dim")
            roots.append(node)
        else:
            node = branches[view.depth - 1].add(label)
        del branches[view.depth :]
        branches.append(node)
    for root in roots:
        console.print(root)
    message(f"{len(views)} terms")


@terms_app.command("add")
def add(
    ctx: typer.Context,
    path: str = typer.Argument(
        ...,
        help="A path such as 'weapon › small arms › rifle › AK-74M' (›, > or /); it may start at any "
        "known term ('rifle > AK-99'). Missing labels are created.",
    ),
    aliases: list[str] = typer.Option([], "--alias", help="Another name of the last term (repeatable)."),
    language: str = typer.Option("", "--language", help="The aliases' language (BCP 47: ru, uk, ar…)."),
    note: str | None = typer.Option(None, "--note", help="A note on the last term."),
    json_out: bool = JSON_OPT,
) -> None:
    """Add a term path (and aliases); an alias that already names another term refuses it all."""
    from evidence.annotation import vocabulary
    from evidence.workspace import open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        result = vocabulary.add(ws, path, aliases=aliases, language=language, note=note, actor=_actor())
    if json_out:
        emit_json(
            {
                **_term_json(result.term),
                "created": [list(p) for p in result.created],
                "aliases_added": [{"alias": a, "language": lang} for a, lang in result.aliases_added],
                "note_changed": result.note_changed,
                "homonyms": [list(p) for p in result.homonyms],
            }
        )
        return
    for created in result.created:
        typer.echo(f"added {printable(SEP.join(created))}")
    if not result.created:
        typer.echo(f"exists {printable(SEP.join(result.term.path))}")
    for alias, lang in result.aliases_added:
        typer.echo(f"alias {printable(alias)}{f' ({lang})' if lang else ''} → {printable(result.term.label)}")
    if result.note_changed:
        message("note changed")
    for other in result.homonyms:
        message(
            f"note: {printable(other[-1])!r} also names {printable(SEP.join(other))!r}; give the path when "
            "tagging (or `evidence terms move` one of them)"
        )


@terms_app.command("alias")
def alias(
    ctx: typer.Context,
    term: str = typer.Argument(..., help="The term: a label, alias or path."),
    name: str = typer.Argument(..., help="Its other name."),
    language: str = typer.Option("", "--language", help="The alias's language (BCP 47: ru, uk, ar…)."),
) -> None:
    """Give a term another name; a name may mean one term per language."""
    from evidence.annotation import vocabulary
    from evidence.workspace import open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        view, added = vocabulary.alias(ws, term, name, language=language, actor=_actor())
    where = f" ({language.strip()})" if language.strip() else ""
    if added:
        typer.echo(f"alias {printable(name.strip())}{where} → {printable(SEP.join(view.path))}")
    else:
        typer.echo(f"{printable(SEP.join(view.path))} already has the alias {printable(name.strip())}{where}")


@terms_app.command("move")
def move(
    ctx: typer.Context,
    term: str = typer.Argument(..., help="The term to move (label, alias or path); its subtree goes too."),
    new_parent: str | None = typer.Argument(None, help="The term to put it under."),
    root: bool = typer.Option(False, "--root", help="Make it a top-level term instead."),
) -> None:
    """Move a term (with everything below it) under another term or to the top level."""
    from evidence.annotation import vocabulary
    from evidence.errors import UsageError
    from evidence.workspace import open_workspace

    if (new_parent is None) == (not root):
        raise UsageError("give either NEW_PARENT or --root")
    with open_workspace(state(ctx).catalogue) as ws:
        result = vocabulary.move(ws, term, None if root else new_parent, actor=_actor())
    if result.moved:
        typer.echo(f"moved {printable(SEP.join(result.before))} → {printable(SEP.join(result.after))}")
    else:
        typer.echo(f"{printable(SEP.join(result.after))} is already there")


@terms_app.command("merge")
def merge(
    ctx: typer.Context,
    free: str = typer.Argument(..., help="The free term made by a slip (label, alias or path)."),
    term: str = typer.Argument(..., help="The term it meant."),
    note: str | None = typer.Option(None, "--note", help="Why (kept with the withdrawals)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Fold a free term into the term it meant: its tags and descriptions are withdrawn and made again
    on TERM, and its label becomes an alias of TERM."""
    from evidence.annotation.merge import merge_terms
    from evidence.workspace import open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        result = merge_terms(ws, free, term, note=note, actor=_actor())
    if json_out:
        emit_json(
            {
                "from": list(result.free),
                "to": list(result.into),
                "tags": [{"withdrawn": old, "made": new} for old, new in result.tags],
                "descriptions": [{"withdrawn": old, "made": new} for old, new in result.descriptions],
                "alias_added": result.alias_added,
            }
        )
        return
    typer.echo(
        f"merged {printable(SEP.join(result.free))} into {printable(SEP.join(result.into))}: "
        f"{len(result.tags)} tag(s) and {len(result.descriptions)} description(s) moved"
    )
    if result.alias_added:
        message(f"'{printable(result.free[-1])}' is now an alias of {printable(SEP.join(result.into))}")


@terms_app.command("import")
def import_(
    ctx: typer.Context,
    file: Path | None = typer.Argument(None, help="A vocabulary file (.csv or .json) to import."),
    fmt: str | None = typer.Option(None, "--format", help="csv or json (default: from the extension)."),
    starter: bool = typer.Option(False, "--starter", help="Add what is missing of the starter vocabulary."),
    json_out: bool = JSON_OPT,
) -> None:
    """Import terms and aliases in one transaction: all of it, or nothing (a refused row is named)."""
    from evidence.annotation import vocabulary
    from evidence.errors import UsageError
    from evidence.workspace import open_workspace

    if (file is None) == (not starter):
        raise UsageError("give either a FILE to import or --starter")
    with open_workspace(state(ctx).catalogue) as ws:
        if file is not None:
            result = vocabulary.import_file(ws, file, fmt=fmt, actor=_actor())
        else:
            result = vocabulary.import_starter(ws, actor=_actor())
    counts = result.counts
    if json_out:
        emit_json(
            {
                "origin": result.origin,
                "format": result.format,
                "sha256": result.sha256,
                "entries": counts.entries,
                "terms_added": counts.terms_added,
                "aliases_added": counts.aliases_added,
                "aliases_skipped": counts.aliases_skipped,
                "terms_total": result.terms_total,
            }
        )
        return
    source = printable(str(file)) if file is not None else "the starter vocabulary"
    skipped = (
        f", {counts.aliases_skipped} aliases skipped (they name other terms)"
        if counts.aliases_skipped
        else ""
    )
    typer.echo(
        f"imported {source}: {counts.terms_added} terms and {counts.aliases_added} aliases added{skipped}; "
        f"{result.terms_total} terms in the vocabulary"
    )


@terms_app.command("export")
def export(
    ctx: typer.Context,
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to this file (default: stdout)."),
    fmt: str | None = typer.Option(
        None, "--format", help="csv or json (default: from the file's extension; json on stdout)."
    ),
    under: str | None = typer.Option(None, "--under", help="Export only this term and what is below it."),
) -> None:
    """Export the vocabulary as CSV or JSON, for `evidence terms import` in another catalogue."""
    from evidence.annotation import vocabulary
    from evidence.workspace import open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        result = vocabulary.export(ws, fmt=fmt, output=output, under=under, actor=_actor())
    if output is None:
        typer.echo(result.text, nl=False)
    else:
        typer.echo(f"wrote {printable(str(output))}: {result.terms} terms, sha256 {result.sha256}")
