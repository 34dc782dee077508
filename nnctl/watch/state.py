"""What the watch page shows, as JSON (layer 5): one state per run directory or sweep folder.

A run's state:

    {"mode": "run", "name", "title", "step": "epoch" | "iteration", "epoch", "epochs" (planned),
     "lr", "status": "waiting" | "training" | a run status (vocabulary.STATUSES), "live": bool,
     "history": {"columns": [...], "rows": [[...], ...]}   metrics.csv's rows, thinned (`Curve`),
     "data":  {"kind": "boundary" | "surface" | "fit" | "none", "features", "classes", "colors",
               "extent": [x0_low, x0_high, x1_low, x1_high] (the plane, in the data's units),
               "points": {"train": {"x": [[x0, x1], ...], "y": [...]}, "validation": ...}},
     "model": {"boundary": {"side", "classes", "p"} | "surface": {"side", "range", "values"}
               | "fit": {"x", "y"},
               "network": {"columns": [{"name", "units", "scale", "range", "maps"}], "weights": [...]}},
     finished runs also "summary" (summary.json), "weights" (which epoch's weights are drawn),
     "replay" (the checkpoints' epochs, when there are two or more) or "hint"}

Grids travel as base64 of uint8 (a value v of a map with range [lo, hi] is round(255 (v - lo) /
(hi - lo))): 64 × 64 class probabilities are 11 kB of JSON where floats would be 100 kB, and
Python encodes them in microseconds. `p` holds side × side × classes bytes, rows of the grid
from x1's low end up, x0 fastest; `maps` holds units × map_side × map_side bytes.

A --watch run publishes its state through `Publisher`, the on_epoch callback of
`training.fit`: live.json in the run directory, rewritten atomically at most once per
PUBLISH_EVERY seconds (the first after as long, and at the end); ordinary runs write nothing. A finished
run's state is computed from its files (`RunSource`), and `RunSource.frame` gives the model at
each checkpoint for the replay.
"""

from __future__ import annotations

import base64
import json
import math
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from nnctl import pictures
from nnctl.assemble import load_matching_weights, network_of
from nnctl.config import load_config
from nnctl.data import read_dataset
from nnctl.errors import NnctlError
from nnctl.files import read_json, read_metrics, write_text
from nnctl.plots.common import CLASS_COLORS, MORE_CLASS_COLORS, padded_box, plane_grid
from nnctl.plots.model import MAX_UNITS_DRAWN
from nnctl.plots.network_parts import MAX_NODES_DRAWN, strongest_units
from nnctl.runs import CHECKPOINTS, LIVE_FILE, RESUME_EVERY, RESUME_FILE, Run, load_run, load_state
from nnctl.sweeps.results import RUNS, SWEEP_YAML, read_sweep_yaml
from nnctl.vocabulary import METRICS

Array = np.ndarray

PUBLISH_EVERY = 1.0  # seconds between two live.json of a --watch run: the page polls about as often
# the boundary's or surface's grid, which the page smooths when it draws it larger: its points
# are what a publication costs (a forward pass over them; 41² = 1681 rows)
BOUNDARY_SIDE = 41
MAP_STRIDE = 2  # a unit's map (a node of the network picture, a panel of the neurons row): every 2nd point
MAP_SIDE = (BOUNDARY_SIDE - 1) // MAP_STRIDE + 1  # 21: both edges of the plane kept
FIT_POINTS = 200  # x values of a 1-D fit's curve
MAX_CURVE_POINTS = 1500  # rows of the curves sent: the page is ~600 pixels wide
MAX_SWEEP_CURVE_POINTS = 300  # per run of a sweep
MAX_DATA_POINTS = 400  # per split drawn over the boundary or fit (plots.MAX_POINTS_ON_SURFACE's rule)
CURVE_COLUMNS = tuple(c for c in METRICS if c != "seconds")
NO_CHECKPOINTS_HINT = ("this run kept no checkpoints to replay; train with --set output.animation.frames=30 "
                       "(or train.checkpoint_every) to watch it again epoch by epoch")
