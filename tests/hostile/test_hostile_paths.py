"""Bad input, part 1: what is given to `evidence add` — names, links, special files, folders.

Policy on symbolic links (what `evidence/ingest/add.py` does, and README's "What `add` guarantees" says):
a symbolic link named on the command line is followed (an investigator may keep a folder of links to
what they received; the acquisition records the path as given); a dangling or looping one is refused,
as is one that leads to a FIFO, a device or into the catalogue. Symbolic links met inside a folder
are never followed: each is skipped and reported on stderr, so a link cannot pull in files from
elsewhere or loop. FIFOs and devices are refused without ever being opened for reading.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import Catalogue
from hostile_kit import add_hostile, assert_consistent, object_path, rows

from evidence import faults
from evidence.core.text import printable

# ------------------------------------------------------------------------------------ empty, twice


def test_empty_file_is_refused_and_nothing_is_written(catalogue: Catalogue) -> None:
    empty = catalogue.home / "empty.mp4"
    empty.write_bytes(b"")
    run = add_hostile(catalogue, empty, code=2, problems=["empty file"])
    assert [r["status"] for r in run.results] == ["failed"]
    assert rows(catalogue, "SELECT id FROM item") == []


def _twice_same_path(f: Path) -> list[Path]:
    return [f, f]


def _twice_other_spelling(f: Path) -> list[Path]:
    return [f, f.parent / "." / f.name]


def _file_and_its_link(f: Path) -> list[Path]:
    link = f.parent / "link-to-clip.bin"
    link.symlink_to(f)
    return [f, link]


def _file_and_a_hard_link(f: Path) -> list[Path]:
    hard = f.parent / "hard-link.bin"
    hard.hardlink_to(f)
    return [f, hard]


def _folder_and_a_file_in_it(f: Path) -> list[Path]:
    return [f.parent, f]


@pytest.mark.parametrize(
    "spell",
    [
        _twice_same_path,
        _twice_other_spelling,
        _file_and_its_link,
        _file_and_a_hard_link,
        _folder_and_a_file_in_it,
    ],
)
def test_the_same_file_twice_in_one_command_is_counted_once(
    sqlite_catalogue: Catalogue, spell: Callable[[Path], list[Path]]
) -> None:
    folder = sqlite_catalogue.home / "in"
    folder.mkdir()
    clip = folder / "clip.bin"
    clip.write_bytes(b"the same evidence, named twice\n")
    paths = spell(clip)
    run = add_hostile(sqlite_catalogue, *paths, code=0, problems=["the same file was already given"])
    assert [r["status"] for r in run.results] == ["added"]
    assert rows(sqlite_catalogue, "SELECT COUNT(*) FROM acquisition") == [(1,)]


def test_the_same_bytes_under_two_names_is_one_item_with_two_acquisitions(catalogue: Catalogue) -> None:
    first, second = catalogue.home / "a.bin", catalogue.home / "b.bin"
    first.write_bytes(b"one content, two files\n")
    second.write_bytes(b"one content, two files\n")
    run = add_hostile(catalogue, first, second, code=0)
    assert [r["status"] for r in run.results] == ["added", "duplicate"]
    assert run.results[0]["id"] == run.results[1]["id"]
    assert rows(catalogue, "SELECT COUNT(*) FROM acquisition") == [(2,)]


# ------------------------------------------------------------------------------------------ names

HOSTILE_NAMES = {
    "newline": b"two\nlines.txt",
    "terminal-escapes": b"title\x1b]0;pwned\x07\x1b[2J\x1b[31mred\r.txt",
    "html": b"<img src=x onerror=alert(1)>&amp;'\".txt",
    "non-utf8": b"caf\xe9-\xff\xfe.txt",
    "255-bytes": "é".encode() * 125 + b"x.txt",  # 250 + 5 bytes: the longest name ext4 allows
}


@pytest.mark.parametrize("label", sorted(HOSTILE_NAMES))
def test_hostile_names_are_kept_exactly_and_printed_safely(sqlite_catalogue: Catalogue, label: str) -> None:
    raw = HOSTILE_NAMES[label]
    assert len(raw) <= 255
    folder = sqlite_catalogue.home / "names"
    folder.mkdir()
    path = Path(os.fsdecode(os.fsencode(folder) + b"/" + raw))
    path.write_bytes(b"payload of " + raw)
    run = add_hostile(sqlite_catalogue, path, code=0)
    [entry] = run.results
    assert entry["path"] == printable(str(path)) and entry["path"].isprintable()
    [(name, stored_path, stored_raw)] = rows(
        sqlite_catalogue, "SELECT original_name, original_path, original_path_raw FROM acquisition"
    )
    if label == "non-utf8":  # the exact bytes are kept beside a readable rendering
        assert bytes(stored_raw) == os.fsencode(path) and name == raw.decode("utf-8", "backslashreplace")
    else:
        assert name == raw.decode() and stored_path == str(path) and stored_raw is None
    # the text output and a second (duplicate) add print the name escaped too
    again = sqlite_catalogue.run("add", path)
    assert again.exit_code == 0, again.output
    assert "\x1b" not in again.output and "\r" not in again.output and "\x07" not in again.output
    assert printable(str(path)) in again.stdout and again.stdout.count("\n") == 1


def test_a_hostile_name_in_a_refusal_is_one_printable_line(sqlite_catalogue: Catalogue) -> None:
    missing = sqlite_catalogue.home / "gone\n\x1b[2Jfake: ok.mp4"
    run = add_hostile(sqlite_catalogue, missing, code=2, problems=["no such file or directory"])
    assert "gone\\x0a\\x1b[2Jfake" in run.lines[0]


# --------------------------------------------------------------------------------- symbolic links


def test_a_symlink_given_on_the_command_line_is_followed(sqlite_catalogue: Catalogue) -> None:
    """Followed: the target's bytes are preserved, the acquisition records the link's path."""
    target = sqlite_catalogue.home / "received.bin"
    target.write_bytes(b"what the link points at\n")
    link = sqlite_catalogue.home / "link.txt"
    link.symlink_to(target)
    run = add_hostile(sqlite_catalogue, link, code=0)
    [entry] = run.results
    assert object_path(sqlite_catalogue, entry["sha256"]).read_bytes() == target.read_bytes()
    assert rows(sqlite_catalogue, "SELECT original_path FROM acquisition") == [(str(link),)]


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ("nowhere", "no such file or directory"),
        ("itself", "Too many levels of symbolic links"),
        ("fifo", "FIFO"),
        ("/dev/zero", "device"),
        ("catalogue", "inside the catalogue"),
    ],
)
def test_a_symlink_to_what_cannot_be_preserved_is_refused(
    sqlite_catalogue: Catalogue, target: str, problem: str
) -> None:
    home = sqlite_catalogue.home
    link = home / "link.mp4"
    if target == "nowhere":
        link.symlink_to(home / "missing.mp4")
    elif target == "itself":
        link.symlink_to(link)
    elif target == "fifo":
        os.mkfifo(home / "pipe")
        link.symlink_to(home / "pipe")
    elif target == "catalogue":
        link.symlink_to(sqlite_catalogue.root / "store")
    else:
        link.symlink_to(target)
    add_hostile(sqlite_catalogue, link, code=2, problems=[problem])


def test_symlinks_and_symlink_loops_inside_folders_are_skipped_and_reported(
    sqlite_catalogue: Catalogue,
) -> None:
    home = sqlite_catalogue.home
    outside = home / "outside.txt"
    outside.write_text("must not be pulled in through a link\n")
    folder = home / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "real.txt").write_text("the one real file\n")
    (folder / "to-outside.txt").symlink_to(outside)
    (folder / "loop-to-self").symlink_to(folder)
    (folder / "sub" / "loop-to-parent").symlink_to(folder)
    (folder / "a").symlink_to(folder / "b")  # a -> b -> a
    (folder / "b").symlink_to(folder / "a")
    (folder / "dangling").symlink_to(home / "missing")
    run = add_hostile(
        sqlite_catalogue,
        folder,
        code=0,
        problems=[
            f"{folder / n}: symbolic link" for n in ("a", "b", "dangling", "loop-to-self", "to-outside.txt")
        ]
        + [f"{folder / 'sub' / 'loop-to-parent'}: symbolic link"],
    )
    assert [Path(r["path"]).name for r in run.results] == ["real.txt"]
    assert len(run.skipped) == 6


# ------------------------------------------------------------------------------ special files


def test_a_fifo_is_refused_without_blocking(catalogue: Catalogue) -> None:
    fifo = catalogue.home / "pipe.mp4"
    os.mkfifo(fifo)
    add_hostile(catalogue, fifo, code=2, problems=["is a FIFO (named pipe), not a regular file"])


def test_a_fifo_inside_a_folder_is_refused_and_the_rest_preserved(sqlite_catalogue: Catalogue) -> None:
    folder = sqlite_catalogue.home / "drop"
    folder.mkdir()
    os.mkfifo(folder / "a-pipe.mp4")
    (folder / "b-file.txt").write_text("preserved anyway\n")
    run = add_hostile(sqlite_catalogue, folder, code=2, problems=["a-pipe.mp4: is a FIFO"])
    assert [(Path(r["path"]).name, r["status"]) for r in run.results] == [
        ("a-pipe.mp4", "failed"),
        ("b-file.txt", "added"),
    ]


@pytest.mark.parametrize("device", ["/dev/null", "/dev/zero"])
def test_devices_are_refused(sqlite_catalogue: Catalogue, device: str) -> None:
    add_hostile(
        sqlite_catalogue, Path(device), code=2, problems=[f"{device}: is a device, not a regular file"]
    )


# ------------------------------------------------------------------------------------- folders


@pytest.fixture
def deep_home(sqlite_catalogue: Catalogue) -> Iterator[Path]:
    """A folder for trees deeper than Python's recursion limit; removed with rm -rf (iterative),
    since shutil.rmtree, as pytest's own clean-up uses it, recurses and would fail on them."""
    top = sqlite_catalogue.home / "deep"
    top.mkdir()
    try:
        yield top
    finally:
        subprocess.run(["rm", "-rf", str(top)], check=False)


