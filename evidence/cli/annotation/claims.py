"""`evidence claim`, `evidence claims` and `evidence describe`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from evidence.cli.annotation.tags import BY_HELP, free_term_note
from evidence.cli.app import DefaultCommandGroup, app, state
from evidence.cli.output import emit_json, message
from evidence.core.text import printable
from evidence.core.timeutil import iso
from evidence.errors import UsageError

if TYPE_CHECKING:
    from evidence.catalogue.claims import ClaimView, PlaceView


claim_app = typer.Typer(
    cls=DefaultCommandGroup,
    help="Record who said what about items (`evidence claim REF… --by WHO --text WHAT`), or withdraw "
    "a claim.",
    no_args_is_help=True,
)
app.add_typer(claim_app, name="claim")


@claim_app.command("record")
def claim(
    ctx: typer.Context,
    refs: list[str] = typer.Argument(..., help="The items the claim is about (ids or sha256 prefixes)."),
    by: str = typer.Option(..., "--by", help="Who claims it (a person, an organisation, an outlet)."),
    text: str = typer.Option(..., "--text", help="What they claim, as they said it."),
    date: str | None = typer.Option(
        None,
        "--date",
        help="When they say the event happened: 2016-03-24, 2016-03, or 2016-03-24T10:00Z.",
    ),
    said_on: str | None = typer.Option(
        None, "--said-on", help="When they said it (a date or time, as --date)."
    ),
    place: str | None = typer.Option(
        None, "--place", help="Where they say the event happened (a place name)."
    ),
    lat: float | None = typer.Option(None, "--lat", help="The place's latitude (WGS 84 degrees)."),
    lon: float | None = typer.Option(None, "--lon", help="The place's longitude (WGS 84 degrees)."),
    precision: str | None = typer.Option(
        None, "--precision", help="How exact the coordinates are (5km, town)."
    ),
    url: str | None = typer.Option(None, "--url", help="Where the claim was made (http or https)."),
    language: str | None = typer.Option(None, "--language", help="The claim's language (en, ru, ar…)."),
    counters: int | None = typer.Option(
        None, "--counters", help="The id of the claim this one disputes (it then asserts no event)."
    ),
    shows: list[str] = typer.Option(
        [], "--shows", help="A term the claim says the footage shows (repeatable)."
    ),
    strict: bool = typer.Option(False, "--strict", help="Refuse --shows terms the vocabulary does not have."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Record who said what about one or more items, and when: a claim that an event happened (--date,
    --place), or a counter-claim that disputes another (--counters). `record` may be left out."""
    from evidence.annotation.claims import record_claim
    from evidence.core.timeutil import parse_instant
    from evidence.workspace import default_actor, open_workspace

    try:
        instant = parse_instant(date) if date else None
    except ValueError as exc:
        raise UsageError(f"--date: {exc}") from None
    try:
        said = parse_instant(said_on) if said_on else None
    except ValueError as exc:
        raise UsageError(f"--said-on: {exc}") from None
    with open_workspace(state(ctx).catalogue) as ws:
        result = record_claim(
            ws,
            refs,
            claimant=by,
            text=text,
            date=instant,
            said_on=said,
            place=place,
            latitude=lat,
            longitude=lon,
            precision=precision,
            url=url,
            language=language,
            counters=counters,
            shows=shows,
            strict=strict,
            actor=default_actor(),
        )
    view = result.claim
    if result.claimant_created:
        message(f"note: new claimant '{printable(view.claimant)}'")
    if result.place_change is not None and view.place is not None:
        message(f"note: place '{printable(view.place.name)}' {result.place_change}{_coords(view.place)}")
    for path in result.free_terms:
        free_term_note(path, (path,), True, result.nearest.get(path, ()))
    if json_out:
        emit_json({**view.to_json(), "created_terms": list(result.free_terms)})
        return
    _print_claim(view)


def _coords(place: PlaceView) -> str:
    if place.latitude is None:
        return ""
    precision = f", {printable(place.precision)}" if place.precision else ""
    return f" ({place.latitude}, {place.longitude}{precision})"


def _print_claim(view: ClaimView) -> None:
    """A claim asserts an event (`event: DATE at PLACE`) or disputes another claim (`disputes claim
    N`): what a claimant said is never shown as an event they assert unless they assert it."""
    about = ", ".join(f"#{i} {s[:12]}" for i, s in view.items)
    typer.echo(f"claim {view.id} by {printable(view.claimant)} about {about}:")
    typer.echo(f"    {printable(view.statement)}")
    if view.said:
        typer.echo(f"    said: {view.said}")
    if view.counters is not None:
        typer.echo(f"    disputes claim {view.counters}")
    elif view.date or view.place is not None:
        where = f" at {printable(view.place.name)}{_coords(view.place)}" if view.place is not None else ""
        typer.echo(f"    event: {view.date or 'date not given'}{where}")
    if view.url:
        typer.echo(f"    url: {printable(view.url)}")
    if view.language:
        typer.echo(f"    language: {printable(view.language)}")
    if view.shows:
        typer.echo("    shows: " + "; ".join(printable(" › ".join(p)) for p in view.shows))
    if view.countered_by:
        typer.echo("    disputed by claim " + ", ".join(str(c) for c in view.countered_by))
    if view.withdrawn is not None:
        gone = view.withdrawn
        why = f": {printable(gone.note)}" if gone.note else ""
        typer.echo(f"    WITHDRAWN {iso(gone.at)} by {printable(gone.by)}{why}")