NOT_PUBLISHED_HINT = ("no live state yet: `nnctl train CONFIG --watch` publishes one (live.json) about once a "
                      "second, and any run its resume state every few seconds")
FROM_RESUME_HINT = (f"started without --watch: shown from its resume state, saved every {RESUME_EVERY:g} s "
                    "(nnctl train --watch shows a run once a second)")


def encode(values: Array, low: float, high: float) -> str:
    """values in [low, high] -> base64 of uint8 (0 at low, 255 at high); a constant map is 0."""
    span = high - low
    q = np.zeros(values.shape, np.uint8) if not span > 0 else \
        np.clip(np.rint((values - low) * (255.0 / span)), 0, 255).astype(np.uint8)
    return base64.b64encode(q.tobytes()).decode("ascii")


def value_range(values: Array) -> tuple[float, float, str]:
    """(low, high, scale) of a layer's maps: symmetric about 0 on the diverging scale when the
    values take both signs (tanh), from 0 on the sequential one when they do not (relu, sigmoid)."""
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    if low < 0 < high:
        m = max(-low, high)
        return -m, m, "diverging"
    return min(low, 0.0), max(high, 0.0), "sequential"


def finite(value: Any) -> Any:
    """A float that JSON can carry: NaN and infinities (a diverged run's loss) become None."""
    return value if not isinstance(value, float) or math.isfinite(value) else None


class Curve:
    """The rows of metrics.csv a page draws, at most MAX_CURVE_POINTS of them: every row while
    they fit, then every 2nd, 4th, ... (the stride doubles when the list is full), and the last."""

    def __init__(self, most: int = MAX_CURVE_POINTS):
        self.most, self.stride, self.rows = most, 1, []
        self.last: dict[str, Any] | None = None

    def add(self, row: dict[str, Any]) -> None:
        self.last = row
        if row["epoch"] % self.stride == 0:
            self.rows.append(row)
        if len(self.rows) > self.most:
            self.stride *= 2
            self.rows = [r for r in self.rows if r["epoch"] % self.stride == 0]

    def taken(self) -> list[dict[str, Any]]:
        """The rows drawn now: those kept, and the last one (a new list; the rows are not copied)."""
        last_kept = self.rows and self.rows[-1] is self.last
        return list(self.rows) if self.last is None or last_kept else [*self.rows, self.last]

    def view(self) -> dict[str, Any]:
        return history(self.taken())


