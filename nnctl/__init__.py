"""nnctl: train small fully connected networks from YAML configs, with a NumPy backprop core.
The front door, above every layer: it imports its public names lazily.

    from nnctl import load_config, train, load_run, run_sweep
    run = train(load_config("configs/moons.yaml"))     # a trained.TrainedRun; in a notebook it shows itself
    labels = run.predict(X)
    run.plot("boundary")                               # a matplotlib Figure, `nnctl plot`'s drawing
    again = load_run("runs/moons-...")                 # the same object, from a run directory
    results = run_sweep("configs/moons.yaml", {"optimizer.lr": [0.03, 0.1]})  # records, or a DataFrame

The names are imported lazily so that `import nnctl` (and `nnctl --help`) stays fast.
"""

from nnctl.version import __version__

__all__ = ["load_config", "train", "load_run", "run_sweep", "NnctlError", "__version__"]


def __getattr__(name):
    if name == "load_config":
        from nnctl.config import load_config

        return load_config
    if name == "train":  # trained.train, not training.train: it returns the run users hold (trained.py says why)
        from nnctl.trained import train

        return train
    if name == "run_sweep":  # not `sweep`, which would clash with a module's name
        from nnctl.workflow import python_sweep

        return python_sweep
    if name == "load_run":
        from nnctl.trained import load_run

        return load_run
    if name == "NnctlError":
        from nnctl.errors import NnctlError

        return NnctlError
    raise AttributeError(f"module 'nnctl' has no attribute {name!r}")
