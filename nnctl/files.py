"""Files as nnctl writes and reads them (layer 0: imports only nnctl.errors): one atomic write for
everything it writes, one bounded loader for everything it reads back.

Writing: every file (text, npz, PNG, SVG, GIF) is written to a temporary name beside its place
and renamed over it, so a crash, a kill or a full disk leaves the old file or the new one, never
half of one; a write that fails is one NnctlError naming the file.

Reading: only regular files are read (never a FIFO or a device, which would block or never end),
each kind up to a size, and YAML and npz files are bounded before they are expanded: a YAML
alias bomb, 20 000 levels of nesting or an npz header claiming 2^40 values is refused before any
memory is taken. Every problem is one NnctlError that names the file and what is wrong with it.

A leaf: it imports nothing of nnctl but the exception type.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import csv
import errno
import fcntl
import functools
import io
import json
import os
import re
import secrets
import stat
import weakref
import zipfile
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import yaml

from nnctl.errors import NnctlError

if TYPE_CHECKING:
    import numpy as np

    Array = np.ndarray

MAX_YAML_BYTES = 1_000_000  # a config, a sweep file: far more than any hand-written one
MAX_YAML_DEPTH = 50  # nested mappings and lists; a config has 4
MAX_JSON_BYTES = 16_000_000  # summary.json
MAX_ARRAY_VALUES = 100_000_000  # in one array of an npz (800 MB of float64): config.MAX_VALUES' bound
NPZ_KINDS = "biufU"  # what nnctl's npz files hold: booleans, integers, reals and text; never complex or objects

# ---------------------------------------------------------------- writing


def temporary_name(name: str, suffix: str = "") -> str:
    """The name of a temporary file for `name`: `.NAME.` + 16 random hex digits + `.tmp` + suffix."""
    return f".{name}.{secrets.token_hex(8)}.tmp{suffix}"


_TEMPORARY = re.compile(r"\.(?P<name>.+)\.[0-9a-f]{16}\.tmp(\.[A-Za-z0-9]+)?")


def inventoried(entry: os.DirEntry, names) -> bool:
    """Whether a folder's entry is one of nnctl's files named in `names` (an inventory): a regular
    file, not a link, of one of those names or a temporary file of one."""
    return entry.is_file(follow_symlinks=False) and (entry.name in names or temporary_of(entry.name) in names)


def temporary_of(entry: str) -> str | None:
    """The name whose temporary file `entry` is (see `temporary_name`), or None."""
    match = _TEMPORARY.fullmatch(entry)
    return match["name"] if match else None


def written(path: Path | str, *, keep_suffix: bool = False) -> contextlib.AbstractContextManager[Path]:
    """`with written(path) as tmp:` write the file at `tmp`; on success it is renamed to `path`,
    on any error removed. keep_suffix: `tmp` ends like `path` (.gif), for writers that choose
    the format by the name."""
    return _written(Path(path), keep_suffix=keep_suffix, exclusive=False)


@contextlib.contextmanager
def _written(path: Path, *, keep_suffix: bool, exclusive: bool) -> Iterator[Path]:
    tmp = path.parent / temporary_name(path.name, path.suffix if keep_suffix else "")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the usual mode: 0o666 less the umask
    except OSError as e:
        raise _write_error(path, e) from None
    os.close(fd)
    try:
        yield tmp
        if exclusive:  # claim the name first: of two processes creating it, one wins
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
        os.replace(tmp, path)
    except FileExistsError:
        tmp.unlink(missing_ok=True)
        raise
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise _write_error(path, e) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


_REASONS = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
            errno.EFBIG: "the file is larger than this system allows", errno.EROFS: "the file system is read-only",
            errno.EACCES: "permission denied", errno.EPERM: "permission denied",
            errno.ENAMETOOLONG: "the name is too long for the file system",
            errno.ENOTDIR: "a part of the path is a file, not a folder", errno.ENOENT: "its folder does not exist"}


def os_reason(e: BaseException) -> str:
    """Why an operation on a path failed, in words: an OSError's errno, or a NUL byte in the
    name (ValueError)."""
    if isinstance(e, ValueError):
        return "the name holds a NUL byte"
    return _REASONS.get(getattr(e, "errno", None), (getattr(e, "strerror", None) or str(e)).lower())


def out_folder(folder: Path | str) -> Path:
    """`--out FOLDER`, made (with its parents) when missing; one line naming it when it cannot
    be: a file in the way, no permission, a NUL byte in the name."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise NnctlError(f"--out {folder}: exists and is not a folder") from None
    except (OSError, ValueError) as e:
        raise NnctlError(f"--out {folder}: cannot create it ({os_reason(e)})") from None
    return folder


