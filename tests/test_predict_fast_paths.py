"""Prediction's fast paths give what the plain formulas give, bit for bit: the softmax and the
probabilities by column-wise row reductions, predict_proba in cached-buffer chunks, the CSV
text by one join instead of csv.writer. Their speed is measured in benchmarks/predict.py."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

import nnctl.trained
from nnctl.data import Preprocessing
from nnctl.nn.activations import Softmax, row_max, row_sum
from nnctl.nn.layers import CACHED_ROWS
from nnctl.trained import columns_csv, load_run, prediction_columns, probabilities
from nnctl.training import train


@pytest.fixture(scope="module", params=["float64", "float32"])
def moons_run(request, tmp_path_factory):
    """A tiny 2-8-8-2 tanh moons run in the given dtype."""
    folder = tmp_path_factory.mktemp(f"moons-{request.param}")
    config = {"dtype": request.param, "data": {"name": "moons", "n_samples": 200}, "model": {"hidden": [8, 8]},
              "train": {"epochs": 2}, "output": {"plots": []}}
    return load_run(train(config, folder / "run").run_dir)


def shortest_rows(rng: np.random.Generator, k: int, dtype) -> np.ndarray:
    """(300, k) logits of both signs and large scale, a row of NaN and a row of zeros."""
    z = (rng.normal(size=(300, k)) * 30).astype(dtype)
    z[0, 0], z[1] = np.nan, 0.0
    return z


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("k", [1, 2, 3, 7, 8, 13])
def test_row_reductions_and_softmax_give_numpys_bits(rng, k, dtype):
    z = shortest_rows(rng, k, dtype)
    assert np.array_equal(row_max(z), z.max(axis=1), equal_nan=True)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    assert np.array_equal(row_sum(e), e.sum(axis=1), equal_nan=True)
    assert np.array_equal(Softmax.fn(z), e / e.sum(axis=1, keepdims=True), equal_nan=True)


@pytest.mark.parametrize("k", [2, 3, 9])
def test_probabilities_give_the_plain_formulas_bits(rng, k):
    scores = np.abs(shortest_rows(rng, k, np.float64))
    total = scores.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        plain = np.where(total > 0, scores / total, 1.0 / k)
    assert np.array_equal(probabilities(scores), plain)
    assert probabilities(scores)[1].tolist() == [1.0 / k] * k  # the row of zeros: uniform


def test_predict_proba_is_the_networks_forward_pass(moons_run, rng):
    """On one chunk, exactly the model's own forward pass, softmax and renormalisation; on many
    (float64), the same as one pass over all rows."""
    model = moons_run.model
    X = rng.normal(size=(300, 2))
    by_hand = probabilities(Softmax.fn(model.network.forward(X.astype(model.network.dense[0].W.dtype))))
    assert np.array_equal(moons_run.predict_proba(X), by_hand)
    if model.network.dense[0].W.dtype == np.float64:
        many = rng.normal(size=(3 * CACHED_ROWS + 17, 2))
        assert np.array_equal(moons_run.predict_proba(many), probabilities(Softmax.fn(model.network.forward(many))))


def test_chunks_fit_the_layers_cached_buffers():
    """Chunks of at most CACHED_ROWS rows reuse Dense's [X, 1] buffers, and keep OpenBLAS's
    products on one thread (larger ones were 3× slower on a busy 2-core machine)."""
    assert nnctl.trained.CHUNK_ROWS <= CACHED_ROWS


def test_prediction_columns_read_the_cells_once(moons_run, monkeypatch):
    """--proba: labels and probabilities from the same parsed columns, not each its own parse."""
    from nnctl.data import read_table

    table = read_table("x0,x1\n0.5,-0.25\n1.5,0.75\n", "new.csv")
    parsed = []
    plain = Preprocessing._column_values
    monkeypatch.setattr(Preprocessing, "_column_values", lambda self, cells, name, *a: parsed.append(name) or
                        plain(self, cells, name, *a))
    columns = prediction_columns(moons_run, table, proba=True)
    assert parsed == ["x0", "x1"]
    assert columns["prediction"].tolist() == moons_run.predict(np.array([[0.5, -0.25], [1.5, 0.75]])).tolist()
    assert np.array_equal(np.c_[columns["p_0"], columns["p_1"]],
                          moons_run.predict_proba(np.array([[0.5, -0.25], [1.5, 0.75]])))


def written_by_csv_module(columns: dict[str, np.ndarray]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(zip(*[c.tolist() for c in columns.values()], strict=True))
    return out.getvalue()


@pytest.mark.parametrize("text", [["", " spaced ", "é"], ["a,b", "c", "d"], ['say "hi"', "x", "y"],
                                  ["two\nlines", "", "z"]], ids=["plain", "comma", "quote", "newline"])
def test_columns_csv_writes_what_csv_writer_writes(text):
    columns = {"note": np.array(text), "x": np.array([np.nan, -0.0, 1e-300]), "big": np.array([2**63, 0, 7], np.uint64),
               "flag": np.array([True, False, True]), "prediction": np.array([1, 0, 1]),
               "p_a": np.array([0.1, np.inf, 1 / 3]), "v": np.array([0.5, 2.5, 1e22], np.float32)}
    assert columns_csv(columns) == written_by_csv_module(columns)
    empty = {name: column[:0] for name, column in columns.items()}
    assert columns_csv(empty) == written_by_csv_module(empty) == ",".join(columns) + "\n"
