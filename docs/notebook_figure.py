"""The README's "In a notebook" section: a cell executed on a fresh Jupyter kernel (nbclient, from
the repository's root, with this tree's nnctl), the figure it displays saved as docs/notebook-cell.png
and the cell's exact text as docs/notebook-cell.py, for the README to quote beside it.

    python docs/notebook_figure.py          # make docs runs it: `notebook_figure.main()`

The cell's picture is the PNG Jupyter shows (IPython's inline format of the figure `run.plot`
returns), byte for byte: the README shows what a notebook user sees.
"""

from __future__ import annotations

import base64
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

# What the README quotes; the cell before it trains (its progress bar is not a picture).
SETUP = 'import nnctl\n\nrun = nnctl.train("configs/moons.yaml")'
CELL = 'run.plot("boundary")'


def executed(cells: list[str]):
    """A notebook of `cells` run on a fresh python3 kernel in the repository's root."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    env = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), env]) if env else str(ROOT)
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    finally:
        os.environ["PYTHONPATH"] = env
    return nb


def displayed_png(cell) -> bytes:
    """The PNG a cell displays (its result or a display), the last one when there are several."""
    pngs = [o["data"]["image/png"] for o in cell.outputs if "image/png" in o.get("data", {})]
    if not pngs:
        kinds = [o.get("output_type") for o in cell.outputs]
        raise RuntimeError(f"the cell {cell.source!r} displayed no picture (its outputs: {kinds})")
    return base64.b64decode(pngs[-1])


def main(out: Path = DOCS) -> tuple[Path, Path]:
    """Execute SETUP and CELL; write notebook-cell.png (CELL's picture) and notebook-cell.py (both
    cells' text, as a reader would type them) in `out`."""
    nb = executed([SETUP, CELL])
    picture, text = out / "notebook-cell.png", out / "notebook-cell.py"
    picture.write_bytes(displayed_png(nb.cells[-1]))
    text.write_text(f"# In [1]:\n{SETUP}\n\n# In [2]:\n{CELL}\n")
    return picture, text


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else DOCS):
        print(path)
