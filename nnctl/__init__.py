"""nnctl: train small fully connected networks from YAML configs, with a NumPy backprop core.
The front door, above every layer: it imports its public names lazily.

    from nnctl import load_config, train, load_run
    result = train(load_config("configs/moons.yaml"))
    run = load_run(result.run_dir)
    labels = run.predict(X)

The names are imported lazily so that `import nnctl` (and `nnctl --help`) stays fast.
"""

from nnctl.version import __version__

__all__ = ["load_config", "train", "load_run", "NnctlError", "__version__"]


def __getattr__(name):
    if name == "load_config":
        from nnctl.config import load_config

        return load_config
    if name == "train":
        from nnctl.training import train

        return train
    if name == "load_run":
        from nnctl.trained import load_run

        return load_run
    if name == "NnctlError":
        from nnctl.errors import NnctlError

        return NnctlError
    raise AttributeError(f"module 'nnctl' has no attribute {name!r}")
