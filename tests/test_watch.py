"""nnctl watch and train --watch: the state the page is drawn from, the read-only server, and the
page itself in a real headless chromium driven through the DevTools protocol (tests/browser.py),
which must see the epoch and the curve advance while a run trains. Traffic goes to 127.0.0.1
only; the bind address is read from the server object."""

from __future__ import annotations

import ast
import base64
import fnmatch
import http.client
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from browser import CHROMIUM, SKIP_REASON, Browser
from typer.testing import CliRunner

from nnctl.cli import app
from nnctl.errors import NnctlError
from nnctl.runs import LIVE_FILE, RUN_FILES, claim_run_dir, foreign_entry, load_run
from nnctl.training import fit, prepare, train
from nnctl.watch.server import WatchServer, open_folder
from nnctl.watch.state import (
    MAX_CURVE_POINTS,
    NO_CHECKPOINTS_HINT,
    Curve,
    Publisher,
    RunSource,
    check_own_files,
    sweep_state,
)

ROOT = Path(__file__).resolve().parent.parent


def config(epochs: int = 30, frames: int = 5, **train_options) -> dict:
    return {"name": "moons", "seed": 0, "data": {"name": "moons", "n_samples": 200, "noise": 0.2},
            "model": {"hidden": [4], "activation": "tanh"}, "optimizer": {"name": "adam", "lr": 0.05},
            "train": {"epochs": epochs, "batch_size": 20, **train_options},
            "output": {"plots": [], "animation": {"frames": frames}}}


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A finished run with 5 checkpoints (output.animation.frames)."""
    path = tmp_path_factory.mktemp("watch") / "run"
    train(config(), path)
    return path


def get(server: WatchServer, path: str, method: str = "GET", host: str | None = None) -> tuple[int, bytes]:
    """A request to the server, on 127.0.0.1, with the path sent exactly as given (no normalising)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    try:
        connection.putrequest(method, path, skip_host=host is not None)
        if host is not None:
            connection.putheader("Host", host)
        connection.endheaders()
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


@pytest.fixture
def served(finished: Path):
    server = open_folder(finished)
    server.start(poll_interval=0.05)
    yield server
    server.shutdown()
    server.server_close()


def test_the_page_ships_in_the_package() -> None:
    """pyproject.toml's package data names every file of the page: a wheel (a non-editable
    install) serves the same page as this tree."""
    text = (ROOT / "pyproject.toml").read_text()  # tomllib is Python 3.11's; nnctl runs on 3.10
    section = text.split("[tool.setuptools.package-data]", 1)[1].split("\n[", 1)[0]
    globs = ast.literal_eval(section.split('"nnctl.watch" =', 1)[1].split("\n", 1)[0].strip())
    static = ROOT / "nnctl" / "watch" / "static"
    files = sorted(p.relative_to(static.parent).as_posix() for p in static.iterdir())
    assert files == ["static/index.html", "static/watch.css", "static/watch.js"]
    assert all(any(fnmatch.fnmatch(f, g) for g in globs) for f in files)


def test_bound_to_loopback_on_a_free_port(served: WatchServer) -> None:
    host, port = served.server_address[:2]
    assert host == "127.0.0.1" and port > 0
    assert served.url == f"http://127.0.0.1:{port}/"