def _write_error(path: Path, e: OSError) -> NnctlError:
    """The one line for a file that could not be written: which file, and why, in words."""
    return NnctlError(f"{path}: could not be written ({os_reason(e)})")


def atomic_write(path: Path, write: Callable[[IO], None], *, binary: bool = False, exclusive: bool = False) -> Path:
    """Write through `write(file)` to a temporary file beside `path`, then rename it into place.
    exclusive: never replace an existing `path` (FileExistsError), even one another process
    creates at the same instant: the name is claimed with O_EXCL before the rename."""
    path = Path(path)
    with _written(path, keep_suffix=False, exclusive=exclusive) as tmp:
        try:
            with open(tmp, "wb" if binary else "w", newline=None if binary else "", encoding=None if binary
                      else "utf-8") as f:
                write(f)
        except OSError as e:
            raise _write_error(path, e) from None
    return path


def write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda f: f.write(text))


def append_bytes(path: Path, data: bytes) -> None:
    """Append `data` to a file (made when missing) in one write: an append-only log (a search's
    study journal), which a reader takes up to its last whole line. Like every file nnctl writes,
    not synced to the disk: a killed process loses nothing of it, a crash of the machine may."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
    except (OSError, ValueError) as e:
        raise _write_error(Path(path), e) from None


def write_json(path: Path, data: dict) -> Path:
    return write_text(path, json.dumps(data, indent=2) + "\n")


def save_npz(path: Path, arrays: dict[str, Array]) -> Path:
    """Named arrays (W0, b0, …, or a data set's) to an npz, atomically."""
    import numpy as np  # here, not above: `nnctl runs` reads YAML and JSON alone and starts without numpy

    return atomic_write(path, lambda f: np.savez(f, **arrays), binary=True)


def save_figure(fig, path: Path, *, dpi: int, creator: str | None = None, **options) -> Path:
    """A matplotlib figure as the format `path`'s suffix names (png, svg, pdf), atomically.
    creator: the file's Creator in its metadata (a PNG text chunk, SVG's dc:creator, PDF's
    /Creator), so that `made_by` can tell the file as nnctl's own later; `options` go to savefig
    (pil_kwargs)."""
    fmt = Path(path).suffix.lower().lstrip(".")
    metadata = {"Creator": creator} if creator else None
    return atomic_write(path, lambda f: fig.savefig(f, format=fmt, dpi=dpi, metadata=metadata, **options),
                        binary=True)


MAX_PICTURE_BYTES = 200_000_000  # a picture nnctl wrote is far smaller, even at 600 dpi


def made_by(path: Path | str, creator: str) -> bool:
    """Whether `path` is a regular file (not a link) whose metadata names `creator` as
    `save_figure` writes it: the proof that replacing it destroys nothing but nnctl's own picture."""
    path = Path(path)
    if path.is_symlink():
        return False
    try:  # a folder, a FIFO, a file too large for a picture, or unreadable: not nnctl's
        content = read_bytes(path, limit=MAX_PICTURE_BYTES, what="picture")
    except NnctlError:
        return False
    marks = (b"Creator\x00" + creator.encode(), b"<dc:title>" + creator.encode() + b"</dc:title>",
             b"/Creator (" + creator.encode() + b")")
    return any(mark in content for mark in marks)


def may_replace(path: Path | str, creator: str) -> bool:
    """Whether writing `path` destroys nothing but `creator`'s own picture: nothing is there (not
    even a dangling link), or `made_by` says it is that picture."""
    path = Path(path)
    return not (path.exists() or path.is_symlink()) or made_by(path, creator)


def figure_bytes(fig, *, fmt: str, dpi: int) -> bytes:
    """A matplotlib figure rendered in memory, no file: "rgba" pixels for a GIF's frames, "png"
    for report.html's thumbnails (which the page embeds)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi)
    return buffer.getvalue()


def data_uri(data: bytes, mime: str = "image/png") -> str:
    """Bytes as a data: URI, for an <img> that needs no file beside its page (report.html, a
    notebook's HTML)."""
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


# ---------------------------------------------------------------- one writer at a time


class FolderLock:
    """The exclusive lock of a folder nnctl writes in (a sweep folder): flock on the file
    `folder/name`, taken at once or refused with one line. The kernel releases it when the
    process ends, however it ends, and when every copy of its descriptor is closed: a forked
    process closes its copies first (`close_inherited`), or, living on a moment after its
    parent let go (a sweep's panels drawn, Ctrl-C), it would keep the folder locked."""

    held: weakref.WeakSet[FolderLock] = weakref.WeakSet()  # the locks this process holds (one dropped is released)

    def __init__(self, folder: Path, where: str, name: str):
        self.fd: int | None = None
        try:
            self.fd = os.open(folder / name, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except (OSError, ValueError) as e:
            raise NnctlError(f"{where}: cannot write in the folder ({os_reason(e)})") from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            self.release()
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise NnctlError(f"{where}: another nnctl sweep (or nnctl plot) is writing in this folder now; "
                                 "wait until it ends") from None
            raise NnctlError(f"{where}: cannot lock the folder ({os_reason(e)})") from None
        FolderLock.held.add(self)

    def release(self) -> None:
        FolderLock.held.discard(self)
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    @classmethod
    def close_inherited(cls) -> None:
        """In a process just forked: close its copies of its parent's locks (the parent keeps them)."""
        for lock in list(cls.held):
            lock.release()

    def __enter__(self) -> FolderLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    __del__ = release


# ---------------------------------------------------------------- reading


def _regular(path: Path, what: str) -> os.stat_result:
    """`path`'s status, checked to be a regular file: a FIFO, a device or a folder is refused
    before it is opened (reading one could block forever or never end)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise NnctlError(f"{path}: no such file") from None
    except (OSError, ValueError) as e:  # ValueError: a NUL byte in the name
        raise NnctlError(f"{path}: cannot read ({os_reason(e)})") from None
    if stat.S_ISDIR(info.st_mode):
        raise NnctlError(f"{path}: is a folder, not a {what}")
    if not stat.S_ISREG(info.st_mode):
        raise NnctlError(f"{path}: not a regular file (a pipe, device or socket); nnctl reads only files")
    return info


def regular_file(path: Path | str, what: str = "file") -> Path:
    """`path`, checked to be a regular file that exists (for readers that open it themselves)."""
    _regular(Path(path), what)
    return Path(path)


def read_bytes(path: Path | str, *, limit: int, what: str = "file") -> bytes:
    """A regular file's bytes (see `_regular`), at most `limit` of them."""
    path = Path(path)
    size = _regular(path, what).st_size
    if size > limit:
        raise NnctlError(f"{path}: larger than a {what} may be ({limit:,} bytes)")
    try:
        with open(path, "rb") as f:
            # read(n) allocates n bytes at once: ask for the file's size, and the rest only if it grew
            data = f.read(size + 1)
            if len(data) > size:
                data += f.read(limit + 1 - len(data))
    except OSError as e:
        raise NnctlError(f"{path}: cannot read ({os_reason(e)})") from None
    if len(data) > limit:  # it grew while being read
        raise NnctlError(f"{path}: larger than a {what} may be ({limit:,} bytes)")
    return data


def read_text(path: Path | str, *, limit: int, what: str = "file") -> str:
    """A regular file as UTF-8 text (a byte-order mark, as Excel writes, is dropped)."""
    data = read_bytes(path, limit=limit, what=what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise NnctlError(f"{path}: cannot read ({e.reason} at byte {e.start}: not utf-8 text)") from None


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object (summary.json); anything else is one line naming the file."""
    text = read_text(path, limit=MAX_JSON_BYTES, what="JSON file")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise NnctlError(f"{path}: not valid JSON") from None
    if not isinstance(data, dict):
        raise NnctlError(f"{path}: expected a JSON object")
    return data


def load_npz(path: Path | str) -> dict[str, Array]:
    """Named arrays from an npz, never unpickling. Every array's header is read and checked
    (its kind, and that its claimed size fits the file and MAX_ARRAY_VALUES) before any array is
    loaded; every problem names the file."""
    import numpy as np  # see save_npz

    path = Path(path)
    regular_file(path, ".npz file")
    try:
        with open(path, "rb") as f:
            if f.read(4) != b"PK\x03\x04":  # an npz is a zip archive
                raise NnctlError(f"{path}: not an .npz file of named arrays (W0, b0, …)")
        _check_npz_headers(path)
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except ValueError as e:
        if "pickle" in str(e):  # object arrays would need pickle, which is never used
            raise NnctlError(f"{path}: holds Python objects, not plain arrays; refused") from None
        raise NnctlError(f"{path}: not a readable .npz file (damaged or cut short)") from None
    except (OSError, EOFError, KeyError, zipfile.BadZipFile, zipfile.LargeZipFile):
        raise NnctlError(f"{path}: not a readable .npz file (damaged or cut short)") from None


def _check_npz_headers(path: Path) -> None:
    """Each member's .npy header: a plain kind, and a size that fits its bytes and the bound."""
    import numpy as np  # see save_npz

    size = path.stat().st_size
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = info.filename.removesuffix(".npy")
            if info.compress_type == zipfile.ZIP_STORED and info.file_size > size:
                raise NnctlError(f"{path}: {name} claims {info.file_size:,} bytes in a file of {size:,} (damaged)")
            with archive.open(info) as member:
                version = np.lib.format.read_magic(member)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(member)
                else:
                    shape, _, dtype = np.lib.format.read_array_header_2_0(member)
            if dtype.hasobject:
                raise ValueError("pickle")
            if dtype.kind not in NPZ_KINDS or dtype.names is not None:
                kind = "complex numbers" if dtype.kind == "c" else f"values of type {dtype}"
                raise NnctlError(f"{path}: {name} holds {kind}, not real numbers or text; refused")
            values = int(np.prod(shape, dtype=object))
            if values > MAX_ARRAY_VALUES or values * dtype.itemsize > info.file_size:
                raise NnctlError(f"{path}: {name} claims shape {tuple(shape)}, more than the file holds "
                                 f"(damaged; at most {MAX_ARRAY_VALUES:,} values an array)")


def format_metric(value: Any) -> str:
    """A CSV cell as nnctl writes a number: None is empty, a float keeps every digit."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back as the same float
    return str(value)


def rows_csv(rows: list[dict[str, Any]], columns: list[str], cell: Callable[[Any], Any] | None = None, *,
             header: bool = True) -> str:
    """Rows as CSV text with these columns (and a header line of them), each value written as
    `cell` makes it (by default `format_metric`: None is an empty cell, floats keep every digit)."""
    cell = cell or format_metric
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(c)) for c in columns])
    return out.getvalue()


def read_csv_rows(path: Path, *, limit: int, what: str) -> list[dict[str, str]]:
    """A CSV table nnctl wrote (metrics.csv, results.csv) as rows of text keyed by its header."""
    text = read_text(path, limit=limit, what=what)
    try:
        return list(csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error as e:
        raise NnctlError(f"{path}: not a {what} nnctl wrote ({e})") from None


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """metrics.csv (or layers.csv) back into rows: epoch as int, the rest as floats (None where
    empty). A table another tool wrote is one line naming the file."""
    rows = read_csv_rows(path, limit=512_000_000, what="metrics file")
    if rows and "epoch" not in rows[0]:
        raise NnctlError(f"{path}: not a metrics file nnctl wrote (no epoch column)")
    try:
        return [{k: (int(v) if k == "epoch" else float(v) if v != "" else None) for k, v in row.items()}
                for row in rows]
    except (ValueError, TypeError):
        raise NnctlError(f"{path}: not a metrics file nnctl wrote (a row does not read as numbers)") from None


# ---------------------------------------------------------------- YAML


class _Strict:
    """What nnctl adds to YAML's safe loader: a key given twice in one mapping is refused (YAML
    would keep the last), and so is a key that is a list or a mapping."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, Hashable):
                raise yaml.constructor.ConstructorError(
                    None, None, f"a key cannot be a list or a mapping, got {_short(key)}", key_node.start_mark)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {_short(key)} at line {line} (the first is at line {seen[key]})",
                    key_node.start_mark)
            seen[key] = line
        return super().construct_mapping(node, deep)


class StrictLoader(_Strict, yaml.SafeLoader):
    """The strict safe loader in pure Python: its syntax errors are the ones users read."""


# libyaml's parser, where PyYAML was built with it, reads a config 17 times as fast (0.2 ms
# against 3.8); `nnctl runs` reads hundreds. Its error texts differ, so a text it refuses is
# parsed again by StrictLoader for the message.
FastLoader = type("FastLoader", (_Strict, yaml.CSafeLoader), {}) if yaml.__with_libyaml__ else StrictLoader


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# YAML 1.1 reads 1e-3 as text; people mean the number (YAML 1.2 and JSON agree with them)
for _loader in {StrictLoader, FastLoader}:
    _loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
        list("-+0123456789."),
    )


class YamlTooLarge(Exception):
    """A YAML text nests too deeply or expands (through aliases) beyond its bound."""


# characters: a config (configs/moons.yaml: 862) or an override, which a sweep's points read again
# and again; a parsed text holds about 20 times its length, so the 128 kept are at most ~10 MB
KEPT_YAML_TEXT = 4096


def parse_yaml(text: str, *, max_nodes: int | None = None) -> Any:
    """YAML text as plain data with the strict safe loader, bounded: at most MAX_YAML_DEPTH
    levels of nesting, and at most `max_nodes` values once every alias is expanded (default:
    the text's length, which is what the document could hold written out without aliases).
    Raises yaml.YAMLError for bad syntax and YamlTooLarge for a bound.

    A short text read before is not parsed again (`_parsed`); the caller gets a copy of its
    own to change."""
    if len(text) > KEPT_YAML_TEXT:
        return _parse(text, max_nodes)
    return copy.deepcopy(_parsed(text, max_nodes))


@functools.lru_cache(maxsize=128)
def _parsed(text: str, max_nodes: int | None) -> Any:
    """`_parse`, remembered: a 30-point sweep's start read its config file 36 times and parsed
    overrides 300 times; loading the 30 points' configs took 23.5 ms, 9.7 with this (0.33 ms a
    parse of configs/moons.yaml, 2026-12-01 on the 2-core VM), and the workers, forked after,
    inherit what it read. A text that does not parse raises each time: it is not remembered."""
    return _parse(text, max_nodes)


def _parse(text: str, max_nodes: int | None) -> Any:
    try:
        return _parse_bounded(text, FastLoader, max_nodes)
    except yaml.YAMLError:
        if FastLoader is StrictLoader:
            raise
        return _parse_bounded(text, StrictLoader, max_nodes)  # raises again, in the words users read


def _parse_bounded(text: str, loader_class: type, max_nodes: int | None) -> Any:
    max_nodes = max(len(text), 64) if max_nodes is None else max_nodes
    depth = 0
    # the events come from an iterative parser: nesting is measured before the recursive composer
    for event in yaml.parse(text, Loader=loader_class):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise YamlTooLarge(f"nested more than {MAX_YAML_DEPTH} levels deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, max_nodes) > max_nodes:
            raise YamlTooLarge(f"its aliases (*name) expand it to more than {max_nodes:,} values, more than its "
                               "text could hold written out")
        try:
            return loader.construct_document(node)
        except ValueError:  # int() of more than 4 300 digits
            raise YamlTooLarge("it holds a number too long to read (more than 4,300 digits)") from None
    finally:
        loader.dispose()


def _expanded_size(root, bound: int) -> int:
    """How many values `root` holds with every alias written out, counting no higher than just
    above `bound`. An alias is the same node object as its anchor: sizes are memoised by node.
    Raises YamlTooLarge for an alias inside its own anchor (`&a [*a]`), which holds itself: it
    would never be written out (and was counted forever)."""
    sizes: dict[int, int] = {}
    inside: set[int] = set()  # the nodes whose children are being counted: the path from the root
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        children = [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else node.value
        if children_done:
            sizes[id(node)] = min(bound + 1, 1 + sum(sizes.get(id(c), 0) for c in children))
            inside.discard(id(node))
        elif id(node) in inside:
            raise YamlTooLarge("an alias refers to the anchor it is inside of: the value holds itself")
        else:
            inside.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def yaml_error(where: str, e: yaml.YAMLError | YamlTooLarge) -> NnctlError:
    """The one line for a YAML text that does not load: where, at which line, what is wrong."""
    if isinstance(e, YamlTooLarge):
        return NnctlError(f"{where}: refused: {e}")
    if isinstance(e, yaml.constructor.ConstructorError):
        if e.problem and e.problem.startswith("duplicate key"):
            return NnctlError(f"{where}: {e.problem}")
        return NnctlError(f"{where}: invalid YAML at line {e.problem_mark.line + 1}: {_plain_tag(e.problem)}")
    mark = getattr(e, "problem_mark", None)
    at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(e, "problem", None) or str(e).splitlines()[0]
    return NnctlError(f"{where}: invalid YAML{at}: {problem}")


def _plain_tag(problem: str) -> str:
    """PyYAML's words for a tag the safe loader refuses (`!!python/...`), saying what is allowed."""
    tag = re.search(r"constructor for the tag '(?:tag:yaml.org,2002:)?([^']*)'", problem or "")
    if not tag:
        return problem
    return f"tag '{tag[1]}' is not allowed (a config is plain YAML: mappings, lists, text, numbers, true/false)"


def read_yaml(path: Path | str, *, limit: int = MAX_YAML_BYTES) -> Any:
    """A YAML file as plain data: a regular file of at most `limit` bytes, loaded by
    `parse_yaml`'s bounds; every problem is one line naming the file (and the line)."""
    path = Path(path)
    text = read_text(path, limit=limit, what="YAML file")
    try:
        return parse_yaml(text)
    except (yaml.YAMLError, YamlTooLarge) as e:
        raise yaml_error(str(path), e) from None


def flow(value: Any) -> str:
    """A value as YAML in flow style, on one line for any value a config holds: 0.01, [16, 16],
    tanh, {loguniform: [0.0001, 0.1]}, and '1' for a text that YAML would otherwise read as a
    number. `parse_yaml` reads it back as the same value. The one way nnctl writes a setting as
    text: in sweep points' overrides and names, results.csv's cells, report.html, `nnctl runs`."""
    key = repr(value)  # tells apart what YAML does: 1, 1.0, true and '1'; {1: a} and {'1': a}
    text = _FLOWN.get(key)
    if text is None:
        if len(_FLOWN) >= 100_000:
            _FLOWN.clear()
        dumped = yaml.safe_dump(value, default_flow_style=True, width=10_000)
        text = _FLOWN[key] = dumped.strip().removesuffix("\n...").strip()  # a lone scalar ends the document
    return text


_FLOWN: dict[str, str] = {}  # a sweep's values recur in thousands of points; PyYAML takes 50 µs a value
