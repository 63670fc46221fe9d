"""`evidence tag`, `evidence untag` and `evidence tags`."""

from __future__ import annotations

import typer
from rich.text import Text

from evidence.cli.app import app, state
from evidence.cli.output import cell, emit_json, message, print_table
from evidence.core.text import parsed, printable

BY_HELP = "Who does it (default: $EVIDENCE_ACTOR, else user@host)."


def free_term_note(term: str, created: tuple[str, ...], free: bool, nearest: tuple[str, ...] = ()) -> None:
    """Say on stderr when a term was not in the vocabulary, with the curated terms it is closest to
    (shared with `describe` and `claim --shows`)."""
    hint = ""
    if nearest:
        hint = (
            f"; did you mean {' or '.join(repr(printable(p)) for p in nearest)}? (`--strict` refuses "
            "unknown terms; `evidence terms merge` moves a free term's tags onto the right one)"
        )
    if created:
        message(f"note: '{printable(term)}' is not in the vocabulary; added as a free term{hint}")
    elif free:
        message(f"note: '{printable(term)}' is a free term (not in the curated vocabulary){hint}")


@app.command()
def tag(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Item id or sha256 prefix."),
    term: str = typer.Argument(..., help="A term, alias or path ('AK-74M', 'weapon › rifle')."),
    frame: int | None = typer.Option(None, "--frame", help="A stored frame index (see `evidence frames`)."),
    at: str | None = typer.Option(
        None, "--at", help="A time (12.5 or [h:]mm:ss[.fff]): the frame shown then, decoded exactly."
    ),
    time_range: str | None = typer.Option(None, "--range", help="A time range T1-T2 (10-12.5, 0:10-0:12.5)."),
    box: str | None = typer.Option(None, "--box", help="X,Y,W,H in pixels of the displayed frame."),
    word: str | None = typer.Option(
        None, "--word", help="A word read in a frame (R.N, as `evidence ocr` prints): its frame and box."
    ),
    note: str | None = typer.Option(None, "--note", help="A note kept with the tag."),
    confidence: float | None = typer.Option(None, "--confidence", help="From 0 to 1."),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
    strict: bool = typer.Option(False, "--strict", help="Refuse a term the vocabulary does not have."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Tag an item, one of its frames, a time range and/or a box with a term."""
    from fractions import Fraction

    from evidence.annotation.tags import tag as tag_item
    from evidence.browse.text import word_box
    from evidence.core.fragment import parse_box, parse_range, parse_time
    from evidence.errors import UsageError
    from evidence.workspace import default_actor, open_workspace

    moment, where = parsed("--at", parse_time, at), parsed("--box", parse_box, box)
    with open_workspace(state(ctx).catalogue) as ws:
        if word is not None:
            if at is not None or box is not None or frame is not None:
                raise UsageError("--word gives the frame and the box: not with --at, --frame or --box")
            read_at, where, said = word_box(ws, ref, word)
            moment = None if read_at is None else Fraction(str(read_at))
            message(f"--word {printable(word)} is '{printable(said)}'")
            note = note if note is not None else f"read in the frame: {said} (word {word.strip()})"
        result = tag_item(
            ws,
            ref,
            term,
            frame=frame,
            at=moment,
            time_range=parsed("--range", parse_range, time_range),
            box=where,
            note=note,
            confidence=confidence,
            strict=strict,
            actor=by if by is not None else default_actor(),
        )
    view = result.tag
    free_term_note(term, result.created, result.free, result.nearest)
    if result.snap is not None:
        snap = result.snap
        message(f"--at {snap.requested:g} s is frame {snap.frame} at {snap.t:.3f} s")
    if json_out:
        emit_json(
            {
                **view.to_json(),
                "free_term": result.free,
                "created_terms": list(result.created),
                "decoded_frame": None
                if result.snap is None
                else {
                    "requested": result.snap.requested,
                    "frame": result.snap.frame,
                    "t": result.snap.t,
                    "pdq": result.snap.pdq,
                },
            }
        )
        return
    typer.echo(
        f"tag {view.id}: {printable(' › '.join(view.path))} on #{view.item_id} {view.sha256[:12]}, "
        f"{view.where()}"
    )
    if view.fragment:
        typer.echo(f"fragment: #{view.fragment}")


@app.command()
def untag(
    ctx: typer.Context,
    tag_id: int = typer.Argument(..., help="The tag's id (see `evidence tags REF`)."),
    note: str | None = typer.Option(None, "--note", help="Why it is withdrawn."),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Withdraw a tag; it is kept, marked withdrawn, and logged."""
    from evidence.annotation.tags import untag as untag_item
    from evidence.workspace import default_actor, open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        view = untag_item(ws, tag_id, note=note, actor=by if by is not None else default_actor())
    if json_out:
        emit_json(view.to_json())
        return
    typer.echo(
        f"withdrew tag {view.id}: {printable(' › '.join(view.path))} on #{view.item_id} {view.sha256[:12]}, "
        f"{view.where()}"
    )


@app.command()
def tags(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Item id or sha256 prefix."),
    show_all: bool = typer.Option(False, "--all", help="Also list withdrawn tags."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """An item's tags: term, where (frame, time, range, box), media fragment, confidence, annotator."""
    from evidence.annotation.tags import list_tags
    from evidence.workspace import open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        found = list_tags(ws, ref, include_withdrawn=show_all)
    if json_out:
        emit_json(
            {
                "item": {"id": found.item.id, "sha256": found.item.sha256},
                "tags": [t.to_json() for t in found.tags],
            }
        )
        return
    titles = ["id", "term", "where", "fragment", "confidence", "annotator", "note"]
    rows: list[list[str | Text]] = []
    for t in found.tags:
        row: list[str | Text] = [
            str(t.id),
            cell(" › ".join(t.path)),
            cell(t.where()),
            cell(t.fragment),
            "" if t.confidence is None else f"{t.confidence:.2f}",
            cell(t.annotator),
            cell(t.note),
        ]
        if show_all:
            row.append(
                cell(f"{t.withdrawn_at:%Y-%m-%d %H:%M} by {t.withdrawn_by} {t.withdrawn_note or ''}".strip())
                if t.withdrawn_at is not None
                else ""
            )
        rows.append(row)
    print_table([*titles, "withdrawn"] if show_all else titles, rows, whole=("id", "confidence"))
    message(f"{len(found.tags)} tags on #{found.item.id} {found.item.sha256[:12]}")
