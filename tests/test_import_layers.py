"""The house of layers (DESIGN.md, "Shape"): a module imports only from layers below its own, or
from its own layer where that makes no cycle. Every import is read from the source, those inside
functions and under TYPE_CHECKING too, so a cycle cannot hide in a function.

LAYERS is the one source of truth: DESIGN.md and the README's layout table follow it. A new
module finds its layer here first.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "nnctl"

LAYERS: dict[str, int] = {
    # 0: the backprop core, the one exception type, files (atomic writes, bounded reading)
    "nnctl.nn": 0, "nnctl.errors": 0, "nnctl.files": 0, "nnctl.vocabulary": 0, "nnctl.version": 0,
    # 1: arrays in, arrays out; figures from arrays; what the terminal shows
    "nnctl.data": 1, "nnctl.features": 1, "nnctl.plots": 1, "nnctl.console": 1,
    # 2: the config schema, with names from the registries below
    "nnctl.config": 2,
    # 3: config + data -> model; the run directory
    "nnctl.assemble": 3, "nnctl.runs": 3,
    # 4: what is done with a run: the loop, gradient checks, one step shown, the pictures' arrays;
    # runs of one shape trained together (beside training, whose Loops it steps in lockstep)
    "nnctl.training": 4, "nnctl.lbfgs": 4, "nnctl.gradcheck": 4, "nnctl.explain": 4, "nnctl.pictures": 4,
    "nnctl.lockstep": 4,
    # 5: many runs: sweeps, listings; the public run object (predict, later plot); its export; the
    # scikit-learn estimators (above training, whose loop they run; beside trained, which predicts)
    "nnctl.sweeps": 5, "nnctl.listing": 5, "nnctl.trained": 5, "nnctl.export": 5, "nnctl.sklearn": 5,
    # seed 002's move-data: a trained run's points moved by the gradient, drawn (above pictures)
    "nnctl.move_data": 5,
    # `nnctl compare`: runs side by side, beside listing (read as it reads them; drawn through pictures)
    "nnctl.compare": 5,
    # what a notebook shows of runs and sweeps (HTML, inline pictures): beside trained, which uses it
    "nnctl.notebook": 5,
    # the watch page: a run's state as JSON (above pictures, whose adapters it reuses; reads sweep
    # folders), its read-only server and the training side's publisher (an on_epoch of training.fit)
    "nnctl.watch": 5,
    # 6: the commands
    "nnctl.workflow": 6, "nnctl.cli": 6, "nnctl.__main__": 6,
    # the package's front door, which imports its public names lazily
    "nnctl": 7,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    """The layer of `module`: that of the longest name in LAYERS it starts with."""
    for name in sorted(LAYERS, key=len, reverse=True):
        if module == name or module.startswith(name + "."):
            return LAYERS[name]
    raise AssertionError(f"{module} has no layer: add it to LAYERS in {Path(__file__).name}")


def imports(path: Path) -> list[tuple[str, int]]:
    """(module imported, line) for every import of an nnctl module in the file."""
    tree = ast.parse(path.read_text(), str(path))
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names if alias.name.split(".")[0] == "nnctl"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x, from .common import y
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            if module.split(".")[0] != "nnctl":
                continue
            # `from nnctl.plots import common` imports a submodule; `from nnctl import x` likewise
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                found.append((sub if (PACKAGE.parent / sub.replace(".", "/")).with_suffix(".py").exists()
                              or (PACKAGE.parent / sub.replace(".", "/")).is_dir() else module, node.lineno))
    return found


@functools.cache  # the package's source does not change during a test session; tests only read it
def graph() -> dict[str, list[tuple[str, int]]]:
    return {module_name(p): imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_has_a_layer():
    for module in graph():
        layer(module)


def test_no_module_imports_from_a_layer_above_its_own():
    upward = [f"{PACKAGE.parent / (m.replace('.', '/'))}.py:{line}: {m} (layer {layer(m)}) imports {target} "
              f"(layer {layer(target)})"
              for m, targets in graph().items() for target, line in targets
              if layer(target) > layer(m) and not target.startswith(m + ".")]
    assert upward == []


def test_imports_within_a_layer_make_no_cycle():
    edges = {m: {t for t, _ in targets if t != m and not t.startswith(m + ".") and not m.startswith(t + ".")}
             for m, targets in graph().items()}
    cycles = []
    for start in edges:  # a cycle through `start`: a path from one of its imports back to it
        stack, seen = [(start, [start])], set()
        while stack:
            node, trail = stack.pop()
            for target in edges.get(node, ()):
                if target == start:
                    cycles.append(" -> ".join([*trail, start]))
                elif target not in seen and target in edges:
                    seen.add(target)
                    stack.append((target, [*trail, target]))
    assert sorted(set(cycles)) == []


def test_the_checker_sees_an_import_inside_a_function(tmp_path, monkeypatch):
    """A function-level import is what hid the cycles before: the parser must read it."""
    source = tmp_path / "nnctl" / "data.py"
    source.parent.mkdir()
    source.write_text("def f():\n    from nnctl.runs import load_run  # hidden\n    return load_run\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", tmp_path / "nnctl")
    assert imports(source) == [("nnctl.runs", 2)]
    assert layer("nnctl.runs") > layer("nnctl.data")
