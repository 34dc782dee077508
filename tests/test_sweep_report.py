"""report.html: built from a hand-made sweep folder (no `nnctl sweep`), checked as text and in a
real headless browser (Debian's chromium), which reads the table back after the page's own
JavaScript has run."""

import csv
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from nnctl.errors import NnctlError
from nnctl.sweeps.report import write_report

CHROMIUM = Path("/usr/bin/chromium")
EVIL = 'hidden=[4],lr=<script>alert("x")</script>,seed=1'
COLUMNS = ["name", "model.hidden", "optimizer.lr", "seed", "status", "epochs", "final.train_loss", "final.val_loss",
           "final.train_accuracy", "final.val_accuracy", "best_epoch", "seconds", "error", "run_dir"]
ROWS = [
    ["hidden=[4],lr=0.01,seed=0", "[4]", "0.01", "0", "completed", "30", "0.2867229665872797",
     "0.32937792587859555", "0.86625", "0.845", "29", "0.0755", "", "runs/hidden=[4],lr=0.01,seed=0"],
    ["hidden=[16],lr=0.1,seed=0", "[16]", "0.1", "0", "early_stopped", "12", "0.0943", "0.0514", "0.96875", "0.985",
     "9", "0.1449", "", "runs/hidden=[16],lr=0.1,seed=0"],
    ["hidden=[4],lr=50,seed=0", "[4]", "50", "0", "diverged", "3", "nan", "inf", "0.5", "0.4975", "0", "0.0101", "",
     "runs/hidden=[4],lr=50,seed=0"],
    ["hidden=[16],lr=0.01,seed=0", "[16]", "0.01", "0", "failed", "", "", "", "", "", "", "0.002",
     "ValueError: a & b", "runs/hidden=[16],lr=0.01,seed=0"],
    [EVIL, "[4]", "0.1", "1", "completed", "30", "0.1", "0.2", "0.9", "0.97", "30", "1.5", "", f"runs/{EVIL}"],
    ["hidden=[16],lr=50,seed=1", "[16]", "50", "1", "pending", "", "", "", "", "", "", "", "",
     "runs/hidden=[16],lr=50,seed=1"],
]


def _png(path: Path, size: tuple[int, int], colour: str) -> None:
    Image.new("RGBA", size, colour).save(path)


