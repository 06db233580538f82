"""CLI of the content module: `appcomply lexicon compile FILE` (compile a term list, report its size and cost).

The engine is imported inside the command: compiling pulls in the automaton and pinyin tables, which every
other `appcomply` command would otherwise pay for at start-up.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from appcomply.kernel.runner import emit

lexicon_cli = typer.Typer(
    help="Lexicons (Art 8): compile a term list to check its size and cost.", no_args_is_help=True
)

EXIT_INVALID = 3  # as cli/exit_codes.ExitCode.INVALID: the file cannot be read or has bad lines


@lexicon_cli.command("compile")
def compile_(
    file: Annotated[Path, typer.Argument(help="Term list: one term per line, or CSV term,category,level[,scopes].")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Compile FILE as an import would read it (no database): terms, patterns, seconds, peak RSS."""
    from appcomply.content.engine import Category, Level, Lexicon, compile_lexicon, parse_term_list

    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"error: cannot read {file}: {exc}", err=True)
        raise typer.Exit(EXIT_INVALID) from exc
    terms, errors = parse_term_list(
        text, default_category=Category.CUSTOM, default_level=Level.BLOCK, source=file.name, added_by="cli"
    )
    if errors:
        for error in errors[:20]:
            typer.echo(f"{file}:{error.line_no}: {error.code}: {error.message}", err=True)
        typer.echo(f"error: {len(errors)} invalid line(s)", err=True)
        raise typer.Exit(EXIT_INVALID)
    unique = tuple({t.text: t for t in terms}.values())  # a term listed twice: the last line wins, as on import
    start = time.perf_counter()
    with _progress(enabled=sys.stderr.isatty()) as progress:
        compiled = compile_lexicon(Lexicon("cli", unique), progress=progress)
    seconds = time.perf_counter() - start
    data = {
        "terms": compiled.term_count,
        "patterns": compiled.variant_count,
        "seconds": round(seconds, 3),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }
    text_out = (
        f"{data['terms']:,} terms -> {data['patterns']:,} patterns in {seconds:.2f} s; "
        f"peak RSS {data['peak_rss_mb']:.0f} MB"
    )
    emit(data, as_json=as_json, text=text_out)


def _peak_rss_mb() -> float:
    """Peak RSS of this process: VmHWM, since Linux carries ru_maxrss over from the parent across exec."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux; no /proc elsewhere


@contextmanager
def _progress(*, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr when it is a terminal; None (no callback, no cost) otherwise."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    columns = (TextColumn("compiling"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("compile", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
