"""Sweeps start hundreds of processes: --help and a run without plots must not import the heavy
libraries (matplotlib and scikit-learn each take a second or more to import), nor nnctl's own
drawing and sweep modules (about 100 ms together on 2 cores under load: nnctl.plots and
nnctl.sweeps load them on first use)."""

import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("matplotlib", "sklearn", "scipy", "pandas", "nnctl.plots.common", "nnctl.plots.animation",
         "nnctl.plots.model", "nnctl.plots.sweep", "nnctl.plots.curves", "nnctl.sweeps.folder",
         "nnctl.sweeps.spec", "nnctl.sweeps.report", "nnctl.sweeps.workers", "nnctl.sweeps.pictures",
         "nnctl.sklearn")
PROBE = """
import sys
from nnctl.cli import app
sys.argv = ["nnctl", *{args!r}]
try:
    app()
except SystemExit:
    pass
print("HEAVY", sorted(m for m in {heavy!r} if m in sys.modules))
"""


@pytest.mark.parametrize(
    "args",
    [["--help"], ["train", "CONFIG", "--set", "output.plots=[]", "--quiet", "--run-dir", "RUN"]],
    ids=["help", "train-without-plots"],
)
def test_no_heavy_imports(args, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("data: {name: moons, n_samples: 100}\nmodel: {hidden: [4]}\ntrain: {epochs: 2}\n")
    args = [str(config) if a == "CONFIG" else str(tmp_path / "run") if a == "RUN" else a for a in args]
    out = subprocess.run([sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
                         capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out, out


def test_a_run_with_its_default_pictures_imports_no_matplotlib(tmp_path):
    """loss.png and boundary.png (and network.png of a small net) are drawn as pixels
    (nnctl.plots.raster): matplotlib's import alone took longer than the whole run (issue 18)."""
    config = tmp_path / "c.yaml"
    config.write_text("data: {name: moons, n_samples: 100}\nmodel: {hidden: [4]}\ntrain: {epochs: 2}\n")
    args = ["train", str(config), "--quiet", "--run-dir", str(tmp_path / "run")]
    out = subprocess.run([sys.executable, "-c", PROBE.format(args=args, heavy=("matplotlib", "sklearn", "scipy"))],
                         capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out, out
    assert {"loss.png", "boundary.png"} <= {p.name for p in (tmp_path / "run").iterdir()}


@pytest.mark.parametrize("words, cword, expected", [
    ("nnctl tr", 1, "train"),
    ("nnctl train --ov", 2, "--overwrite"),
    ("nnctl sweep --sch", 2, "--scheduler"),
])
def test_shell_completion_completes_commands_and_options(words, cword, expected):
    """What `nnctl --install-completion` installs into bash asks the program itself like this."""
    env = {"_NNCTL_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword), "PATH": ""}
    nnctl = Path(sys.executable).parent / "nnctl"  # the console script, as the shell runs it
    out = subprocess.run([nnctl], env=env, capture_output=True, text=True).stdout
    assert out.split() == [expected]
