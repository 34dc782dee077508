"""Rebuild the README gallery: each seed notebook's setup, trained, with its boundary or fit and
its training animation, at the sizes `nnctl plot` draws them (pictures about 800 px wide, GIF
frames about 960 px with a pause on the last), so that every title and tick reads on the page.
The frames are the default log-spaced epochs, where the change happens.

    .venv/bin/python docs/make_gallery.py        (or: make gallery)
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from nnctl import load_config
from nnctl.training import train
from nnctl.workflow import plot_run

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ["seed000-noisy-linear", "seed001-moons", "seed002-hinge", "seed003-circles", "seed004-bump"]
FRAMES = 20


def main() -> None:
    out = ROOT / "docs" / "gallery"
    out.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in SEEDS:
            config = load_config(ROOT / "configs" / f"{name}.yaml",
                                 [f"output.animation.frames={FRAMES}", "output.plots=[]"])
            run = Path(tmp) / name
            result = train(config, run)
            still = "fit" if result.dataset.task == "regression" else "boundary"
            for picture in (still, "animation"):
                [path] = plot_run(run, [picture])
                target = out / f"{name}-{path.name}"
                target.write_bytes(path.read_bytes())
                print(f"{target.relative_to(ROOT)}  {target.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
