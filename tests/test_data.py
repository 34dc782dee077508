"""Data sets: generators (against scikit-learn as the oracle), the split, standardisation, CSV, data.npz."""

import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn import datasets as sk

import nnctl.data
from nnctl.data import DATASETS, Dataset, _table_arrays, load_csv, load_dataset, read_dataset, save_dataset
from nnctl.errors import NnctlError
from nnctl.files import read_text

GENERATED = [name for name in DATASETS if name not in ("csv", "digits")]


def rng(seed=0):
    return np.random.default_rng(seed)


def load(tmp_path=Path("."), seed=0, **data) -> Dataset:
    return load_dataset({"validation_fraction": 0.0, **data}, seed_rng=rng(seed), base_dir=tmp_path)


def by_rows(X, y):
    """Rows of [X | y] in lexicographic order, to compare point sets regardless of shuffling."""
    Z = np.c_[X, y]
    return Z[np.lexsort(Z.T[::-1])]


# ---------------------------------------------------------------- registry and generators


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_params_are_exactly_the_generators_keywords(name):
    spec = DATASETS[name]
    keywords = {key: p.default for key, p in inspect.signature(spec.make).parameters.items() if key != "rng"}
    assert list(keywords) == list(spec.params)
    assert all(spec.params[key] == value for key, value in keywords.items() if value is not inspect.Parameter.empty)


@pytest.mark.parametrize("name", GENERATED)
def test_generators_give_documented_shapes_and_dtypes(name):
    spec = DATASETS[name]
    X, y = spec.make(**{**spec.params, "n_samples": 101}, rng=rng())
    assert X.dtype == np.float64 and X.ndim == 2 and X.shape[0] == 101
    if spec.task == "classification":
        assert y.dtype == np.int64 and y.shape == (101,)
    else:
        assert y.dtype == np.float64 and y.shape == (101, 1)


@pytest.mark.parametrize("name", ["moons", "circles"])
def test_noise_free_moons_and_circles_are_sklearns_points(name):
    params = {"factor": 0.5} if name == "circles" else {}
    ours = DATASETS[name].make(n_samples=301, noise=0.0, **params, rng=rng())
    theirs = getattr(sk, f"make_{name}")(n_samples=301, noise=None, **params, random_state=0)  # sklearn shuffles too
    np.testing.assert_allclose(by_rows(*ours), by_rows(*theirs), atol=1e-12)
    assert np.bincount(ours[1]).tolist() == [150, 151]


@pytest.mark.parametrize(("name", "noise"), [("moons", 0.2), ("circles", 0.1)])
def test_noisy_moons_and_circles_match_sklearns_distribution(name, noise):
    params = {"factor": 0.5} if name == "circles" else {}
    X, y = DATASETS[name].make(n_samples=20_000, noise=noise, **params, rng=rng())
    X_sk, y_sk = getattr(sk, f"make_{name}")(n_samples=20_000, noise=noise, **params, random_state=0)
    for k in (0, 1):
        np.testing.assert_allclose(X[y == k].mean(0), X_sk[y_sk == k].mean(0), atol=0.02)
        np.testing.assert_allclose(X[y == k].std(0), X_sk[y_sk == k].std(0), atol=0.02)


def test_blobs_match_sklearns_distribution():
    X, y = DATASETS["blobs"].make(n_samples=3001, centers=4, cluster_std=0.5, n_features=3,
                                  center_box=(-10.0, 10.0), rng=rng())
    X_sk, y_sk = sk.make_blobs(n_samples=3001, centers=4, cluster_std=0.5, n_features=3, random_state=0)
    assert X.shape == X_sk.shape and np.bincount(y).tolist() == np.bincount(y_sk).tolist() == [751, 750, 750, 750]
    for k in range(4):
        assert np.all(np.abs(X[y == k].mean(0)) < 10)  # centres lie in center_box
        np.testing.assert_allclose(X[y == k].std(0), 0.5, atol=0.05)
        np.testing.assert_allclose(X_sk[y_sk == k].std(0), 0.5, atol=0.05)


def test_blobs_take_explicit_centres_as_sklearn_does():
    X, y = DATASETS["blobs"].make(n_samples=2000, centers=[[0, 0], [3, 3]], rng=rng())
    assert X.shape == (2000, 2) and np.bincount(y).tolist() == [1000, 1000]
    np.testing.assert_allclose(X[y == 1].mean(0), [3, 3], atol=0.1)