def test_serves_the_page_its_files_and_the_runs_own_files_only(served: WatchServer, finished: Path, tmp_path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    for path in ("/", "/static/watch.js", "/static/watch.css", "/api/state", "/files/summary.json",
                 "/api/frame?epoch=0"):
        assert get(served, path)[0] == 200, path
    assert get(served, "/", host="127.0.0.1")[0] == 200  # port 80's Host header has no port
    (finished / "loss.png").symlink_to(outside)  # a link in the run directory, pointing out of it
    try:
        assert get(served, "/files/summary.json")[1] == (finished / "summary.json").read_bytes()
        for path in ("/files/../summary.json", "/files/..%2fsummary.json", "/files/%2e%2e/%2e%2e/etc/passwd",
                     "/../../etc/passwd", "//etc/passwd", "/etc/passwd", f"/files/{outside}", "/files/loss.png",
                     "/files/checkpoints/epoch-0000.npz", "/static/", "/static/../static/watch.js", "/files/",
                     "/index.html/..", "/api/frame?epoch=3", "/api/frame?epoch=-1", "/files/secret.txt",
                     "/api/frame?epoch=" + "9" * 5000):
            status, body = get(served, path)
            # 404; a frame while the link is there: 500, the state's refusal of the link
            assert (status == 404 or path.startswith("/api/") and status == 500) and b"secret" not in body, path
        assert get(served, "/api/state", method="POST")[0] == 405
        assert get(served, "/", host="attacker.example:80")[0] == 404  # a DNS name rebound to 127.0.0.1
    finally:
        (finished / "loss.png").unlink()


def test_a_finished_runs_state_is_its_files(finished: Path) -> None:
    run = load_run(finished)
    state = json.loads(RunSource(finished).state())
    summary = json.loads((finished / "summary.json").read_text())
    assert (state["status"], state["epoch"], state["live"]) == ("completed", 30, False)
    assert state["summary"]["final"] == summary["final"]
    assert state["replay"] == [epoch for epoch, _ in run.checkpoints()] == [0, 1, 5, 12, 30]
    assert len(state["history"]["rows"]) == 31 and state["history"]["rows"][-1][0] == 30
    # the boundary's grid holds the run's class probabilities, to 1/255
    boundary, extent = state["model"]["boundary"], state["data"]["extent"]
    side, K = boundary["side"], boundary["classes"]
    P = np.frombuffer(base64.b64decode(boundary["p"]), np.uint8).reshape(side, side, K) / 255
    half = (np.array([extent[1] - extent[0], extent[3] - extent[2]]) / side) / 2  # extent: the pixels' edges
    corner = np.array([[extent[0], extent[2]] + half, [extent[1], extent[3]] - half])
    expected = run.model.loss.scores(run.model.logits(corner))
    np.testing.assert_allclose([P[0, 0], P[-1, -1]], expected, atol=1 / 255 + 1e-9)
    columns = state["model"]["network"]["columns"]
    assert [c["name"] for c in columns] == ["inputs", "hidden 1 (tanh)", "output (softmax)"]
    assert np.allclose(state["model"]["network"]["weights"][0], run.model.network.dense[0].W, atol=1e-5)


def test_replay_frames_are_the_checkpoints(finished: Path) -> None:
    source = RunSource(finished)
    first = json.loads(source.frame(0))
    weights = np.load(finished / "checkpoints" / "epoch-0000.npz")["W0"]
    assert first["epoch"] == 0
    assert np.allclose(first["model"]["network"]["weights"][0], weights, atol=1e-5)
    assert source.frame(2) is None  # no checkpoint there
    assert json.loads(source.state())["epoch"] == 30  # the final weights are back after a frame


def test_a_run_started_without_watch_is_followed_from_its_resume_state(tmp_path) -> None:
    loop = prepare(config(epochs=10, frames=0))
    path = claim_run_dir(tmp_path / "run", overwrite=False)

    def stop_after_3(row: dict) -> None:
        loop.stop_requested = row["epoch"] == 3

    fit(loop, path, on_epoch=stop_after_3)  # interrupted: resume.npz holds the state after epoch 3
    (path / "summary.json").unlink()  # as while the run still trains
    state = json.loads(RunSource(path).state())
    assert (state["status"], state["epoch"], state["live"]) == ("training", 3, True)
    assert len(state["history"]["rows"]) == 4 and 0 <= state["age"] < 60
    assert "without --watch" in state["hint"]
    assert np.allclose(state["model"]["network"]["weights"][0], loop.model.network.dense[0].W, atol=1e-5)


def test_a_run_without_checkpoints_says_how_to_keep_them(tmp_path) -> None:
    train(config(epochs=3, frames=0), tmp_path / "run")
    state = json.loads(RunSource(tmp_path / "run").state())
    assert "replay" not in state and state["hint"] == NO_CHECKPOINTS_HINT
    assert "output.animation.frames" in NO_CHECKPOINTS_HINT


def test_publisher_writes_live_json_throttled_and_listed(tmp_path) -> None:
    handed = []

    def watched(every: float, folder: str) -> tuple[Publisher, Path, dict]:
        loop = prepare(config(epochs=12))
        path = claim_run_dir(tmp_path / folder, overwrite=False)
        publisher = Publisher(loop, path, every=every)
        publish = publisher.publish
        publisher.publish = lambda *a, **k: (handed.append(publisher.curve.last["epoch"]), publish(*a, **k))
        return publisher, path, fit(loop, path, on_epoch=publisher).summary

    publisher, path, summary = watched(3600.0, "hourly")
    publisher.wait()
    assert handed == [] and not (path / LIVE_FILE).exists()  # the first is an hour away: nothing while training
    publisher.finish(summary)
    live = json.loads((path / LIVE_FILE).read_text())
    assert (live["status"], live["epoch"], live["live"], len(live["history"]["rows"])) == ("completed", 12, False, 13)
    final = np.load(path / "model.npz")["W0"]
    assert np.allclose(live["model"]["network"]["weights"][0], final, atol=1e-5)
    assert not publisher.thread.is_alive()
    assert LIVE_FILE in RUN_FILES and foreign_entry(path) is None  # --overwrite may replace the run

    handed.clear()
    publisher, path, summary = watched(0.0, "always")
    assert handed == list(range(13))  # every epoch, when asked
    publisher.finish(summary)


def test_a_live_json_that_cannot_be_written_does_not_stop_the_run(tmp_path, monkeypatch) -> None:
    def full_disk(path, text):
        raise NnctlError(f"{path}: could not be written (the disk is full)")

    monkeypatch.setattr("nnctl.watch.state.write_text", full_disk)
    loop = prepare(config(epochs=4))
    path = claim_run_dir(tmp_path / "run", overwrite=False)
    publisher = Publisher(loop, path, every=0.0)
    result = fit(loop, path, on_epoch=publisher)
    publisher.finish(result.summary)  # returns: the thread ended, having kept the first error
    assert result.summary["status"] == "completed" and not publisher.thread.is_alive()
    assert str(publisher.error) == f"{path / LIVE_FILE}: could not be written (the disk is full)"


def test_curve_keeps_at_most_its_points_and_the_last_row() -> None:
    curve = Curve()
    for epoch in range(10_001):
        curve.add({"epoch": epoch, "train_loss": 1.0 / (epoch + 1), "lr": 0.1})
    rows = curve.view()["rows"]
    assert MAX_CURVE_POINTS // 2 <= len(rows) <= MAX_CURVE_POINTS + 1
    assert rows[0][0] == 0 and rows[-1][0] == 10_000
    assert len({b[0] - a[0] for a, b in zip(rows[:-2], rows[1:-1], strict=True)}) == 1  # evenly spaced
    assert curve.view()["columns"] == ["epoch", "train_loss", "lr"]


def make_sweep(folder: Path, finished: Path) -> Path:
    """A sweep folder of two points, a (the run `finished`, copied) and b (pending)."""
    (folder / "runs" / "a").mkdir(parents=True)
    (folder / "sweep.yaml").write_text("config: c.yaml\npoints:\n- {name: a, settings: {optimizer.lr: 0.05}}\n"
                                       "- {name: b, settings: {optimizer.lr: 0.5}}\n")
    for name in ("summary.json", "metrics.csv", "config.yaml"):
        (folder / "runs" / "a" / name).write_bytes((finished / name).read_bytes())
    return folder


def test_sweep_folder_shows_finished_runs_and_waits_for_the_rest(tmp_path, finished: Path) -> None:
    state = json.loads(sweep_state(make_sweep(tmp_path, finished)))
    assert [(r["name"], r["status"], len(r["history"]["rows"])) for r in state["runs"]] == [
        ("a", "completed", 31), ("b", "pending", 0)]
    assert state["live"] is True


def test_watch_command_prints_the_address_and_ends_cleanly_on_ctrl_c(finished: Path) -> None:
    process = subprocess.Popen([sys.executable, "-m", "nnctl", "watch", str(finished)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        port = int(url.rsplit(":", 1)[1].strip("/"))
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/api/state")
        assert json.loads(connection.getresponse().read())["status"] == "completed"
        connection.close()
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0 and "Traceback" not in stderr and stderr.endswith("stopped\n")


def test_train_watch_serves_while_training_and_after_until_ctrl_c(tmp_path) -> None:
    yaml = tmp_path / "c.yaml"
    yaml.write_text(json.dumps(config(epochs=5, frames=0)))
    process = subprocess.Popen([sys.executable, "-m", "nnctl", "train", str(yaml), "--run-dir", str(tmp_path / "run"),
                                "--watch", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT)},
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        first = process.stderr.readline()
        assert first.startswith("watch the run at http://127.0.0.1:"), first
        url = first.split()[-1]
        assert process.stderr.readline() == f"training completed; still serving the run at {url} (Ctrl-C to stop)\n"
        assert LIVE_FILE in os.listdir(tmp_path / "run")
        connection = http.client.HTTPConnection("127.0.0.1", int(url.rsplit(":", 1)[1].strip("/")), timeout=10)
        connection.request("GET", "/api/state")
        state = json.loads(connection.getresponse().read())
        connection.close()
        assert (state["status"], state["epoch"], state["live"]) == ("completed", 5, False)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0 and stderr == ""


def test_watch_errors_are_one_line(tmp_path) -> None:
    result = CliRunner().invoke(app, ["watch", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert result.stderr == f"error: {tmp_path / 'missing'}: not a run directory or sweep folder (no such folder)\n"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        yaml = tmp_path / "c.yaml"
        yaml.write_text(json.dumps(config(epochs=1)))
        result = CliRunner().invoke(app, ["train", str(yaml), "--run-dir", str(tmp_path / "run"), "--watch",
                                          "--port", str(port)])
    assert result.exit_code == 2
    assert result.stderr == (f"error: --host 127.0.0.1 --port {port}: cannot listen there (address already in use)\n")
    assert not (tmp_path / "run").exists()  # refused before a folder was made
    result = CliRunner().invoke(app, ["train", str(yaml), "--port", "8000"])
    assert (result.exit_code, result.stderr) == (2, "error: --port: applies to the watch page; add --watch\n")


@pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON)
def test_page_follows_a_live_run_then_replays_it(tmp_path) -> None:
    """The page in chromium while a run of ~1.2 s trains: the epoch shown and the points of the loss
    curve advance at least 3 times; at the end it shows summary.json's epoch, status and final
    metrics, stops polling, and offers the replay of the checkpoints."""
    loop = prepare(config(epochs=40, frames=4))
    path = claim_run_dir(tmp_path / "run", overwrite=False)
    server = WatchServer(poll=0.1).follow(path)
    server.start(poll_interval=0.05)
    publisher = Publisher(loop, path, every=0.1)
    done = threading.Event()

    def paced(row: dict) -> None:  # ~1.2 s of training, however fast the machine
        publisher(row)
        time.sleep(0.03)

    def run() -> None:
        try:
            publisher.finish(fit(loop, path, on_epoch=paced).summary)
        finally:
            done.set()

    with Browser(tmp_path / "profile") as browser:
        page = browser.open(server.url)
        page.wait_for("document.body.dataset.status === 'waiting'")
        threading.Thread(target=run, daemon=True).start()
        seen, deadline = [], time.monotonic() + 60
        while not done.is_set() or page.evaluate("document.body.dataset.status") == "training":
            shown = page.evaluate("[document.body.dataset.epoch, document.body.dataset.points]")
            if shown[0] and (not seen or shown != seen[-1]):
                seen.append(shown)
            assert time.monotonic() < deadline, f"the page still says training after 60 s: {seen}"
            time.sleep(0.03)
        summary = json.loads((path / "summary.json").read_text())
        page.wait_for(f"document.body.dataset.status === {json.dumps(summary['status'])}")
        epochs, points = [int(e) for e, _ in seen], [int(p) for _, p in seen]
        advances = sum(1 for a, b in itertools.pairwise(seen) if int(b[0]) > int(a[0]) and int(b[1]) > int(a[1]))
        print("shown while training (epoch, curve points):", seen)
        assert advances >= 3, seen
        assert epochs == sorted(epochs) and points == sorted(points)
        assert page.evaluate("document.getElementById('epoch').textContent") == str(summary["epochs"]) == "40"
        assert page.evaluate("document.body.dataset.points") == str(summary["epochs"] + 1)
        assert page.evaluate("document.getElementById('status').textContent") == "training completed"
        final = page.evaluate("Object.assign({}, document.getElementById('final').dataset)")
        assert {k: float(v) for k, v in final.items()} == summary["final"]
        # outside the run directory, from the page itself
        assert page.evaluate("fetch('/files/..%2f..%2fsummary.json').then(r => r.status)") == 404
        assert page.evaluate("fetch('/../../etc/passwd').then(r => r.status)") == 404
        check_replay(page, last="40")
        check_sweep_page(browser, make_sweep(tmp_path / "sweep", path))
    server.shutdown()
    server.server_close()


def check_replay(page, last: str) -> None:
    """The replay of a finished run: the slider to the first checkpoint, then play to the end."""
    assert not page.evaluate("document.getElementById('replay').hidden")
    page.evaluate("const s = document.getElementById('slider'); s.value = 0; s.dispatchEvent(new Event('input')); 0")
    page.wait_for("document.body.dataset.epoch === '0'")
    page.evaluate("document.getElementById('play').click(); 0")
    page.wait_for("document.getElementById('frame').textContent.startsWith('final weights')", timeout=30)
    assert page.evaluate("document.body.dataset.epoch") == last


def check_sweep_page(browser: Browser, sweep: Path) -> None:
    """A sweep folder of two points, one finished: its curve, both rows, still polling."""
    server = open_folder(sweep)
    server.start(poll_interval=0.05)
    page = browser.open(server.url)
    page.wait_for("document.getElementById('runs').tBodies[0].rows.length === 2")
    shown = page.evaluate("[document.body.dataset.points, document.getElementById('status').textContent, "
                          "document.getElementById('epoch').textContent]")
    assert shown == ["1", "sweep running", "1 of 2 runs finished"]
    rows = page.evaluate("[...document.getElementById('runs').tBodies[0].rows].map(r => r.innerText)")
    assert [r.split("\t")[1:3] for r in rows] == [["lr=0.05", "completed"], ["lr=0.5", "pending"]]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("linked", ["summary.json", "metrics.csv", "checkpoints"])
def test_the_state_never_shows_what_a_link_in_the_run_points_to(tmp_path, finished: Path, linked: str) -> None:
    """/files/ refused links from the start; the state and the frames read summary.json,
    metrics.csv and checkpoints/ through load_run, which followed them (found by review)."""
    run = tmp_path / "run"
    shutil.copytree(finished, run)
    outside = tmp_path / "outside"
    (run / linked).rename(outside)
    (run / linked).symlink_to(outside)
    server = open_folder(run)
    server.start(poll_interval=0.05)
    try:
        for path in ("/api/state", "/api/frame?epoch=0"):
            status, body = get(server, path)
            assert status == 500 and json.loads(body)["error"] == (
                f"{run / linked}: a link; the watch page shows only the run's own files, not what a link points to")
    finally:
        server.shutdown()
        server.server_close()


def test_a_sweep_point_named_out_of_its_runs_is_refused(tmp_path, finished: Path) -> None:
    sweep = make_sweep(tmp_path / "sweep", finished)
    (sweep / "sweep.yaml").write_text("config: c.yaml\npoints:\n- {name: ../../elsewhere, settings: {}}\n")
    with pytest.raises(NnctlError, match=r"point '\.\./\.\./elsewhere' is not a folder of runs/"):
        check_own_files(sweep, sweep=True)
    (sweep / "sweep.yaml").write_text("config: c.yaml\npoints:\n- {name: a, settings: {}}\n")
    check_own_files(sweep, sweep=True)
    (sweep / "runs" / "a").rename(tmp_path / "a-elsewhere")
    (sweep / "runs" / "a").symlink_to(tmp_path / "a-elsewhere")
    with pytest.raises(NnctlError, match=r"a link; the watch page shows only the sweep's own runs"):
        check_own_files(sweep, sweep=True)


def test_an_empty_host_is_refused_and_an_open_one_is_said() -> None:
    """--host '' bound every interface without a word (found by review). Nothing is sent to the
    open server: it is made, read and closed."""
    with pytest.raises(NnctlError, match=r"^--host: empty; give 127\.0\.0\.1 \(this machine alone"):
        WatchServer("  ")
    local = WatchServer("127.0.0.1")
    assert local.exposure is None
    local.server_close()
    everywhere = WatchServer("0.0.0.0")
    try:
        assert everywhere.exposure == (f"note: --host 0.0.0.0: any machine that can reach this one on port "
                                       f"{everywhere.server_address[1]} can read the run (read-only)")
    finally:
        everywhere.server_close()
