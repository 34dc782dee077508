"""Helpers for tests that run nnctl as a real process: its exit code, output and peak memory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# nnctl's main(), then the process's own peak resident memory (VmHWM: the kernel's ru_maxrss of a
# child also counts the pages it shared with the forking parent, here a big pytest process)
PEAK_MEMORY = """
import pathlib, re, sys
from nnctl.cli import main
out = pathlib.Path(sys.argv.pop(1))
try:
    main()
finally:
    out.write_text(re.search(r"VmHWM:\\s+(\\d+) kB", pathlib.Path("/proc/self/status").read_text())[1])
"""


def run_process(args: list[str], cwd: Path, timeout: float = 60) -> tuple[int, str, str, int]:
    """(exit code, stdout, stderr, peak resident memory in kB) of one real nnctl process."""
    peak = cwd / "peak-kb"
    done = subprocess.run([sys.executable, "-c", PEAK_MEMORY, str(peak), *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout, done.stderr, int(peak.read_text())
