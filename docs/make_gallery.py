"""Rebuild the README gallery: each seed notebook's setup, trained, with its boundary or fit and
its training animation, at readable sizes (pictures at 140 dpi, at least ~750 px wide, GIF
frames about 960 px with a pause on the last), so that every title and tick reads on the page.
The frames are the default log-spaced epochs, where the change happens. Then the teaching lab's
lessons (LESSONS): each config trained as it is (or with the `--set` overrides its twin takes),
and the pictures its lesson is about; seed 002's trained line with its points moved by
`nnctl move-data --until-correct`.

    .venv/bin/python docs/make_gallery.py        (or: make gallery)
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from nnctl import load_config
from nnctl.move_data import move_run
from nnctl.training import train
from nnctl.workflow import plot_run

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ["seed000-noisy-linear", "seed001-moons", "seed002-hinge", "seed003-circles", "seed004-bump"]
FRAMES = 20
# Stills at 140 dpi: a square plane's boundary.png is ~600 px wide at nnctl's 110, small beside the
# 960-px films; 140 makes every still at least ~750 px wide (tests/test_gallery.py).
STILL_DPI = 140
# the lab (issue 16): (gallery name, config, --set overrides, pictures)
LESSONS = [
    ("circles-raw", "circles-raw", [], ["boundary"]),
    ("circles-features", "circles-features", [], ["boundary"]),
    ("l1-sparsity", "l1-sparsity", [], ["network", "norms"]),
    ("dropout", "dropout", [], ["loss"]),
    ("dropout-off", "dropout", ["model.dropout=0", "name=dropout-off"], ["loss"]),
    ("lbfgs", "lbfgs", [], ["loss"]),
]


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
                keep(path, out / f"{name}-{path.name}")
        lessons(out, Path(tmp))


def lessons(out: Path, tmp: Path) -> None:
    """The teaching lab's pictures, as `lesson-NAME-PICTURE.png`, and seed 002's moved points."""
    for name, config_name, overrides, pictures in LESSONS:
        run = tmp / f"lesson-{name}"
        train(load_config(ROOT / "configs" / f"{config_name}.yaml", [*overrides, "output.plots=[]"]), run)
        for path in plot_run(run, pictures, dpi=STILL_DPI):
            keep(path, out / f"lesson-{name}-{path.name}")
    run = tmp / "seed002-hinge"  # trained above, with its checkpoints
    _, paths = move_run(run, until_correct=True, dpi=STILL_DPI)
    keep(next(p for p in paths if p.suffix == ".png"), out / "lesson-seed002-moved.png")


def keep(path: Path, target: Path) -> None:
    target.write_bytes(path.read_bytes())
    print(f"{target.relative_to(ROOT)}  {target.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
