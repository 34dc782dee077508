"""Rebuild the README gallery: each seed notebook's setup, trained, with its boundary or fit and
its training animation, small enough to commit.

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
FRAMES, PICTURE_DPI, ANIMATION_DPI = 20, 60, 45


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
            for picture, dpi in ((still, PICTURE_DPI), ("animation", ANIMATION_DPI)):
                [path] = plot_run(run, [picture], dpi=dpi)
                target = out / f"{name}-{path.name}"
                target.write_bytes(path.read_bytes())
                print(f"{target.relative_to(ROOT)}  {target.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