def _nest(top: Path, depth: int, file_at: int | None = None) -> None:
    """`depth` folders named d inside each other under `top` (through directory descriptors, so the
    path length never matters), with a file at `file_at` levels and one at the bottom."""
    here = os.open(top, os.O_RDONLY)
    try:
        for level in range(1, depth + 1):
            os.mkdir("d", dir_fd=here)
            below = os.open("d", os.O_RDONLY, dir_fd=here)
            os.close(here)
            here = below
            if level in (file_at, depth):
                fd = os.open(f"at-{level}.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=here)
                os.write(fd, f"level {level}\n".encode())
                os.close(fd)
    finally:
        os.close(here)


def test_folders_nested_deeper_than_the_recursion_limit_are_walked(
    sqlite_catalogue: Catalogue, deep_home: Path
) -> None:
    """Used to end in `internal error: RecursionError` (os.walk recurses once per level)."""
    _nest(deep_home, 1200)
    run = add_hostile(sqlite_catalogue, deep_home, code=0)
    assert [Path(r["path"]).name for r in run.results] == ["at-1200.txt"]


def test_folders_nested_past_the_path_length_limit_are_refused_not_skipped_silently(
    sqlite_catalogue: Catalogue, deep_home: Path
) -> None:
    """What lies beyond PATH_MAX cannot be opened by its path: it is refused, in one line, and what
    can be reached is still preserved (os.walk used to drop such folders without a word)."""
    _nest(deep_home, 2100, file_at=1000)
    run = add_hostile(sqlite_catalogue, deep_home, code=2, problems=["File name too long"])
    assert sorted((Path(r["path"]).name, r["status"]) for r in run.results) == [
        ("at-1000.txt", "added"),
        ("d", "failed"),
    ]


# ------------------------------------------------------------------------- changing while copied


def test_a_file_that_changes_while_it_is_copied_is_refused_and_nothing_is_kept(
    catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    growing = catalogue.home / "recording.bin"
    growing.write_bytes(b"\x00" * (3 << 20))
    checkpoint = faults.checkpoint

    def append_while_copying(name: str) -> None:
        if name == "copy" and growing.stat().st_size == 3 << 20:
            with open(growing, "ab") as handle:  # a recorder still writing to the file
                handle.write(b"more frames")
        checkpoint(name)

    monkeypatch.setattr(faults, "checkpoint", append_while_copying)
    run = add_hostile(
        catalogue, growing, code=2, problems=["changed while it was being copied"], untouched=False
    )
    assert [r["status"] for r in run.results] == ["failed"]
    monkeypatch.undo()
    assert rows(catalogue, "SELECT id FROM item") == []
    # once the recording is complete, the same add preserves it
    add_hostile(catalogue, growing, code=0)
    assert_consistent(catalogue)


def test_a_file_swapped_for_a_symlink_after_listing_is_refused(sqlite_catalogue: Catalogue) -> None:
    """A folder is listed first and copied after: a file replaced by a symbolic link in between (which
    the folder rules would have skipped) is refused, and the link's target is never read."""
    from evidence.errors import InputRefused
    from evidence.ingest.add import AddOptions, add_one, collect
    from evidence.workspace import open_workspace

    folder = sqlite_catalogue.home / "drop"
    folder.mkdir()
    listed = folder / "clip.bin"
    listed.write_bytes(b"listed bytes")
    secret = sqlite_catalogue.home / "secret.bin"
    secret.write_bytes(b"not for the catalogue")
    candidates, _, _ = collect([folder], include_hidden=False, catalogue_root=sqlite_catalogue.root)
    (candidate,) = candidates
    listed.unlink()
    listed.symlink_to(secret)
    with open_workspace(sqlite_catalogue.root) as ws, pytest.raises(InputRefused, match="replaced"):
        add_one(ws, candidate.path, AddOptions(), identity=candidate.identity)
    assert rows(sqlite_catalogue, "SELECT COUNT(*) FROM item") == [(0,)]
    assert_consistent(sqlite_catalogue)