@claim_app.command("withdraw")
def claim_withdraw(
    ctx: typer.Context,
    claim_id: int = typer.Argument(..., help="The claim's id (see `evidence claims REF`)."),
    note: str = typer.Option(..., "--note", help="Why it is withdrawn (kept with it)."),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Withdraw a claim recorded wrongly: it is kept as it was (`claims --all`) and counts for nothing."""
    from evidence.annotation.claims import withdraw_claim
    from evidence.workspace import default_actor, open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        view = withdraw_claim(ws, claim_id, note=note, actor=by if by is not None else default_actor())
    if json_out:
        emit_json(view.to_json())
        return
    typer.echo(f"withdrew claim {view.id} by {printable(view.claimant)}: {printable(view.statement)}")


@app.command()
def claims(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Item id or sha256 prefix."),
    include_withdrawn: bool = typer.Option(
        False, "--all", help="Also the withdrawn claims, with who withdrew them, when and why."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """The claims about an item, with the claims that dispute them."""
    from evidence.annotation.claims import list_claims
    from evidence.workspace import open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        found = list_claims(ws, ref, include_withdrawn=include_withdrawn)
    if json_out:
        emit_json(
            {
                "item": {"id": found.item.id, "sha256": found.item.sha256},
                "claims": [c.to_json() for c in found.claims],
            }
        )
        return
    for view in found.claims:
        _print_claim(view)
    message(f"{len(found.claims)} claims about #{found.item.id} {found.item.sha256[:12]}")


describe_app = typer.Typer(
    cls=DefaultCommandGroup,
    help="Record that a claim or a source says an item shows a term (`evidence describe REF TERM`), or "
    "withdraw such a description.",
    no_args_is_help=True,
)
app.add_typer(describe_app, name="describe")


@describe_app.command("withdraw")
def describe_withdraw(
    ctx: typer.Context,
    description_id: int = typer.Argument(..., help="The description's id (`evidence show REF --json`)."),
    note: str = typer.Option(..., "--note", help="Why it is withdrawn (kept with it)."),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
) -> None:
    """Withdraw a description recorded wrongly: it is kept as it was and counts for nothing."""
    from evidence.annotation.described import withdraw_description
    from evidence.workspace import default_actor, open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        gone = withdraw_description(
            ws, description_id, note=note, actor=by if by is not None else default_actor()
        )
    typer.echo(
        f"withdrew description {gone.description_id}: #{gone.item.id} {gone.item.sha256[:12]} shows "
        f"{printable(' › '.join(gone.path))}"
    )


@describe_app.command("record")
def describe(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Item id or sha256 prefix."),
    term: str = typer.Argument(..., help="What it is said to show: a term, alias or path."),
    source: str | None = typer.Option(None, "--source", help="Who or what says so (if not a claim)."),
    claim_id: int | None = typer.Option(None, "--claim", help="The claim that says so."),
    note: str | None = typer.Option(None, "--note", help="A note kept with it."),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
    strict: bool = typer.Option(False, "--strict", help="Refuse a term the vocabulary does not have."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Record that a claim or a source says the item shows TERM (checked against the tags in `show`).
    `record` may be left out."""
    from evidence.annotation.described import describe as describe_item
    from evidence.workspace import default_actor, open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        result = describe_item(
            ws,
            ref,
            term,
            source=source,
            claim_id=claim_id,
            note=note,
            strict=strict,
            actor=by if by is not None else default_actor(),
        )
    free_term_note(term, result.free_terms, result.free, result.nearest)
    if json_out:
        emit_json(
            {
                "description": result.description_id,
                "item": {"id": result.item.id, "sha256": result.item.sha256},
                "term": result.path[-1],
                "path": list(result.path),
                "claim": result.claim_id,
                "source": result.source,
                "recorded": result.recorded,
            }
        )
        return
    said = f"claim {result.claim_id}" if result.claim_id is not None else printable(result.source or "")
    verb = "described" if result.recorded else "already described"
    typer.echo(
        f"{verb}: #{result.item.id} {result.item.sha256[:12]} shows {printable(' › '.join(result.path))}"
        + (f" (per {said})" if said else "")
        + f" [description {result.description_id}]"
    )
