"""The Typer application and its single error boundary."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from evidence.errors import EvidenceError, ExitCode

ENV_DEBUG = "EVIDENCE_DEBUG"


def _is_framework_exception(exc: BaseException) -> bool:
    """Typer/Click's own control flow (exit, abort, usage errors) passes through untouched."""
    return type(exc).__module__.split(".")[0] in ("typer", "click")


class EvidenceGroup(TyperGroup):
    """The one error boundary: an EvidenceError becomes one line on stderr and its exit code, and so
    does a value Click refused while reading a command's options (exit 2); anything else is a bug,
    reported in one line unless EVIDENCE_DEBUG=1."""

    def invoke(self, ctx: Any) -> Any:
        debug = os.environ.get(ENV_DEBUG) == "1"
        try:
            return super().invoke(ctx)
        except EvidenceError as exc:
            if debug:
                raise
            _fail(exc.message, exc.exit_code)
        except typer.BadParameter as exc:  # a value Click refused (out of its range, not a number…)
            if debug:
                raise
            where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
            _fail(f"{exc.format_message().rstrip('.')}{where}", ExitCode.USAGE)
        except BrokenPipeError:  # the reader went away (`evidence list | head`): nothing more to say
            _quiet_stdout()
            raise typer.Exit(ExitCode.PIPE_CLOSED) from None
        except KeyboardInterrupt:
            _fail("interrupted; anything already preserved is safe (run `evidence verify` to check)", 130)
        except Exception as exc:
            if debug or _is_framework_exception(exc):
                raise
            _fail(
                f"internal error: {type(exc).__name__}: {exc} (this is a bug; "
                f"run again with {ENV_DEBUG}=1 for the traceback and report it)",
                ExitCode.INTERNAL,
            )


def _flag_type_shown_as_nothing() -> None:
    """A flag takes no value, so `--help` shows no type beside it (Typer shows `<bool>`, which reads as
    if the flag wanted a value)."""
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag else shown(self, ctx)

    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flag_type_shown_as_nothing()

# a command whose per-run option has a per-item form says where that is when the option is repeated
REPEAT_HINTS = {"add": "use --manifest to give each file its own details"}


def _single_values_given_once() -> None:
    """An option that takes one value, given twice (`add --source-url a --source-url b`), is refused
    (exit 2) instead of Click silently keeping the last value. Flags, counts and options that take a
    list may repeat. Checked for every command and group, on the order in which Click's own parser met
    the options (so a value that looks like an option name is still a value)."""
    from typer.core import TyperCommand, TyperOption

    def refuse_repeats(command: Any, ctx: Any, args: list[str]) -> None:
        if ctx.resilient_parsing:  # shell completion
            return
        _, _, order = command.make_parser(ctx).parse_args(args=list(args))  # the parser takes args apart
        seen: set[str] = set()
        for param in order:
            if not isinstance(param, TyperOption) or param.is_flag or param.multiple or param.count:
                continue
            if param.name in seen:
                hint = REPEAT_HINTS.get(command.name or "")
                _fail(
                    f"{'/'.join(param.opts)} was given twice; give it once" + (f" ({hint})" if hint else ""),
                    ExitCode.USAGE,
                )
            seen.add(param.name or "")

    for cls in (TyperCommand, TyperGroup):
        parse = cls.parse_args

        def parse_args(self: Any, ctx: Any, args: list[str], parse: Any = parse) -> list[str]:
            refuse_repeats(self, ctx, args)
            return list(parse(self, ctx, args))

        cls.parse_args = parse_args  # type: ignore[method-assign]


_single_values_given_once()


class DefaultCommandGroup(TyperGroup):
    """A group whose command word may be left out: `evidence claim 3 --by …` runs `evidence claim
    record 3 --by …` (an argument that names none of the group's commands goes to `record`)."""

    default_command = "record"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [self.default_command, *args]
        return list(super().parse_args(ctx, args))


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit raises nothing more."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file descriptor (tests capture it)
        pass


def _fail(message: str, code: int) -> None:
    from evidence.core.text import one_line

    sys.stderr.write(f"evidence: {one_line(message)}\n")
    sys.stderr.flush()
    raise typer.Exit(int(code))


@dataclass
class State:
    catalogue: Path | None = None


app = typer.Typer(
    cls=EvidenceGroup,
    name="evidence",
    help="A media-evidence catalogue: preserve, identify, fingerprint, annotate and trace footage.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
db_app = typer.Typer(help="Catalogue database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def version_callback(value: bool) -> None:
    if value:
        from evidence import __version__

        typer.echo(f"evidence {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    catalogue: Path | None = typer.Option(
        None,
        "--catalogue",
        envvar="EVIDENCE_CATALOGUE",
        help="The catalogue (a .evidence folder or the folder that holds it). "
        "Default: the nearest .evidence/ from here upward.",
    ),
    version: bool = typer.Option(
        False, "--version", callback=version_callback, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    ctx.obj = State(catalogue=catalogue)
    if ctx.invoked_subcommand is None:
        from evidence.config import locate

        location = locate(catalogue)  # says how to create one when there is none (exit 2)
        typer.echo(ctx.get_help())
        typer.echo(f"\ncatalogue: {location.root}", err=True)


def state(ctx: typer.Context) -> State:
    obj = ctx.find_object(State)
    return obj if obj is not None else State()