def test_noisy_linear_target_is_the_mean_of_the_coordinates_exactly():
    X, y = DATASETS["noisy-linear"].make(n_samples=500, noise=0.05, rng=rng())
    np.testing.assert_array_equal(y[:, 0], X[:, 0] / 2 + X[:, 1] / 2)
    assert np.all(np.abs(X - np.linspace(0, 1, 500)[:, None]) <= 0.05)
    assert not np.array_equal(X[:, 0], X[:, 1])  # independent noise per coordinate


def test_step_is_the_sign_of_x_on_a_grid():
    X, y = DATASETS["step"].make(n_samples=1000, noise=0.0, rng=rng())
    np.testing.assert_array_equal(X[:, 0], np.linspace(-5, 5, 1000))
    assert y[:500, 0].tolist() == [-1.0] * 500 and y[500:, 0].tolist() == [1.0] * 500
    _, y_noisy = DATASETS["step"].make(n_samples=1000, noise=0.1, rng=rng())
    assert 0.08 < np.std(y_noisy - y) < 0.12


def test_bump_follows_seed_004s_formula():
    X, y = DATASETS["bump"].make(n_samples=200, noise=0.0, rng=rng())
    assert X.min() >= -0.5 and X.max() <= 0.5
    np.testing.assert_array_equal(y[:, 0], np.exp(-5 * (X[:, 0] ** 2 + X[:, 1] ** 2)) * np.abs(X[:, 0] + X[:, 1]))


def test_xor_labels_the_quadrants():
    X, y = DATASETS["xor"].make(n_samples=400, noise=0.0, rng=rng())
    assert np.abs(X).max() <= 1
    np.testing.assert_array_equal(y, (np.sign(X[:, 0]) == np.sign(X[:, 1])).astype(int))


def test_spiral_splits_samples_evenly_over_arms_with_radius_0_to_1():
    X, y = DATASETS["spiral"].make(n_samples=1000, n_classes=3, noise=0.2, rng=rng())
    assert np.bincount(y).tolist() == [334, 333, 333]
    np.testing.assert_allclose(np.sort(np.hypot(X[y == 1, 0], X[y == 1, 1])), np.linspace(0, 1, 333), atol=1e-12)


def test_digits_is_sklearns_data_set():
    ds = load(name="digits")
    assert ds.X_train.shape == (1797, 64) and ds.classes == list(range(10))
    assert ds.X_train.min() == 0 and ds.X_train.max() == 16
    subset = load(name="digits", n_samples=100)
    assert subset.X_train.shape == (100, 64)


# ---------------------------------------------------------------- load_dataset: split, standardise, errors


def test_stratified_split_takes_round_fraction_of_each_class():
    ds = load(name="blobs", validation_fraction=0.2)  # 334, 333, 333 -> 67 of each to validation
    assert np.bincount(ds.y_val).tolist() == [67, 67, 67]
    assert np.bincount(ds.y_train).tolist() == [267, 266, 266]
    assert ds.X_val.shape == (201, 2) and ds.y_train.dtype == np.int64


def test_stratified_split_keeps_a_training_sample_of_every_class(tmp_path):
    (tmp_path / "t.csv").write_text("x,label\n" + "".join(f"{i},{c}\n" for i, c in enumerate("aabbbbbbbb")))
    ds = load(tmp_path, name="csv", path="t.csv", validation_fraction=0.9)
    assert np.bincount(ds.y_train).tolist() == [1, 1] and np.bincount(ds.y_val).tolist() == [1, 7]


def test_regression_split_is_random_and_zero_fraction_means_no_validation():
    ds = load(name="step", validation_fraction=0.25)
    assert ds.X_train.shape == (750, 1) and ds.y_val.shape == (250, 1)
    assert ds.X_val[:, 0].min() < -4 and ds.X_val[:, 0].max() > 4  # drawn from everywhere, not the tail
    empty = load(name="step")
    assert empty.X_val.shape == (0, 1) and empty.y_val.shape == (0, 1) and empty.n_outputs == 1