def make_sweep(root: Path) -> Path:
    """A hand-made sweep folder root/widths-sweep: results.csv (ROWS), sweep.yaml, pictures for
    the first three runs, a failed run's folder without pictures."""
    folder = root / "widths-sweep"
    folder.mkdir()
    with open(folder / "results.csv", "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(ROWS)
    (folder / "sweep.yaml").write_text(
        "config: /abs/configs/moons.yaml\n"
        "grid: {model.hidden: [[4], [16]], optimizer.lr: [0.01, 0.1, 50]}\n"
        "seeds: [0, 1]\nrandom: {}\nsamples: 0\n"
        "points:\n"
        "- {name: 'hidden=[4],lr=0.01,seed=0', settings: {model.hidden: [4], optimizer.lr: 0.01, seed: 0}}\n")
    for i, row in enumerate(ROWS[:3]):  # pictures for the first three runs only
        run = folder / row[-1]
        run.mkdir(parents=True)
        _png(run / ("fit.png" if i == 1 else "boundary.png"), (792, 616), "orange")
        _png(run / "loss.png", (1320, 462), "steelblue")
    (folder / ROWS[3][-1]).mkdir(parents=True)  # failed: a run folder without pictures
    return folder


@pytest.fixture
def sweep(tmp_path: Path) -> Path:
    return make_sweep(tmp_path)


def test_page_has_every_run_escaped_and_self_contained(sweep: Path) -> None:
    path = write_report(sweep)
    assert path == sweep / "report.html"
    page = path.read_text()
    for row in ROWS[:4] + ROWS[5:]:
        assert row[0] in page
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert page.count("<script>") == 1  # the page's own
    assert "http" not in page.lower()  # no CDN, no external anything
    assert page.count('src="data:image/png;base64,') == 6  # 3 runs × (boundary or fit, loss)
    assert "/abs/configs/moons.yaml" in page and "widths-sweep" in page
    assert "no picture" in page  # the failed and pending runs' placeholders
    assert len(page) < 200_000  # thumbnails, not the 792 px originals


def test_thumbnails_are_downscaled(sweep: Path) -> None:
    import base64
    import io
    import re

    page = write_report(sweep).read_text()
    widths = sorted({Image.open(io.BytesIO(base64.b64decode(data))).width
                     for data in re.findall(r'data:image/png;base64,([A-Za-z0-9+/=]+)', page)})
    assert widths == [260, 520]  # boundary/fit, and the two-panel loss curve


def test_tolerates_missing_columns_and_sweep_yaml(tmp_path: Path) -> None:
    (tmp_path / "results.csv").write_text("name,status,final_val_accuracy\nrun-a,completed,0.9\nrun-b,failed\n")
    page = write_report(tmp_path).read_text()
    assert "run-a" in page and "run-b" in page and "no sweep.yaml" in page


def test_no_results_csv_is_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(NnctlError, match="no results.csv") as e:
        write_report(tmp_path)
    assert "\n" not in str(e.value)


class _Table(HTMLParser):
    """The results table of a dumped DOM: header columns and, per row, each cell's data-v and text."""

    def __init__(self) -> None:
        super().__init__()
        self.columns: list[str] = []
        self.rows: list[list[tuple[str, str]]] = []
        self.sort: str | None = None
        self.arrows: dict[str, str] = {}
        self._in_table = self._cell = False
        self._col: str | None = None
        self._arrow = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("id") == "results":
            self._in_table, self.sort = True, a.get("data-sort")
        elif not self._in_table:
            return
        elif tag == "th":
            self._col = a["data-col"]
            self.columns.append(self._col)
        elif tag == "span" and a.get("class") == "arrow":
            self._arrow = True
        elif tag == "tr" and "data-row" in a:
            self.rows.append([])
        elif tag == "td" and self.rows:
            self.rows[-1].append((a.get("data-v") or "", ""))
            self._cell = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_table = False
        elif tag == "td":
            self._cell = False
        elif tag == "span":
            self._arrow = False

    def handle_data(self, data: str) -> None:
        if self._arrow and self._col:
            self.arrows[self._col] = self.arrows.get(self._col, "") + data
        elif self._cell:
            value, text = self.rows[-1][-1]
            self.rows[-1][-1] = (value, text + data)


def _dump_doms(page: Path, fragments: list[str], profiles: Path) -> dict[str, _Table]:
    """The results table of `page` + each URL fragment after the page's own JavaScript has run,
    read back from chromium's --dump-dom. One browser per fragment (each with its own profile),
    all at once: a browser's start-up is mostly waiting, ~1.5 s each one after another."""
    if not CHROMIUM.exists():
        pytest.skip("chromium not installed (apt-get install chromium)")
    browsers = {}
    for i, fragment in enumerate(fragments):
        command = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   f"--user-data-dir={profiles / f'profile-{i}'}", "--virtual-time-budget=2000", "--dump-dom",
                   page.resolve().as_uri() + fragment]
        browsers[fragment] = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tables = {}
    try:
        for fragment, browser in browsers.items():
            stdout, stderr = browser.communicate(timeout=30)
            assert browser.returncode == 0, stderr[-2000:]
            tables[fragment] = _Table()
            tables[fragment].feed(stdout)
    finally:
        for browser in browsers.values():
            browser.kill()
    return tables


UNSORTED, BY_ACCURACY, BY_HIDDEN, BY_LOSS = "", "#sort=final.val_accuracy:desc", "#sort=model.hidden:asc", \
    "#sort=final.val_loss:asc"


@pytest.fixture(scope="module")
def browsed(tmp_path_factory) -> dict[str, _Table]:
    """The report of the hand-made sweep as chromium shows it, unsorted and sorted three ways
    (the browser tests only read it)."""
    root = tmp_path_factory.mktemp("browsed")
    page = write_report(make_sweep(root))
    return _dump_doms(page, [UNSORTED, BY_ACCURACY, BY_HIDDEN, BY_LOSS], root)


def test_browser_reads_back_the_table_and_sorts_it(browsed: dict[str, _Table]) -> None:
    table = browsed[UNSORTED]
    assert table.columns == COLUMNS[:-1]  # run_dir is not shown
    assert [[value for value, _ in row] for row in table.rows] == [row[:-1] for row in ROWS]
    for row in table.rows:  # the shown text is the value, rounded
        for (value, text), column in zip(row, table.columns, strict=True):
            if column == "final.val_loss" and value not in ("", "nan", "inf"):
                assert float(text) == pytest.approx(float(value), rel=1e-3)
            if column.endswith("accuracy") and value:  # as a percentage, as `nnctl runs` shows it
                assert text == f"{float(value):.1%}"
    assert table.sort is None and set(table.arrows.values()) == {"↕"}

    # the page sorts itself by the URL's #sort=COLUMN:DIR, with the same code a header click runs
    table = browsed[BY_ACCURACY]
    assert table.sort == "final.val_accuracy:desc" and table.arrows["final.val_accuracy"] == "▼"
    accuracy = [row[COLUMNS.index("final.val_accuracy")][0] for row in table.rows]
    assert accuracy == ["0.985", "0.97", "0.845", "0.4975", "", ""]  # numerically, empty cells last

    table = browsed[BY_HIDDEN]
    names = [row[0][0] for row in table.rows]
    hidden = [row[1][0] for row in table.rows]
    assert hidden == ["[4]"] * 3 + ["[16]"] * 3  # [4] < [16]: numbers inside text compare as numbers
    assert names[:3] == [ROWS[0][0], ROWS[2][0], EVIL]  # ties keep results.csv's order
    assert table.arrows["model.hidden"] == "▲"


