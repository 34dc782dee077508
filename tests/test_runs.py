"""Run-directory files: atomic writes, round trips, collision-free names, no pickles."""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from nnctl.errors import NnctlError
from nnctl.files import atomic_write, load_npz, read_metrics, save_npz, write_text
from nnctl.runs import claim_run_dir, metrics_csv, new_run_dir


def test_metrics_round_trip_exactly(tmp_path):
    rows = [
        {"epoch": 0, "train_loss": 0.6931471805599453, "train_accuracy": 0.5, "lr": None, "seconds": 0.0},
        {"epoch": 1, "train_loss": 1 / 3, "train_accuracy": 0.75, "lr": 0.1, "seconds": 0.0123},
    ]
    write_text(tmp_path / "metrics.csv", metrics_csv(rows))
    text = (tmp_path / "metrics.csv").read_text()
    assert text.splitlines()[0] == "epoch,train_loss,train_accuracy,lr,seconds"  # no val columns
    assert read_metrics(tmp_path / "metrics.csv") == rows


def test_weights_round_trip_bit_for_bit(tmp_path):
    rng = np.random.default_rng(0)
    params = {"W0": rng.normal(size=(2, 3)).astype(np.float32), "b0": rng.normal(size=3)}
    loaded = load_npz(save_npz(tmp_path / "w.npz", params))
    assert loaded["W0"].dtype == np.float32
    for key in params:
        np.testing.assert_array_equal(loaded[key], params[key])


def test_object_arrays_are_refused(tmp_path):
    np.savez(tmp_path / "evil.npz", W0=np.array([{"a": 1}], dtype=object))
    with pytest.raises(NnctlError, match="holds Python objects, not plain arrays; refused"):
        load_npz(tmp_path / "evil.npz")
    with pytest.raises(NnctlError, match="no such file"):
        load_npz(tmp_path / "missing.npz")
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    with pytest.raises(NnctlError, match=r"data.csv: not an .npz file of named arrays"):
        load_npz(tmp_path / "data.csv")


def test_a_failed_write_leaves_the_old_file_and_no_temporaries(tmp_path):
    path = write_text(tmp_path / "summary.json", "old")

    def explode(f):
        f.write("half")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        atomic_write(path, explode)
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["summary.json"]


def test_parallel_new_run_dirs_never_collide(tmp_path):
    with ThreadPoolExecutor(8) as pool:
        paths = list(pool.map(lambda _: new_run_dir(tmp_path, "moons"), range(16)))
    assert len(set(paths)) == 16 and all(p.is_dir() for p in paths)


def test_claim_run_dir_refuses_a_non_empty_folder_unless_asked(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text("name: old")
    (run / "loss.png").write_bytes(b"png")
    with pytest.raises(NnctlError, match="--overwrite"):
        claim_run_dir(run, overwrite=False)
    assert (run / "config.yaml").read_text() == "name: old"
    claim_run_dir(run, overwrite=True)
    assert list(run.iterdir()) == []


def test_overwrite_never_deletes_a_folder_that_is_not_a_run(tmp_path, monkeypatch):
    folder = tmp_path / "thesis"
    folder.mkdir()
    (folder / "thesis.tex").write_text("years of work")
    (folder / "config.yaml").write_text("name: looks like a run")
    with pytest.raises(NnctlError, match=r"not a run directory \(it holds thesis.tex\)"):
        claim_run_dir(folder, overwrite=True)
    assert (folder / "thesis.tex").read_text() == "years of work"
    (folder / "thesis.tex").unlink()
    monkeypatch.chdir(folder)
    with pytest.raises(NnctlError, match="is the current folder or contains it"):
        claim_run_dir(tmp_path / "thesis", overwrite=True)
    with pytest.raises(NnctlError, match="is the current folder or contains it"):
        claim_run_dir(tmp_path, overwrite=True)
    assert (folder / "config.yaml").is_file()


def test_written_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        path = write_text(tmp_path / "summary.json", "{}")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~0o022


def test_a_run_killed_while_writing_its_first_file_can_be_replaced(tmp_path):
    """All it leaves is atomic_write's temporary .config.yaml.*.tmp; a sweep re-runs it there."""
    from nnctl.runs import claim_run_dir

    killed = tmp_path / "killed"
    killed.mkdir()
    (killed / ".config.yaml.0123456789abcdef.tmp").write_text("")
    assert claim_run_dir(killed, overwrite=True) == killed and not any(killed.iterdir())
    other = tmp_path / "other"
    other.mkdir()
    (other / ".bashrc").write_text("")
    with pytest.raises(NnctlError, match="not a run directory"):
        claim_run_dir(other, overwrite=True)
    assert (other / ".bashrc").is_file()