def test_standardisation_uses_training_stats_for_both_parts():
    raw = load(name="blobs", validation_fraction=0.3)
    ds = load(name="blobs", validation_fraction=0.3, standardize=True)
    np.testing.assert_allclose(ds.X_train.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(ds.X_train.std(0), 1, atol=1e-12)
    np.testing.assert_allclose(ds.mean, raw.X_train.mean(0))
    np.testing.assert_allclose(ds.X_val, (raw.X_val - ds.mean) / ds.std)
    assert raw.mean is None and raw.std is None


def test_constant_feature_keeps_std_1(tmp_path):
    (tmp_path / "t.csv").write_text("c,x,y\n" + "".join(f"3,{i},{i % 2}\n" for i in range(10)))
    ds = load(tmp_path, name="csv", path="t.csv", standardize=True)
    assert ds.std[0] == 1 and np.all(ds.X_train[:, 0] == 0)


def test_same_rng_state_gives_bit_identical_data_and_float32_on_request():
    first, again = (load(name="moons", validation_fraction=0.2, standardize=True, seed=7) for _ in range(2))
    for key in ("X_train", "y_train", "X_val", "y_val", "mean", "std"):
        assert np.array_equal(getattr(first, key), getattr(again, key))
    assert not np.array_equal(first.X_train, load(name="moons", validation_fraction=0.2, seed=8).X_train)
    small = load_dataset({"name": "bump"}, seed_rng=rng(), base_dir=Path("."), dtype=np.float32)
    assert small.X_train.dtype == small.y_train.dtype == np.float32


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "xyz"}, "data.name: unknown 'xyz' (choose from: blobs, bump, circles, csv, digits, moons, "),
        ({"name": "moons", "task": "regression"}, "data.task: moons is a classification set"),
        ({"name": "step", "task": "classification"}, "data.task: step is a regression set"),
        ({"name": "moons", "factor": 0.3}, "data: unknown key 'factor' for moons"),
        ({"name": "csv"}, "data.path: the csv data set needs a file"),
    ],
)
def test_bad_data_sections_are_one_line_errors(data, message):
    with pytest.raises(NnctlError) as error:
        load(**data)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


# ---------------------------------------------------------------- CSV


def write_csv(tmp_path, text, name="t.csv"):
    (tmp_path / name).write_text(text)
    return name


def test_csv_happy_path_with_text_labels(tmp_path):
    write_csv(tmp_path, "a,species,b\n1,dog,2\n3,cat,4\n5,dog,6\n7,cat,8\n")
    ds = load(tmp_path, name="csv", path="t.csv", target="species")
    assert ds.task == "classification" and ds.classes == ["cat", "dog"] and ds.feature_names == ["a", "b"]
    np.testing.assert_array_equal(ds.X_train, [[1, 2], [3, 4], [5, 6], [7, 8]])
    assert ds.y_train.tolist() == [1, 0, 1, 0]


def test_csv_task_auto_from_the_target(tmp_path):
    write_csv(tmp_path, "x;y\n1;2\n2;0\n3;2\n", "ints.csv")
    write_csv(tmp_path, "x,y\n1,0.5\n2,1.5\n3,2\n", "floats.csv")
    ints = load(tmp_path, name="csv", path=str(tmp_path / "ints.csv"), delimiter=";")
    assert ints.task == "classification" and ints.classes == [0, 2] and ints.y_train.tolist() == [1, 0, 1]
    floats = load(tmp_path, name="csv", path="floats.csv")
    assert floats.task == "regression" and floats.classes == [] and floats.n_classes == 0
    np.testing.assert_array_equal(floats.y_train, [[0.5], [1.5], [2.0]])
    honoured = load(tmp_path, name="csv", path="ints.csv", delimiter=";", task="regression")
    assert honoured.task == "regression" and honoured.y_train[:, 0].tolist() == [2, 0, 2]


@pytest.mark.parametrize(
    ("text", "data", "message"),
    [
        ("x,y\n1,0\noops,1\n", {}, "t.csv: line 3, column 'x': 'oops' is not a finite number"),
        ("x,z,y\n1,,0\n2,2,1\n", {}, "t.csv: line 2, column 'z': empty cell"),
        ("x,y\n1,0\nnan,1\n", {}, "t.csv: line 3, column 'x': 'nan' is not a finite number"),
        ("x,y\n1,0\n2,1\n", {"target": "label"}, "t.csv: no column 'label' (set data.target to one of: 'x', 'y')"),
        ("x,y\n1,a\n2,a\n", {}, "t.csv: the target has one class only, ['a']"),
        ("x,y\n1,a\n2,b\n", {"task": "regression"}, "t.csv: the target column is not numeric"),
        ("x,y\n1,0\n2\n", {}, "t.csv: line 3 has 1 cells, the header 2"),
    ],
)
def test_csv_errors_name_file_line_and_column(tmp_path, text, data, message):
    write_csv(tmp_path, text)
    with pytest.raises(NnctlError) as error:
        load(tmp_path, name="csv", path="t.csv", **data)
    assert str(error.value).startswith(str(tmp_path / message))