def test_browser_sorts_final_val_loss_with_inf_and_nan(browsed: dict[str, _Table]) -> None:
    assert [row[COLUMNS.index("final.val_loss")][0] for row in browsed[BY_LOSS].rows] == [
        "0.0514", "0.2", "0.32937792587859555", "inf", "", ""]


def _data_images(page: str) -> list[Image.Image]:
    import base64
    import io
    import re

    return [Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB")
            for data in re.findall(r'data:image/png;base64,([A-Za-z0-9+/=]+)', page)]


def test_thumbnails_are_drawn_at_their_size_not_shrunk_figures(tmp_path: Path) -> None:
    """A whole boundary.png shrunk to 260 px is mostly margins, title, legend and colour bar in
    illegible type; the thumbnail is the model's regions alone, over the whole picture, drawn at
    260 px, and the loss is drawn at 520 x 156 px with a few ticks."""
    import numpy as np

    from nnctl import load_config
    from nnctl.training import train
    from nnctl.workflow import plot_run

    folder = tmp_path / "moons-sweep"
    config = {"data": {"name": "moons", "n_samples": 200}, "model": {"hidden": [4]},
              "optimizer": {"name": "adam", "lr": 0.05}, "train": {"epochs": 15}, "output": {"plots": []}}
    train(load_config(config), folder / "runs" / "a")
    plot_run(folder / "runs" / "a", ["boundary", "loss"])  # the run's own pictures, as a sweep draws them
    (folder / "results.csv").write_text("name,status,final_val_accuracy,run_dir\na,completed,0.9,runs/a\n")
    page = write_report(folder).read_text()
    model, loss = _data_images(page)
    assert model.width == 260 and 0.5 * 260 <= model.height <= 1.2 * 260
    pixels = np.asarray(model, dtype=float)
    white = np.mean(pixels.min(axis=2) > 245)
    assert white < 0.1  # regions everywhere: no margin, title or legend
    assert loss.size == (520, 156)
    assert "decision boundary" in page and "loss per epoch: train solid, validation dashed" in page
    assert 'href="runs/a/boundary.png"' in page  # the full picture, one click away