def history(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """{"columns", "rows"}: the columns any row has a value in, rows as lists."""
    columns = [c for c in CURVE_COLUMNS if any(r.get(c) is not None for r in rows)]
    return {"columns": columns, "rows": [[finite(r.get(c)) for c in columns] for r in rows]}


def curve_of(rows: list[dict[str, Any]], most: int = MAX_CURVE_POINTS) -> dict[str, Any]:
    curve = Curve(most)
    for row in rows:
        curve.add(row)
    return curve.view()


class View:
    """A run's model as the page draws it, for whatever weights its model holds now: the grids
    (fixed by the data, made once) and the data's part of the state (made once)."""

    def __init__(self, run: Run):
        self.run = run
        d = run.dataset
        data = pictures.plot_data(run)
        X = np.vstack([data.X_train, data.X_val])
        self.maps = pictures.node_maps(run)  # None unless the inputs are a plane
        if self.maps is not None:
            xx, yy, extent = plane_grid(X, BOUNDARY_SIDE)
            self.grid = np.column_stack([xx.ravel(), yy.ravel()])
            kind = "boundary" if d.task == "classification" else "surface"
        elif d.task == "regression" and X.shape[1] == 1:
            low, high = padded_box(X, 0.05)
            self.grid = np.linspace(low[0], high[0], FIT_POINTS)[:, None]
            extent, kind = [float(low[0]), float(high[0])], "fit"
        else:
            extent, kind = [], "none"
        self.kind, self.scores = kind, pictures.predict_scores(run)
        classes = [str(c) for c in d.classes] if d.task == "classification" else []
        palette = CLASS_COLORS + MORE_CLASS_COLORS
        self.data = {"kind": kind, "task": d.task, "features": list(data.feature_names), "classes": classes,
                     "colors": [palette[k % len(palette)] for k in range(len(classes))],
                     "extent": [float(e) for e in extent], "points": _points(data) if kind != "none" else {}}
        self.data_json = json.dumps(self.data)
        self.names = [list(d.feature_names), *pictures.layer_names(run)]

    def model(self) -> dict[str, Any]:
        """The model part of the state, for the weights the run's model holds now."""
        values = self.node_values() if self.maps is not None else None
        out: dict[str, Any] = {"network": self.network(values)}
        if self.kind == "boundary":
            P = np.asarray(values[-1], dtype=float)
            out["boundary"] = {"side": BOUNDARY_SIDE, "classes": P.shape[1], "p": encode(P, 0.0, 1.0)}
        elif self.kind == "surface":
            y = np.asarray(values[-1], dtype=float)[:, 0]
            both = np.concatenate([y, self.data_targets()])  # one colour scale for surface and data
            both = both[np.isfinite(both)]
            low, high = (float(both.min()), float(both.max())) if both.size else (0.0, 1.0)
            out["surface"] = {"side": BOUNDARY_SIDE, "range": [low, high], "values": encode(y, low, high)}
        elif self.kind == "fit":
            y = self.scores(self.grid)[:, 0]
            out["fit"] = {"x": self.grid[:, 0].round(6).tolist(), "y": [finite(v) for v in y.round(6).tolist()]}
        return out

    def node_values(self) -> list[Array]:
        """Every node's values on the grid: [inputs (n, d), hidden_1 (n, h1), ..., output (n, K)],
        as `pictures.node_maps` gives them; for a classifier from one forward pass (the hidden
        layers' activations are those the network keeps from it), whose output's class scores
        are the boundary's."""
        if self.kind != "boundary":
            return self.maps(self.grid)
        model = self.run.model
        A = pictures.model_inputs(self.run, self.grid)
        logits = model.logits(A)
        return [A, *(layer.A for layer in model.network.hidden_activations), model.loss.scores(logits)]

    def data_targets(self) -> Array:
        return np.asarray([v for split in self.data["points"].values() for v in split["y"]], dtype=float)

    def network(self, values: list[Array] | None) -> dict[str, Any]:
        """The network's columns (inputs, hidden layers, output) with their units' maps when the
        inputs are a plane (values: every node's values on the grid, a (grid points, width)
        array per column). A column wider than MAX_UNITS_DRAWN sends its strongest units, as
        neurons.png shows them (`units`); the network picture draws at most MAX_NODES_DRAWN of
        them, as network.png (`nodes`: their places in `units`), and `weights` between those."""
        weights = [layer.W for layer in self.run.model.network.dense]
        shown, drawn = strongest_units(weights, MAX_UNITS_DRAWN), strongest_units(weights, MAX_NODES_DRAWN)
        columns = []
        for i, (name, units) in enumerate(zip(["inputs", *self.names[1:]], shown, strict=True)):
            column: dict[str, Any] = {"name": name, "units": units.tolist(),
                                      "nodes": np.searchsorted(units, drawn[i]).tolist(),
                                      "labels": self.names[0] if i == 0 else None}
            if values is not None:
                on_grid = np.asarray(values[i], dtype=float).reshape(BOUNDARY_SIDE, BOUNDARY_SIDE, -1)
                maps = on_grid[::MAP_STRIDE, ::MAP_STRIDE][..., units].reshape(MAP_SIDE * MAP_SIDE, -1)
                column.update(self.column_maps(maps, last=i == len(shown) - 1))
            columns.append(column)
        edges = [np.asarray(W, dtype=float)[np.ix_(drawn[i], drawn[i + 1])].round(5).tolist()
                 for i, W in enumerate(weights)]
        return {"columns": columns, "weights": edges, "widths": self.run.model.network.sizes}

    def column_maps(self, values: Array, *, last: bool) -> dict[str, Any]:
        """A column's maps (values: (map points, units)) on one scale: class scores in [0, 1]
        (the output of a classifier), else `value_range`'s."""
        if last and self.kind == "boundary":
            low, high, scale = 0.0, 1.0, "class"
        else:
            low, high, scale = value_range(values)
        return {"scale": scale, "range": [low, high], "side": MAP_SIDE, "maps": encode(values.T, low, high)}


def _points(data) -> dict[str, Any]:
    """The data drawn over the model: at most MAX_DATA_POINTS of each split, evenly spread."""
    out = {}
    for split, X, y in data.splits():
        keep = np.unique(np.linspace(0, len(X) - 1, min(len(X), MAX_DATA_POINTS)).astype(int))
        targets = np.asarray(y)[keep].reshape(len(keep), -1)[:, 0]
        out[split] = {"x": np.asarray(X)[keep].round(5).tolist(),
                      "y": targets.astype(int).tolist() if data.task == "classification"
                      else targets.astype(float).round(6).tolist()}
    return out


def _run_fields(run: Run) -> dict[str, Any]:
    """The run's names, alike live and finished."""
    return {"mode": "run", "name": run.path.name, "title": pictures.title(run, weights=False),
            "step": pictures.step_name(run), "epochs": run.config.train.epochs}


def state_json(view: View, fields: dict[str, Any]) -> str:
    """The state as JSON text, with the data part encoded once (View.data_json) spliced in."""
    return '{"data": ' + view.data_json + ", " + json.dumps(fields, allow_nan=False)[1:]


class Publisher:
    """on_epoch for `training.fit` of a --watch run: keeps the curve's rows and has live.json
    (the state, status `training`) written once per `every` seconds at most, the first `every`
    seconds after it is made; `finish` writes the final one and stops.

    What training pays is an append per epoch and, per publication, a copy of the weights: the
    forward passes over the grid, the JSON and the write are done by a thread of the publisher's
    own, on its own copy of the model (NumPy lets go of the interpreter in its loops, so on two
    cores they overlap the training; benchmarks/watch.py measures it). A publication still
    waiting when the next is due is replaced by it. A live.json that cannot be written (a full
    disk) leaves the page at the last state and does not stop the run (`error` keeps why, and
    `nnctl train --watch` says it at the end)."""

    def __init__(self, loop, run_dir: Path | str, *, every: float = PUBLISH_EVERY):
        self.theta = loop.model.network.theta  # the live weights, copied at each publication
        # the thread's own model (its own θ): training goes on while it draws
        model = network_of(loop.config, loop.dataset, dtype=self.theta.dtype)
        self.run = Run(Path(run_dir), loop.config, [], {}, loop.dataset, model)
        self.view, self.curve = View(self.run), Curve()
        for row in loop.state.history:  # a resumed run's epochs so far
            self.curve.add(row)
        # the first publication `every` seconds after this: a run shorter than that publishes its
        # final state alone, and pays nothing while it trains (benchmarks/watch.py)
        self.every, self.published = every, time.monotonic()
        self.error: Exception | None = None
        self.wake = threading.Condition()
        self.pending: tuple | None = None
        self.busy = False
        self.thread = threading.Thread(target=self._write_states, name="nnctl-publisher", daemon=True)
        self.thread.start()

    def __call__(self, row: dict[str, Any]) -> None:
        self.curve.add(row)
        if time.monotonic() - self.published >= self.every:
            self.publish("training")

    def publish(self, status: str, summary: dict[str, Any] | None = None) -> None:
        """Hand the state of now (weights, rows, status) to the thread, which writes it."""
        self.published = time.monotonic()
        row = self.curve.last or {"epoch": 0}
        fields = {**_run_fields(self.run), "epoch": row["epoch"], "lr": finite(row.get("lr")), "status": status,
                  "live": status == "training"}
        if summary is not None:
            fields["summary"] = _strict(summary)
        with self.wake:
            self.pending = (self.theta.copy(), self.curve.taken(), fields)
            self.wake.notify_all()

    def _write_states(self) -> None:
        while True:
            with self.wake:
                while self.pending is None:
                    self.wake.wait()
                (theta, rows, fields), self.pending, self.busy = self.pending, None, True
            if theta is None:
                return
            np.copyto(self.run.model.network.theta, theta)
            try:
                if self.error is None:
                    text = state_json(self.view, {**fields, "history": history(rows), "model": self.view.model()})
                    write_text(self.run.path / LIVE_FILE, text)
            except Exception as e:  # a full disk, or a bug in the drawing: the page stays, training goes on
                self.error = e
            with self.wake:
                self.busy = False
                self.wake.notify_all()

    def wait(self) -> None:
        """Until every state handed over is written."""
        with self.wake:
            while self.pending is not None or self.busy:
                self.wake.wait()

    def finish(self, summary: dict[str, Any]) -> None:
        """The final live.json (the run's status and summary), then the thread ends."""
        self.publish(summary["status"], summary)
        self.wait()
        with self.wake:
            self.pending = (None, None, None)
            self.wake.notify_all()
        self.thread.join()


class RunSource:
    """A run directory as the server reads it, request after request: the live.json of a
    --watch run while it trains, or else, for a run started without --watch, its resume.npz
    (saved every runs.RESUME_EVERY seconds: the weights and the rows so far); once summary.json
    exists, the state computed from its files (kept until summary.json changes) and its
    checkpoints' frames. A live state carries its `age`, the seconds since its file was written
    (the page asks whether a run that stays silent still trains). Thread-safe: the model's
    weights are swapped for a frame under a lock."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.lock = threading.Lock()
        self.key: tuple | None = None
        self.finished: tuple[Run, View, bytes] | None = None
        self.frames: dict[int, bytes] = {}
        self.resumed: tuple[tuple, bytes] | None = None  # (resume.npz's stat, the state made from it)
        self.resumed_view: View | None = None

    def state(self) -> bytes:
        summary = self.path / "summary.json"
        if summary.is_file():
            return self._finished(summary)[2]
        for found, read in ((self.path / LIVE_FILE, Path.read_bytes), (self.path / RESUME_FILE, self._resumed)):
            try:
                age = time.time() - found.stat().st_mtime
            except OSError:
                continue
            return read(found)[:-1] + f', "age": {age:.1f}}}'.encode()
        waiting = {"mode": "run", "name": self.path.name, "status": "waiting", "live": True, "hint": NOT_PUBLISHED_HINT}
        return json.dumps(waiting).encode()

    def _resumed(self, resume: Path) -> bytes:
        """The state of a run that publishes none, from its resume.npz (`runs.save_state`)."""
        info = resume.stat()
        key = (info.st_mtime_ns, info.st_size)
        with self.lock:
            if self.resumed is None or self.resumed[0] != key:
                arrays, facts = load_state(resume)
                if self.resumed_view is None:
                    config, dataset = load_config(self.path / "config.yaml"), read_dataset(self.path / "data.npz")
                    model = network_of(config, dataset)
                    self.resumed_view = View(Run(self.path, config, [], {}, dataset, model))
                view = self.resumed_view
                theta = arrays.get("theta")
                if theta is None or theta.shape != view.run.model.network.theta.shape:
                    raise NnctlError(f"{resume}: does not hold the weights of the network config.yaml describes")
                np.copyto(view.run.model.network.theta, theta)
                rows = facts.get("history") or [{"epoch": 0}]
                fields = {**_run_fields(view.run), "epoch": rows[-1]["epoch"], "lr": finite(rows[-1].get("lr")),
                          "status": "training", "live": True, "history": curve_of(rows), "model": view.model(),
                          "hint": FROM_RESUME_HINT}
                self.resumed = key, state_json(view, fields).encode()
            return self.resumed[1]

    def _finished(self, summary: Path) -> tuple[Run, View, bytes]:
        info = summary.stat()
        key = (info.st_mtime_ns, info.st_size)
        with self.lock:
            if self.key != key:
                run = load_run(self.path)
                view = View(run)
                self.finished, self.key, self.frames = (run, view, state_json(view, finished_fields(run, view))
                                                        .encode()), key, {}
            return self.finished

    def frame(self, epoch: int) -> bytes | None:
        """{"epoch", "model"} at checkpoint `epoch` of a finished run; None when there is none."""
        summary = self.path / "summary.json"
        if not summary.is_file():
            return None
        run, view, _ = self._finished(summary)
        with self.lock:
            if epoch not in self.frames:
                found = dict(run.checkpoints()).get(epoch)
                if found is None:
                    return None
                network = run.model.network
                final = {k: v.copy() for k, v in network.params().items()}
                try:
                    network.set_params(load_matching_weights(found, network.params(), " of config.yaml and data.npz"))
                    self.frames[epoch] = json.dumps({"epoch": epoch, "model": view.model()}).encode()
                finally:
                    network.set_params(final)
            return self.frames[epoch]


def finished_fields(run: Run, view: View) -> dict[str, Any]:
    """The state of a finished run, from its files: the final weights (model.npz), every
    metrics row (thinned), summary.json, and the checkpoints to replay or a hint."""
    last = run.metrics[-1] if run.metrics else {}
    epochs = [epoch for epoch, _ in run.checkpoints()]
    fields = {**_run_fields(run), "epoch": run.summary.get("epochs", last.get("epoch", 0)),
              "lr": finite(last.get("lr")), "status": run.summary.get("status", "completed"), "live": False,
              "history": curve_of(run.metrics), "model": view.model(), "summary": _strict(run.summary),
              "weights": pictures.weights_drawn(run)}
    if len(epochs) > 1:
        fields["replay"] = epochs
    else:
        fields["hint"] = NO_CHECKPOINTS_HINT
    return fields


def _strict(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strict(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strict(v) for v in value]
    return finite(value)


def check_own_files(folder: Path, *, sweep: bool) -> None:
    """Refuse (NnctlError) a run directory whose files or checkpoints/ include a link, or a sweep
    folder whose points name a path that is not one folder of its runs/ (`..`, `a/b`) or whose
    runs hold a link: the page would show what such a link points to, outside the folder it
    serves. The folder the user named may itself be a link: that one they chose."""
    folder = Path(folder)
    if not sweep:
        checkpoints = folder / CHECKPOINTS
        places = [*folder.iterdir(), *(checkpoints.iterdir() if checkpoints.is_dir() and
                                       not checkpoints.is_symlink() else [])]
        linked = next((p for p in places if p.is_symlink()), None)
        if linked is not None:
            raise NnctlError(f"{linked}: a link; the watch page shows only the run's own files, not what a link "
                             "points to")
        return
    for point in read_sweep_yaml(folder)["points"]:
        name = str(point["name"])
        if Path(name).name != name or name in ("", ".", ".."):
            raise NnctlError(f"{folder / SWEEP_YAML}: point {name!r} is not a folder of {RUNS}/; the watch page "
                             "shows only the sweep's own runs")
        run = folder / RUNS / name
        if run.is_symlink():
            raise NnctlError(f"{run}: a link; the watch page shows only the sweep's own runs")
        if run.is_dir():
            check_own_files(run, sweep=False)


def sweep_state(folder: Path) -> bytes:
    """A sweep folder's state: every point's run, its status ("pending" before its run
    directory exists, "training" until its summary.json does) and its curves once it has
    finished; live while a point has no summary."""
    points = read_sweep_yaml(folder)["points"]
    runs = []
    for point in points:
        path = Path(folder) / RUNS / point["name"]
        summary = read_json(path / "summary.json") if (path / "summary.json").is_file() else None
        status = summary["status"] if summary else "training" if (path / "config.yaml").is_file() else "pending"
        metrics = read_metrics(path / "metrics.csv") if summary and (path / "metrics.csv").is_file() else []
        runs.append({"name": point["name"], "settings": _strict(point["settings"]), "status": status,
                     "history": curve_of(metrics, MAX_SWEEP_CURVE_POINTS),
                     "final": _strict(summary.get("final", {})) if summary else {}})
    live = any(r["status"] in ("pending", "training") for r in runs)
    return json.dumps({"mode": "sweep", "name": Path(folder).resolve().name, "runs": runs, "live": live,
                       "status": "training" if live else "completed"}, allow_nan=False).encode()
