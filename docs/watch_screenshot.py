"""A screenshot of the watch page (`nnctl watch RUN_DIR`) on a finished run, for the README:
the page served as `nnctl watch` serves it, drawn by Debian's headless chromium.

    .venv/bin/python docs/watch_screenshot.py RUN_DIR docs/watch.png

`make docs` calls `watch_screenshot` on the moons run it keeps 60 checkpoints of (runs/frames),
so the picture shows the replay's controls too.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this tree's nnctl

from nnctl.errors import NnctlError  # noqa: E402
from nnctl.files import atomic_write  # noqa: E402
from nnctl.watch.server import open_folder  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
SIZE = (1220, 2400)  # pixels: the page's two columns, and more than its height (the picture is cut below it)
MARGIN = 18  # pixels of background kept below the page's last card


def watch_screenshot(run_dir: Path | str, out: Path | str, *, size: tuple[int, int] = SIZE) -> Path:
    """Serve `run_dir` on 127.0.0.1 (a free port), let chromium load the page and run its script
    (a virtual-time budget: the page's fetches finish before the picture is taken), write the
    PNG to `out` (atomically) and return it."""
    if not CHROMIUM.exists():
        raise NnctlError(f"{CHROMIUM}: not installed; the watch page's screenshot needs it (apt-get install chromium)")
    server = open_folder(run_dir)
    server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="nnctl-watch-shot-") as tmp:
            shot = Path(tmp) / "watch.png"
            subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                            "--no-first-run", "--disable-background-networking", "--disable-component-update",
                            f"--user-data-dir={Path(tmp) / 'profile'}", f"--window-size={size[0]},{size[1]}",
                            "--virtual-time-budget=5000", f"--screenshot={shot}", server.url],
                           check=True, capture_output=True, timeout=120)
            data = cut_below_page(shot)
    finally:
        server.shutdown()
        server.server_close()
    return atomic_write(Path(out), lambda f: f.write(data), binary=True)


def cut_below_page(path: Path) -> bytes:
    """The PNG at `path` without the empty background below the page (the colour of its
    bottom-left pixel), keeping MARGIN pixels of it, in 256 colours (a third of the bytes; the
    page's maps band slightly, their edges do not move); as PNG bytes."""
    import io

    import numpy as np
    from PIL import Image  # matplotlib's own dependency

    image = Image.open(path).convert("RGB")
    pixels = np.asarray(image)
    used = np.flatnonzero((pixels != pixels[-1, 0]).any(axis=(1, 2)))
    bottom = min(pixels.shape[0], (used[-1] + 1 if used.size else pixels.shape[0]) + MARGIN)
    buffer = io.BytesIO()
    page = image.crop((0, 0, pixels.shape[1], bottom))
    page.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(buffer, format="PNG",
                                                                                        optimize=True)
    return buffer.getvalue()


if __name__ == "__main__":
    print(watch_screenshot(sys.argv[1], sys.argv[2]))
