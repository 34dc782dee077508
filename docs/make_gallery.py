"""Rebuild the README gallery: each seed notebook's setup, trained, with its boundary or fit and
its training animation, at readable sizes (pictures at 140 dpi, at least ~750 px wide, GIF
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
# Stills at 140 dpi: a square plane's boundary.png is ~600 px wide at nnctl's 110, small beside the
# 960-px films; 140 makes every still at least ~750 px wide (tests/test_gallery.py).
STILL_DPI = 140


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
                [path] = plot_run(run, [picture], dpi=STILL_DPI)
                target = out / f"{name}-{path.name}"
                target.write_bytes(path.read_bytes())
                print(f"{target.relative_to(ROOT)}  {target.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