def test_missing_csv_names_the_path(tmp_path):
    with pytest.raises(NnctlError, match=r"gone\.csv: no such file"):
        load(tmp_path, name="csv", path="gone.csv")


def random_cells(seed, n, d):
    """(n, d) numeric cells as people's files hold them: negative, exponents, integer-looking,
    17 significant digits, leading '+' or '.', padded with spaces."""
    r = rng(seed)
    values = r.normal(size=(n, d)) * 10.0 ** r.integers(-8, 9, size=(n, d))
    styles = [lambda v: repr(float(v)), "{:.3e}".format, "{:.17g}".format, lambda v: str(int(v)), lambda v: f"{v:+.4f}",
              lambda v: f" {v:.2E} ", lambda v: f"{v:.6f}".replace("0.", ".", 1) if 0 < v < 1 else f"{v:g}"]
    pick = r.integers(len(styles), size=(n, d))
    return [[styles[k](v) for k, v in zip(ks, vs, strict=True)] for ks, vs in zip(pick, values, strict=True)]


def by_cells(path, target=None, delimiter=","):
    """load_csv through the csv module only (the path of quotes and errors)."""
    return _table_arrays(read_text(path, limit=10**8), path, target, delimiter, {}, fast=False)


def bits(A):
    return np.ascontiguousarray(A, dtype=np.float64).view(np.int64)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_csv_values_are_np_loadtxts_bit_for_bit_and_the_row_by_row_readers(tmp_path, seed, line_end):
    cells = random_cells(seed, 300, 6)
    labels = rng(seed).choice(["setosa", "versicolor", " virginica "], size=300)
    numeric = "a,b,c,d,e,y" + line_end + "".join(",".join(row) + line_end for row in cells)
    text = "a,b,label,c,d,e" + line_end + "".join(",".join([*row[:2], lab, *row[2:5]]) + line_end
                                                  for row, lab in zip(cells, labels, strict=True))
    write_csv(tmp_path, numeric, "numeric.csv")
    write_csv(tmp_path, text, "text.csv")
    oracle = np.loadtxt(tmp_path / "numeric.csv", delimiter=",", skiprows=1)
    X, y, names = load_csv(tmp_path / "numeric.csv")
    assert names == list("abcde") and y.dtype == np.float64
    np.testing.assert_array_equal(bits(X), bits(oracle[:, :5]))
    np.testing.assert_array_equal(bits(y), bits(oracle[:, 5]))
    X, y, names = load_csv(tmp_path / "text.csv", target="label")
    assert names == list("abcde") and y.dtype.kind == "U" and y.tolist() == [lab.strip() for lab in labels]
    np.testing.assert_array_equal(bits(X), bits(oracle[:, :5]))
    for path, target in ((tmp_path / "numeric.csv", None), (tmp_path / "text.csv", "label")):
        fast, rows = load_csv(path, target), by_cells(path, target)
        np.testing.assert_array_equal(bits(fast[0]), bits(rows[0]))
        assert fast[1].dtype == rows[1].dtype and fast[1].tolist() == rows[1].tolist() and fast[2] == rows[2]


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [("x;y\n1;2\n\n3;4\n\n", ";"), ("x\ty\n 1 \t a\n2\tb\n", "\t"), ("x,y\n1_000,0\n2,1\n", ","),
     ('x,"y"\n"1",a\n2,b\n', ","), ("x,y\r1,0\r2,1\r", ","), ("x,y\n1,nan\n2,3\n", ","),
     ("x,y\n1,0x1p3\n2,3\n", ","), ("x,y,z\n1,2,3\n4,5,6\n", ",")],
)
def test_csv_odd_files_read_as_the_row_by_row_reader_reads_them(tmp_path, text, delimiter):
    """Blank lines, padded tab cells, underscores in a number, quotes, old Mac line ends, a nan
    or hex target (text, then): the same arrays whichever path reads them."""
    path = tmp_path / write_csv(tmp_path, text)
    X, y, names = load_csv(path, delimiter=delimiter)
    rows = by_cells(path, None, delimiter)
    np.testing.assert_array_equal(bits(X), bits(rows[0]))
    assert y.dtype == rows[1].dtype and y.tolist() == rows[1].tolist() and names == rows[2]


