"""data.Preprocessing: raw rows (arrays, dicts of columns, DataFrames, CSV tables) -> a run's
network inputs, with errors that name the column and the row or line."""

from __future__ import annotations

import numpy as np
import pytest

from nnctl.data import Preprocessing, read_table
from nnctl.errors import NnctlError


def test_preprocessing_takes_arrays_dicts_and_tables_alike():
    pre = Preprocessing(["a", "b"], "classification", ["x", "y"], np.array([1.0, 2.0]), np.array([2.0, 4.0]))
    X = np.array([[3.0, 6.0], [1.0, 2.0]])
    expected = np.array([[1.0, 1.0], [0.0, 0.0]])
    assert np.array_equal(pre.encode(X), expected)
    assert np.array_equal(pre.encode({"b": [6, 2], "a": [3, 1], "extra": ["p", "q"]}), expected)
    table = read_table("b,a,id\n6,3,p\n2,1,q\n", "new.csv")
    assert np.array_equal(pre.encode(table), expected)
    assert pre.decode_classes(np.array([1, 0, 1])).tolist() == ["y", "x", "y"]
    spaced = read_table("b,a\n 6 ,3\n2, 1\n", "new.csv")
    assert np.array_equal(pre.encode(spaced), expected) and spaced.columns["b"].tolist() == [" 6 ", "2"]


@pytest.mark.parametrize(("X", "expected"), [
    ({"a": [1.0]}, "X: no column 'b' (the run's features: 'a', 'b')"),
    (np.zeros((2, 3)), "X: 3 columns, the run takes (n, 2) with columns 'a', 'b'"),
    (np.array([[1.0, np.nan]]),
     "X: row 0, column 'b': 'nan' is not a finite number (the run's model takes numbers here)"),
    ({"a": [1, 2], "b": ["3", "big"]}, "X: row 1, column 'b': 'big' is not a finite number"),
    (read_table("a,b\n1,2\n3, \n", "new.csv"), "new.csv: line 3, column 'b': empty cell"),
    (read_table("a,b\n1,2\n3,x\n", "new.csv"), "new.csv: line 3, column 'b': 'x' is not a finite number"),
], ids=["missing-column", "column-count", "nan", "text-in-dict", "empty-csv-cell", "text-in-csv"])
def test_preprocessing_errors_name_the_column_and_row(X, expected):
    pre = Preprocessing(["a", "b"], "classification", ["x", "y"])
    with pytest.raises(NnctlError) as e:
        pre.encode(X)
    assert str(e.value).startswith(expected)


def test_a_pandas_frame_is_read_by_name_without_importing_pandas_otherwise():
    pd = pytest.importorskip("pandas")
    pre = Preprocessing(["a", "b"], "regression", [])
    frame = pd.DataFrame({"b": [2.0, 4.0], "a": [1.0, 3.0]})
    assert np.array_equal(pre.encode(frame), [[1.0, 2.0], [3.0, 4.0]])


class _Series:
    def __init__(self, values):
        self.values = values

    def to_numpy(self):
        return np.asarray(self.values)


class FakeFrame:
    """What Preprocessing reads of a DataFrame: its module, `columns` and `frame[name].to_numpy()`."""

    __module__ = "pandas.core.frame"

    def __init__(self, columns: dict):
        self._columns = columns
        self.columns = list(columns)

    def __getitem__(self, name):
        return _Series(self._columns[name])


def test_a_frame_is_read_by_column_name_and_pandas_is_never_imported_for_it():
    import sys

    pre = Preprocessing(["a", "b"], "regression", [])
    had_pandas = "pandas" in sys.modules
    assert np.array_equal(pre.encode(FakeFrame({"b": [2.0, 4.0], "a": [1.0, 3.0]})), [[1.0, 2.0], [3.0, 4.0]])
    assert np.array_equal(pre.encode({"a": [1.0], "b": [2.0]}), [[1.0, 2.0]])
    assert ("pandas" in sys.modules) == had_pandas


# ---------------------------------------------------------------- text columns (issue 15)

TEXT = Preprocessing(["x", "color=blue", "color=red"], "classification", ["no", "yes"], np.array([2.0, 0.0, 0.0]),
                     np.array([4.0, 1.0, 1.0]), column_names=["x", "color"], categories=[None, ["blue", "red"]])
ONE_HOT = [[6.0, 0.0, 1.0], [2.0, 1.0, 0.0], [10.0, 0.0, 0.0]]  # green: a category the run never saw


def test_text_columns_are_one_hot_from_arrays_dicts_frames_and_tables_alike():
    objects = np.array([[6, "red"], [2.0, " blue "], [10, "green"]], dtype=object)
    inputs = [objects, {"color": ["red", "blue", "green"], "x": [6, 2, 10], "id": [1, 2, 3]},
              FakeFrame({"color": np.array(["red", "blue", "green"], dtype=object), "x": [6.0, 2.0, 10.0]}),
              read_table("id,color,x\n1,red,6\n2, blue,2\n3,green,10\n", "new.csv", numbers=["x"])]
    for X in inputs:
        assert TEXT.columns(X).tolist() == ONE_HOT
        assert TEXT.encode(X).tolist() == [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [2.0, 0.0, 0.0]]  # numbers standardised


def test_an_unseen_category_is_one_warning_naming_how_many_rows_the_column_value_and_line():
    table = read_table("x,color\n1,red\n2,green\n3,pink\n4,blue\n", "new.csv")
    assert TEXT.columns(table)[:, 1:].tolist() == [[0, 1], [0, 0], [0, 0], [1, 0]]
    assert TEXT.unseen(table) == ("warning: new.csv: 2 rows with a category the run never saw, encoded as all zeros "
                                  "(first: column 'color', 'green' on line 3)")
    assert TEXT.unseen({"x": [1], "color": ["red"]}) is None
    assert Preprocessing(["a"], "regression", []).unseen({}) is None


@pytest.mark.parametrize(("X", "expected"), [
    (read_table("x,color\n1,red\n2, \n", "new.csv"),
     "new.csv: line 3, column 'color': empty cell (the run's model takes one of its categories here: 'blue', 'red')"),
    (np.array([[1.0, None]], dtype=object), "X: row 0, column 'color': empty cell"),
    (np.array([[1.0, 2.0]]), None),  # a number in a text column is a category's text: "2.0", unseen
    ({"x": [1.0]}, "X: no column 'color' (the run's features: 'x', 'color')"),
    (np.zeros((2, 3)), "X: 3 columns, the run takes (n, 2) with columns 'x', 'color'"),
])
def test_text_column_errors_name_the_raw_column_and_row(X, expected):
    if expected is None:
        assert TEXT.columns(X).tolist() == [[1.0, 0.0, 0.0]]
        return
    with pytest.raises(NnctlError) as e:
        TEXT.encode(X)
    assert str(e.value).startswith(expected)