def test_a_sweep_drawing_its_report_in_many_processes_ends_without_a_traceback(tmp_path: Path) -> None:
    """From PARALLEL_FROM runs on, report.html's thumbnails are drawn in forked processes that the
    pool ends with SIGTERM; they inherited the command's SIGTERM → KeyboardInterrupt handler and
    each printed that traceback at the end of every such sweep (exit code 0 all the same)."""
    import os
    import sys

    from nnctl.sweeps.report import PARALLEL_FROM

    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: the report is drawn in one process")
    lrs = ",".join(str(0.01 * (k + 1)) for k in range(PARALLEL_FROM))
    done = subprocess.run([sys.executable, "-m", "nnctl", "sweep", str(Path(__file__).parents[1] / "configs" /
                           "moons.yaml"), "--grid", f"optimizer.lr={lrs}", "--set", "data.n_samples=60",
                           "--set", "train.epochs=2", "--set", "output.plots=[]", "--set", "model.hidden=[2]",
                           "--jobs", "2", "--out", str(tmp_path / "sweep"), "-q"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "sweep" / "report.html").is_file()
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr, done.stderr


def test_thumbnails_drawn_ahead_in_other_processes_are_the_ones_on_the_page(sweep: Path, monkeypatch) -> None:
    """`drawing_thumbnails` draws every run's thumbnails in forked processes while the caller
    draws the sweep's other pictures; the page shows those, and draws itself what it lacks."""
    import os
    import re

    import nnctl.sweeps.report as report
    from nnctl.sweeps.pictures import Thumbnails

    if not report.forking():
        pytest.skip("one core: nothing is drawn ahead")
    monkeypatch.setattr(report, "PARALLEL_FROM", 1)
    monkeypatch.setattr(report, "run_thumbnails", lambda folder, width: Thumbnails(None, f"drawn by {os.getpid()}",
                                                                                   None))
    with report.drawing_thumbnails(sweep) as (drawing, busy):
        assert busy
        ahead = drawing()
        page = write_report(sweep, drawing).read_text()
    assert len(ahead) == len(ROWS) and os.getpid() not in {int(t.model_label.split()[-1]) for t in ahead.values()}
    assert all(f"drawn by {t.model_label.split()[-1]}" in page for t in ahead.values())
    monkeypatch.setattr(report, "PARALLEL_FROM", 100)
    first = dict(list(ahead.items())[:1])
    page = write_report(sweep, lambda: first).read_text()  # the others drawn by the page, in this process
    assert set(re.findall(r"drawn by (\d+)", page)) == {next(iter(first.values())).model_label.split()[-1],
                                                         str(os.getpid())}


def test_a_sweeps_parent_preloads_what_thumbnails_need_and_not_matplotlib(tmp_path: Path) -> None:
    """`preload_drawing` (in a sweep's parent, before its workers fork) loads what a 2-D
    classifier's thumbnails use, so a forked process drawing them imports nothing more, and not
    matplotlib, which none of them needs (0.5-0.9 s of the parent's start)."""
    import sys

    from nnctl import load_config
    from nnctl.training import train

    config = {"data": {"name": "moons", "n_samples": 60}, "model": {"hidden": [3]}, "train": {"epochs": 3},
              "output": {"plots": []}}
    train(load_config(config), tmp_path / "run")
    code = f"""
import sys
import nnctl.workflow
from pathlib import Path
from nnctl.sweeps.pictures import preload_drawing, run_thumbnails
preload_drawing()
before = set(sys.modules)
drawn = run_thumbnails(Path({str(tmp_path / "run")!r}), 260)
new = sorted(m for m in set(sys.modules) - before if not m.startswith("encodings."))
print("matplotlib" in sys.modules, drawn.model is not None and drawn.loss is not None, drawn.model_label, new)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split(" ", 2) == ["False", "True", "decision boundary []\n"], done.stdout


def test_a_sweeps_workers_draw_its_thumbnails_and_they_are_those_a_redraw_makes(tmp_path: Path, monkeypatch) -> None:
    """Each worker draws report.html's thumbnails of the run it trained, from the run at hand,
    and sketches it for boundaries.png (issue 18: the sweep's end read every run back for them);
    the parent draws none, and boundaries.png's panels are drawn by forked processes. The page
    and boundaries.png are byte for byte those `nnctl plot SWEEP_DIR` draws from the folder's
    files in one process."""
    import nnctl.sweeps.report as report
    from nnctl.workflow import plot_run, run_sweep

    def refused(folder):
        raise AssertionError(f"the parent drew {folder}'s thumbnails")

    monkeypatch.setattr(report, "_draw", refused)
    monkeypatch.setattr(report, "PARALLEL_FROM", 1)
    config = Path(__file__).parents[1] / "configs" / "moons.yaml"
    folder = run_sweep(config, ["model.hidden=[2],[3]"], "0,1", ["data.n_samples=80", "train.epochs=3"], jobs=2,
                       out=tmp_path / "sweep").folder
    page, boundaries = (folder / "report.html").read_bytes(), (folder / "boundaries.png").read_bytes()
    assert page.count(b"data:image/png;base64,") == 8  # each run's boundary and loss
    monkeypatch.undo()
    plot_run(folder)
    assert (folder / "report.html").read_bytes() == page
    assert (folder / "boundaries.png").read_bytes() == boundaries


def test_the_page_is_written_as_it_is_made_and_a_failure_leaves_the_old_one(sweep: Path, monkeypatch) -> None:
    """report.html is written card by card into its temporary file (a 300-run page is never held
    whole: issue 18); a card that fails halfway leaves the page that was there, and no stray file."""
    import nnctl.sweeps.report as report

    before = write_report(sweep).read_bytes()
    made = []
    real = report._card

    def failing(i, *args):
        made.append(i)
        if i == 2:
            raise RuntimeError("card 2")
        return real(i, *args)

    monkeypatch.setattr(report, "_card", failing)
    with pytest.raises(RuntimeError, match="card 2"):
        write_report(sweep)
    assert made == [0, 1, 2]  # the cards before it were made, and written, one at a time
    assert (sweep / "report.html").read_bytes() == before
    assert sorted(p.name for p in sweep.iterdir() if p.name.startswith(".")) == []