def test_a_plain_numeric_table_is_not_read_row_by_row(tmp_path, monkeypatch):
    """The common case (a header, numbers, maybe text labels) takes NumPy's C reader: 200 000 rows
    × 10 columns in about 1.3× np.loadtxt's time (benchmarks/csv_load.py), not the 5-10× of reading
    cell by cell."""
    monkeypatch.setattr(nnctl.data, "_cells_table", lambda *args: pytest.fail("read row by row"))
    cells = random_cells(0, 50, 3)
    write_csv(tmp_path, "a,b,y\n" + "".join(",".join(row) + "\n" for row in cells), "n.csv")
    write_csv(tmp_path, "a,b,c,y\r\n" + "".join(",".join([*row, "yes"]) + "\r\n" for row in cells), "s.csv")
    assert load_csv(tmp_path / "n.csv")[0].shape == (50, 2)
    assert load_csv(tmp_path / "s.csv")[1].tolist() == ["yes"] * 50


@pytest.mark.parametrize(
    ("row", "target", "message"),
    [("1,2,oops,4,a", "label", "line 150000, column 'x2': 'oops' is not a finite number (fix or remove the row; "
      "if the column holds categories, set data.columns: {x2: text})"),
     ("1,2,3,inf,a", "number", "line 150000, column 'x3': 'inf' is not a finite number (fix or remove the row)"),
     ("1,2,3,4,", "number", "line 150000, column 'y': empty target (fill it or remove the row)"),
     ("1,2,3,a", "label", "line 150000 has 4 cells, the header 5 (fix the row)")],
)
def test_a_bad_cell_deep_in_a_large_table_is_named_by_line_and_column(tmp_path, row, message, target):
    def as_target(row):  # the row with a number in place of a label
        return row[:-1] + "7" if target == "number" and row.endswith("a") else row

    good = as_target("1.5,-2e3,3,4,a")
    write_csv(tmp_path, "x0,x1,x2,x3,y\n" + "\n".join([good] * 149_998 + [as_target(row), good]) + "\n")
    with pytest.raises(NnctlError) as error:
        load_csv(tmp_path / "t.csv")
    assert str(error.value) == f"{tmp_path / 't.csv'}: {message}"


# ---------------------------------------------------------------- text feature columns (issue 15)

SHOP = ("price,color,zip,size,label\n"
        "1.5,red,02139,S,yes\n2.5,blue,02139,M,no\n3.5, red ,10001,10,yes\n4.5,green,10001,L,no\n"
        "5.5,blue,02139,M,yes\n6.5,red,10001,S,no\n")


def test_a_column_is_text_when_most_of_its_filled_cells_are_not_numbers(tmp_path):
    X, y, names = load_csv(tmp_path / write_csv(tmp_path, SHOP))
    assert names == ["price", "color", "zip", "size"] and X.dtype == object
    assert X[:, 0].tolist() == [1.5, 2.5, 3.5, 4.5, 5.5, 6.5]  # numbers stay floats
    assert X[:, 1].tolist() == ["red", "blue", "red", "green", "blue", "red"]  # stripped cells
    assert X[:, 2].tolist() == [2139.0, 2139.0, 10001.0, 10001.0, 2139.0, 10001.0]  # a number unless forced
    assert X[:, 3].tolist() == ["S", "M", "10", "L", "M", "S"]  # 1 number in 6 cells: text


def test_data_columns_forces_a_columns_kind(tmp_path):
    path = tmp_path / write_csv(tmp_path, SHOP)
    X, _, _ = load_csv(path, columns={"zip": "text"})
    assert X[:, 2].tolist() == ["02139", "02139", "10001", "10001", "02139", "10001"]  # as written
    with pytest.raises(NnctlError) as error:
        load_csv(path, columns={"size": "number"})
    assert str(error.value) == f"{path}: line 2, column 'size': 'S' is not a finite number (fix or remove the row)"
    assert load_csv(path, columns={"zip": "text"}, rng=None)[0].shape == (6, 4)


