"""Layer 0: the words nnctl's files use, defined once: the statuses of a run, the names of its
metrics and of its pictures. Everything that spells one of them (the loop writing summary.json, `nnctl runs`, a
sweep's results.csv, its pictures and report, the config's early-stopping monitor) imports it
from here, and a test holds every table keyed by them (the status colours of `nnctl runs` and of
report.html) to this list.

Why here and not in `runs` (layer 3), beside the run directory they describe: `runs` imports
NumPy, pydantic and the model code, and `nnctl runs` (`listing`), which reads these words back
from hundreds of run directories, must start without them (tests/test_listing.py). So the
vocabulary is plain data at the bottom of the house, importing nothing; `runs` writes the files
and this module names what they say.
"""

# The status of a run (summary.json's `status`) and, in a sweep, of a point (results.csv's):
# how it ended, or for a point that has not run, why.
STATUSES = ("completed", "early_stopped", "diverged", "interrupted", "failed", "pending", "pruned")
# A run that ended by itself: a sweep does not run it again, `nnctl train --resume` refuses it.
# Interrupted and failed runs go on (from their resume state), pending ones start.
FINISHED = ("completed", "early_stopped", "diverged")

# metrics.csv's columns, in their order (those with no value in any row are left out).
METRICS = ("epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy", "lr", "seconds")
# The metrics summary.json keeps at the end of a run (`final`) and at its best epoch (`best`),
# in this order; the ones early stopping may monitor.
SUMMARY_METRICS = ("train_loss", "val_loss", "train_accuracy", "val_accuracy")
# A run's final metrics as everything that shows them names them: by their key path in
# summary.json (results.csv's header, report.html, sweep.png, `nnctl runs`). results.csv files
# written before issue 14 said final_val_accuracy: `sweeps.results` reads those under these names.
FINAL_METRICS = tuple(f"final.{name}" for name in SUMMARY_METRICS)

# The pictures of a run, by name: what output.plots and `nnctl plot --only` take, and the files a
# run directory may hold (runs.RUN_FILES); pictures.PICTURES draws each, in this order. Here, at
# the bottom, so that the config and the run inventory can name them without importing a drawing.
PICTURE_NAMES = ("loss", "boundary", "fit", "neurons", "network", "hidden", "norms", "confusion", "animation")
# The files a picture may be written as (`nnctl plot --image-format`; the animation is a GIF):
# pdf for slides and handouts.
PICTURE_FORMATS = (".png", ".svg", ".pdf")
