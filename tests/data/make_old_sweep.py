"""How tests/data/sweep-of-c2cc8d3/ was made: a sweep folder as the code of commit c2cc8d3 (before
issue 14) leaves it when the sweep is cut off: two runs finished, one killed in its first epoch
(os._exit: what a SIGKILL leaves), one never started. Its question names the base config as
c.yaml, relative, so a copy anywhere is the same sweep.

    git archive c2cc8d3 | tar -x -C /tmp/old
    mkdir /tmp/fixture && cd /tmp/fixture && PYTHONPATH=/tmp/old python .../make_old_sweep.py
"""
import os
import subprocess
import sys
from pathlib import Path

import yaml

from nnctl.config import load_config
from nnctl.sweeps.folder import Sweep
from nnctl.sweeps.spec import SweepSpec
from nnctl.sweeps.workers import execute
from nnctl.workflow import run_point, train_run

CONFIG = {"name": "tiny", "data": {"name": "moons", "n_samples": 40}, "model": {"hidden": [3]},
          "train": {"epochs": 3, "batch_size": "full"}, "output": {"plots": []}}


def spec():
    return SweepSpec(config=Path("c.yaml"), grid={"model.hidden": [[2], [3, 3]], "optimizer.lr": [0.1, 0.3]})


if sys.argv[1:] == ["kill"]:
    sweep = Sweep(spec(), Path("sw"))
    point = sweep.points[2]
    train_run(load_config("c.yaml", point.overrides), run_dir=sweep.run_dir(point), overwrite=True,
              on_epoch=lambda row: os._exit(1) if row["epoch"] == 1 else None)
    raise SystemExit("not killed")

Path("c.yaml").write_text(yaml.safe_dump(CONFIG, sort_keys=False))
with Sweep(spec(), Path("sw")) as sweep:
    todo = sweep.prepare()
    execute(sweep, todo[:2], run_point, jobs=1)
print(subprocess.run([sys.executable, __file__, "kill"]).returncode)