def test_a_numeric_table_still_reads_as_float64(tmp_path):
    X, y, _ = load_csv(tmp_path / write_csv(tmp_path, "a,b,y\n1,2,x\n3,4,z\n"))
    assert X.dtype == np.float64 and X.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_text_columns_are_one_hot_with_the_training_parts_categories(tmp_path):
    """A category seen only in the validation part is no input: its row is all zeros there."""
    rows = "".join(f"{i},{['red', 'blue'][i % 2]},{'ab'[i % 2]}\n" for i in range(40)) + "99,purple,a\n"
    path = write_csv(tmp_path, "x,color,label\n" + rows)
    data = {"name": "csv", "path": path, "validation_fraction": 0.2, "standardize": True}
    ds = next(ds for seed in range(20) if "purple" not in (ds := load_dataset(
        data, seed_rng=rng(seed), base_dir=tmp_path)).categories[1])
    assert ds.feature_names == ["x", "color=blue", "color=red"] and ds.column_names == ["x", "color"]
    assert ds.categories == [None, ["blue", "red"]]
    assert ds.mean[1:].tolist() == [0.0, 0.0] and ds.std[1:].tolist() == [1.0, 1.0]  # one-hot stays 0/1
    assert abs(ds.X_train[:, 0].mean()) < 1e-12 and abs(ds.X_train[:, 0].std() - 1) < 1e-12  # numbers standardised
    assert (ds.X_train[:, 1:].sum(axis=1) == 1).all()
    assert (ds.X_val[:, 1:].sum(axis=1) == 0).sum() == 1 and (ds.X_val[:, 1:].sum(axis=1) <= 1).all()


def test_a_text_dataset_round_trips_through_data_npz_and_an_old_one_reads_as_numbers(tmp_path):
    ds = load(tmp_path, name="csv", path=write_csv(tmp_path, SHOP), standardize=True)
    save_dataset(tmp_path / "data.npz", ds)
    back = read_dataset(tmp_path / "data.npz")
    assert back.column_names == ds.column_names == ["price", "color", "zip", "size"]
    assert back.categories == ds.categories == [None, ["blue", "green", "red"], None, ["10", "L", "M", "S"]]
    assert back.feature_names == ["price", "color=blue", "color=green", "color=red", "zip",
                                  "size=10", "size=L", "size=M", "size=S"]
    with np.load(tmp_path / "data.npz", allow_pickle=False) as npz:
        assert npz["column_kinds"].tolist() == ["number", "text", "number", "text"]
        old = {key: npz[key] for key in npz.files if key not in nnctl.data.TEXT_KEYS}
    old["feature_names"] = np.array([f"x{j}" for j in range(9)])
    np.savez(tmp_path / "old.npz", **old)  # as a run before text columns: every input a number column
    before = read_dataset(tmp_path / "old.npz")
    assert before.column_names is None and not before.has_text and before.raw_columns == old["feature_names"].tolist()
    del old["X_val"]
    np.savez(tmp_path / "damaged.npz", **{**{k: npz_value for k, npz_value in old.items()},
                                          "X_val": ds.X_val, "columns": np.array(["price"])})
    with pytest.raises(NnctlError, match="columns, column_kinds, categories, category_counts must all be there"):
        read_dataset(tmp_path / "damaged.npz")


# ---------------------------------------------------------------- data.npz and imports


@pytest.mark.parametrize(
    "make", [lambda tmp: load(tmp, name="csv", path=write_csv(tmp, "a,b,c\n1,2,x\n3,4,y\n5,6,x\n"), standardize=True),
             lambda tmp: load(tmp, name="noisy-linear", n_samples=20, validation_fraction=0.2)],
)
def test_save_and_read_dataset_round_trip_without_pickles(tmp_path, make):
    ds = make(tmp_path)
    save_dataset(tmp_path / "data.npz", ds)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    back = read_dataset(tmp_path / "data.npz")
    for key in ("X_train", "y_train", "X_val", "y_val", "mean", "std"):
        saved, read = getattr(ds, key), getattr(back, key)
        assert read is None if saved is None else np.array_equal(read, saved) and read.dtype == saved.dtype
    assert (back.task, back.classes, back.feature_names) == (ds.task, ds.classes, ds.feature_names)
    with np.load(tmp_path / "data.npz", allow_pickle=False) as npz:
        assert all(npz[key].dtype != object for key in npz.files)


def test_importing_nnctl_data_loads_no_heavy_library():
    code = "import nnctl.data, sys; assert not {'sklearn', 'matplotlib', 'pandas', 'scipy'} & set(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)
