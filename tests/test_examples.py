"""The example notebooks (examples/*.ipynb, the five seeds redone with nnctl) run on a fresh
Jupyter kernel, their closing asserts hold, their outputs carry no terminal escape codes, and git
holds them as examples/make_notebooks.py writes them: without outputs."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).parents[1]
EXAMPLES = ROOT / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
# first cell of every execution: the kernel must run this interpreter and this tree's nnctl
WHERE = "import sys, nnctl; print(sys.executable); print(nnctl.__file__)"


def generator():
    spec = importlib.util.spec_from_file_location("make_notebooks", EXAMPLES / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_there_is_one_example_per_seed():
    assert [p.name[:7] for p in NOTEBOOKS] == ["seed000", "seed001", "seed002", "seed003", "seed004"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebooks_have_no_outputs_and_are_what_the_generator_writes(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    made = generator()
    text = nbformat.writes(made.notebook(made.NOTEBOOKS[path.name]))
    assert text.rstrip() == path.read_text().rstrip(), "run examples/make_notebooks.py and commit what changes"
    assert "../shared" not in path.read_text()  # users' clones have no seeds folder


@pytest.fixture(scope="module")
def executed() -> dict[Path, tuple]:
    """Every example executed at once, each on its own fresh python3 kernel (this interpreter,
    this tree's nnctl first on the path): (the notebook with its outputs, the exception or None).
    At once, because a kernel mostly waits for its cell or starts up: on 2 cores the five take
    about half the wall time of one after another."""
    import asyncio

    async def run(path: Path) -> tuple:
        nb = nbformat.read(path, as_version=4)
        nb.cells.insert(0, nbformat.v4.new_code_cell(WHERE))
        client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                         resources={"metadata": {"path": str(EXAMPLES)}})
        try:
            await client.async_execute()
        except Exception as e:  # reported by the notebook's own test below
            return nb, e
        return nb, None

    async def run_all() -> list[tuple]:
        return await asyncio.gather(*map(run, NOTEBOOKS))

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
        return dict(zip(NOTEBOOKS, asyncio.run(run_all()), strict=True))


@pytest.mark.slow  # the five kernels together: ~21 s on 2 busy cores (make test runs them)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_example_runs_on_a_fresh_kernel(path, executed):
    nb, error = executed[path]
    if error is not None:
        raise error
    assert nb.cells[0].outputs[0].text.split() == [sys.executable, str(ROOT / "nnctl" / "__init__.py")]
    outputs = json.dumps([c.outputs for c in nb.cells if c.cell_type == "code"])
    assert "\\u001b[" not in outputs and "\x1b[" not in outputs
    assert nb.cells[-1].outputs == []  # the asserts passed silently (a failure raises above)
    for cell in nb.cells:  # a figure as a cell's value shows as a picture, not '<Figure size ...>'
        if cell.cell_type == "code" and "plot" in cell.source.splitlines()[-1]:
            assert any("image/png" in o.get("data", {}) for o in cell.outputs), cell.source
    if path.name.startswith("seed001"):  # trained without quiet: the progress bar, redrawn in place
        assert '<progress value=\\"1000\\" max=\\"1000\\"' in outputs
