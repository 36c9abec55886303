"""Tests for bayesnq.data (loading scores) and bayesnq.datasets (bundled data)."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bayesnq.datasets as datasets
from bayesnq.data import Scores, as_scores, check_tail, load_scores, reduce_curves

ROOT = Path(__file__).resolve().parents[1]


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_data_layer_imports_no_jax():
    """bayesnq.data sits below the model: loading scores needs numpy only."""
    code = ("import sys, bayesnq.data; "
            "print([m for m in ('jax', 'numpyro', 'scipy') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- Scores


class TestScores:
    def test_fields_len_array_repr(self):
        s = Scores(np.array([0.5, 0.7, 0.6]), minimize=False, name="toy", bounds=(0, 1))
        assert len(s) == 3
        assert np.asarray(s).dtype == np.float64
        np.testing.assert_array_equal(np.asarray(s), [0.5, 0.7, 0.6])
        np.testing.assert_array_equal(np.asarray(s, dtype=np.float32), np.float32([0.5, 0.7, 0.6]))
        assert s.failed.dtype == bool and not s.failed.any()
        assert s.bounds == (0.0, 1.0)
        assert s.best == 0.7
        r = repr(s)
        assert "toy" in r and "n=3" in r and "maximize" in r and "failed=0" in r
        text = s.summary()
        assert "3 runs" in text and "0.6" in text and "(0.0, 1.0)" in text

    def test_copies_and_read_only(self):
        raw = np.array([1.0, 2.0, 3.0])
        s = Scores(raw, minimize=True)
        raw[0] = 99.0
        assert s.values[0] == 1.0
        with pytest.raises(ValueError):
            s.values[0] = 5.0
        with pytest.raises(dataclasses.FrozenInstanceError):
            s.minimize = False
        assert s.best == 1.0

    @pytest.mark.parametrize(
        "kwargs, pattern",
        [
            (dict(values=np.zeros((2, 2))), r"values: must be 1-D.*\(2, 2\)"),
            (dict(values=[]), r"values: empty"),
            (dict(values=[1.0, np.nan, np.nan]), r"values: 2 of 3 scores are NaN \(indices 1, 2\)"),
            (dict(values=[1.0, 2.0], failed=[True]), r"failed: .*shape \(2,\)"),
            (dict(values=[1.0, 2.0], configs={"lr": [1.0]}), r"configs: column 'lr' has shape \(1,\)"),
            (dict(values=[1.0], learning_curves=[np.zeros((3, 3))]), r"learning_curves: curve 0 has shape \(3, 3\)"),
            (dict(values=[1.0, 2.0], learning_curves=[np.zeros((3, 2))]), r"learning_curves: 1 curves for 2"),
            (dict(values=[0.5, 1.5], bounds=(0, 1)), r"bounds: 1 scores lie outside \(0.0, 1.0\).*1.5 at index 1"),
            (dict(values=[0.5], bounds=(1, 0)), r"bounds must be a pair \(low, high\) with low < high, got bounds=\(1, 0\)"),
            (dict(values=[0.5], bounds=(0, "1")), r"bounds must be a pair \(low, high\) of numbers or None, got bounds=\(0, '1'\)"),
            (dict(values=[0.5], n_hyperparameters=0), r"n_hyperparameters must be an integer >= 1, got n_hyperparameters=0"),
            (dict(values=[0.5], n_hyperparameters=2.5), r"n_hyperparameters must be an integer >= 1, got n_hyperparameters=2.5"),
        ],
    )
    def test_validation(self, kwargs, pattern):
        kwargs.setdefault("minimize", False)
        with pytest.raises(ValueError, match=pattern):
            Scores(**kwargs)

    def test_minimize_must_be_bool(self):
        with pytest.raises(ValueError, match=r"minimize must be True or False, got minimize='yes'"):
            Scores([1.0], minimize="yes")

    def test_empty_curve_allowed(self):
        s = Scores([0.0, 1.0], minimize=False, learning_curves=[[], [[0, 1.0]]])
        assert s.learning_curves[0].shape == (0, 2)
        assert s.learning_curves[1].shape == (1, 2)

    def test_take_keeps_alignment(self):
        s = Scores(
            [0.1, 0.2, 0.3, 0.0], minimize=False, failed=np.array([False, False, False, True]),
            configs={"lr": np.array([1.0, 2.0, 3.0, 4.0])},
            learning_curves=[np.full((k + 1, 2), k) for k in range(4)], rule="r",
        )
        t = s.take([3, 0])
        np.testing.assert_array_equal(t.values, [0.0, 0.1])
        np.testing.assert_array_equal(t.failed, [True, False])
        np.testing.assert_array_equal(t.configs["lr"], [4.0, 1.0])
        assert [len(c) for c in t.learning_curves] == [4, 1]
        assert "2 of 4" in t.rule
        assert len(s.take(range(2))) == 2


class TestAsScores:
    def test_numbers_become_scores(self):
        s = as_scores([0.5, 0.7, 0.6])
        assert isinstance(s, Scores) and not s.minimize and s.bounds == (None, None)
        np.testing.assert_array_equal(s.values, [0.5, 0.7, 0.6])
        t = as_scores(pd.Series([3.0, 1.0]), minimize=True, bounds=(0, None), n_hyperparameters=4,
                      name="loss")
        assert t.minimize and t.bounds == (0.0, None) and t.n_hyperparameters == 4 and t.name == "loss"

    def test_scores_kept_unless_overridden(self):
        s = Scores([0.5, 0.7], minimize=False, bounds=(0, 1), n_hyperparameters=3, name="acc",
                   configs={"lr": [1.0, 2.0]})
        assert as_scores(s) is s
        assert as_scores(s, minimize=False, bounds=(0, 1), n_hyperparameters=3, name="acc") is s
        t = as_scores(s, minimize=True, bounds=(0.1, 0.9), n_hyperparameters=5, name="b")
        assert t is not s and t.minimize and t.bounds == (0.1, 0.9)
        assert t.n_hyperparameters == 5 and t.name == "b"
        np.testing.assert_array_equal(t.configs["lr"], [1.0, 2.0])
        assert not s.minimize and s.bounds == (0.0, 1.0)  # the given Scores is untouched
        u = as_scores(s, n_hyperparameters=7)
        assert u.bounds == (0.0, 1.0) and not u.minimize and u.n_hyperparameters == 7

    def test_infinite_bound_is_kept(self):
        s = as_scores([2.0, 3.0], minimize=True, bounds=(0, np.inf))
        assert s.bounds == (0.0, np.inf)

    def test_errors(self):
        with pytest.raises(ValueError, match=r"minimize must be True or False, got minimize='yes'"):
            as_scores([1.0], minimize="yes")
        with pytest.raises(ValueError, match=r"minimize must be True or False, got minimize=1"):
            as_scores(Scores([1.0], minimize=False), minimize=1)
        with pytest.raises(ValueError, match=r"bounds: 1 scores lie outside \(0.0, 1.0\)"):
            as_scores(Scores([0.5, 1.5], minimize=False), bounds=(0, 1))
        with pytest.raises(ValueError, match=r"values: 1 of 2 scores are NaN"):
            as_scores([1.0, np.nan])
        with pytest.raises(ValueError, match=r"n_hyperparameters must be an integer >= 1"):
            as_scores([1.0], n_hyperparameters=0)


class TestAsScoresAsUsersHoldThem:
    """Issue 21: a DataFrame (score= or its one numeric column), Series, array, list."""

    @staticmethod
    def frame():
        return pd.DataFrame({"run": ["run0", "run1", "run2"], "accuracy": [0.8, 0.9, 0.85],
                             "done": [True, True, False]})

    def test_dataframe_with_one_numeric_column(self):
        s = as_scores(self.frame())
        np.testing.assert_array_equal(s.values, [0.8, 0.9, 0.85])
        assert s.name == "accuracy" and s.rule == "score = column 'accuracy' of the given DataFrame"
        assert list(s.configs) == ["run", "done"]
        np.testing.assert_array_equal(s.configs["run"], ["run0", "run1", "run2"])
        t = as_scores(self.frame(), score="accuracy", minimize=True, name="acc", bounds=(0, 1))
        assert t.minimize and t.name == "acc" and t.bounds == (0.0, 1.0)

    def test_dataframe_with_several_numeric_columns_needs_score(self):
        df = self.frame().assign(lr=[1e-3, 1e-4, 1e-5])
        with pytest.raises(ValueError, match=r"score must be the name of the score column when "
                           r"the DataFrame has several numeric columns \(candidates: "
                           r"'accuracy', 'lr'\), got score=None"):
            as_scores(df)
        s = as_scores(df, score="lr")
        np.testing.assert_array_equal(s.values, [1e-3, 1e-4, 1e-5])
        assert set(s.configs) == {"run", "accuracy", "done"}

    def test_score_errors_name_the_column(self):
        df = self.frame()
        with pytest.raises(ValueError, match=r"score must be a column of the DataFrame "
                           r"\(columns: 'run', 'accuracy', 'done'\), got score='acc'"):
            as_scores(df, score="acc")
        with pytest.raises(ValueError, match=r"score must be a numeric column of the DataFrame "
                           r"\(column 'run' is not numeric \(row 0 holds 'run0'.*numeric "
                           r"columns: 'accuracy'\), got score='run'"):
            as_scores(df, score="run")
        with pytest.raises(ValueError, match=r"it has none \(columns: 'run', 'done'\), "
                           r"got score=None"):
            as_scores(df[["run", "done"]])
        with pytest.raises(ValueError, match=r"score must be a column name \(str\), got score=3"):
            as_scores(df, score=3)
        with pytest.raises(ValueError, match=r"score must be None for scores given as a list"):
            as_scores([0.5, 0.6], score="accuracy")
        with pytest.raises(ValueError, match=r"score must be None for a Scores"):
            as_scores(Scores([0.5], minimize=False), score="accuracy")

    def test_series_array_list_and_columns(self):
        expected = [0.8, 0.9, 0.85]
        for given in (pd.Series(expected, name="acc"), np.array(expected), expected,
                      {"acc": expected}, np.array([(0.8,), (0.9,), (0.85,)], dtype=[("acc", float)])):
            s = as_scores(given)
            np.testing.assert_array_equal(s.values, expected)
            assert s.values.dtype == np.float64 and not s.minimize
        assert as_scores(pd.Series(expected, name="acc")).name == "acc"
        assert as_scores(pd.Series(expected, name="acc"), name="x").name == "x"

    def test_minimize_is_strictly_boolean(self):
        for bad in (1, 0, "True", np.float64(1.0)):
            with pytest.raises(ValueError, match=r"minimize must be True or False"):
                as_scores(self.frame(), minimize=bad)
        assert as_scores(self.frame(), minimize=np.bool_(True)).minimize is True

    def test_fit_checks_the_frame_before_sampling(self):
        import bayesnq

        df = self.frame().assign(lr=[1e-3, 1e-4, 1e-5])
        with pytest.raises(ValueError, match=r"candidates: 'accuracy', 'lr'"):
            bayesnq.fit(df, threshold=0.82)
        with pytest.raises(ValueError, match=r"got score='acc'"):
            bayesnq.fit(df, score="acc", threshold=0.82)
        with pytest.raises(ValueError, match=r"minimize must be True or False, got minimize=1"):
            bayesnq.fit(df, score="accuracy", minimize=1, threshold=0.82)


class TestReduceCurves:
    def test_best_and_last(self):
        curves = [np.array([[0, 0.5], [1, np.nan], [2, 0.7], [3, 0.6]]), np.empty((0, 2)),
                  np.array([[0, np.inf], [1, np.nan]]), []]
        values, none = reduce_curves(curves, False)
        np.testing.assert_array_equal(values, [0.7, np.nan, np.nan, np.nan])
        np.testing.assert_array_equal(none, [False, True, True, True])
        values, _ = reduce_curves(curves, True)
        assert values[0] == 0.5
        values, _ = reduce_curves(curves, False, "last")
        assert values[0] == 0.6

    def test_errors(self):
        with pytest.raises(ValueError, match=r"reduce must be one of 'best', 'last', got reduce='mean'"):
            reduce_curves([], False, "mean")
        with pytest.raises(ValueError, match=r"minimize must be True or False, got minimize='min'"):
            reduce_curves([], "min")


# --------------------------------------------------------------------------- plain values


class TestPlainValues:
    def test_list_and_array(self):
        s = load_scores([0.8, 0.9, 0.85])
        assert isinstance(s, Scores) and not s.minimize
        np.testing.assert_array_equal(s.values, [0.8, 0.9, 0.85])
        assert s.rule == "score = the given values"
        t = load_scores(np.array([3, 1, 2]), minimize=True, name="loss")
        assert t.minimize and t.name == "loss" and t.values.dtype == np.float64

    def test_iterable_and_numpy_functions(self):
        s = load_scores(x / 4 for x in range(5))
        assert s.values.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
        assert np.median(s) == 0.5 and float(np.max(s)) == 1.0

    def test_scores_pass_through(self):
        s = Scores([1.0, 2.0], minimize=True)
        assert load_scores(s) is s

    def test_nonfinite_raise_names_count_and_indices(self):
        with pytest.raises(ValueError, match=r"nonfinite: 3 of 5 scores are not finite .* indices 1, 3, 4"):
            load_scores([0.1, np.nan, 0.2, np.inf, -np.inf])

    def test_nonfinite_raise_lists_first_few(self):
        values = np.full(30, np.nan)
        values[0] = 1.0
        with pytest.raises(ValueError, match=r"29 of 30 .*indices 1, 2, .*10, \.\.\. \(19 more\)"):
            load_scores(values)

    def test_nonfinite_drop(self):
        s = load_scores([0.1, np.nan, 0.3, np.inf], nonfinite="drop")
        np.testing.assert_array_equal(s.values, [0.1, 0.3])
        assert not s.failed.any()
        assert "2 runs with non-finite scores dropped (indices 1, 3)" in s.rule

    def test_nonfinite_worst_default_is_lowest_when_maximizing(self):
        s = load_scores([0.4, np.nan, 0.3], nonfinite="worst")
        np.testing.assert_array_equal(s.values, [0.4, 0.3, 0.3])
        np.testing.assert_array_equal(s.failed, [False, True, False])
        assert "lowest finite score" in s.rule and "`worst` not given" in s.rule and "(1 run)" in s.rule

    def test_nonfinite_worst_default_is_highest_when_minimizing(self):
        s = load_scores([0.4, np.nan, 0.3], minimize=True, nonfinite="worst")
        np.testing.assert_array_equal(s.values, [0.4, 0.4, 0.3])
        assert "highest finite score" in s.rule

    def test_infinite_bound_gives_the_worst_score(self):
        loss = load_scores([2.0, np.nan], minimize=True, nonfinite="worst", bounds=(0, np.inf))
        assert loss.values[1] == np.inf and loss.bounds == (0.0, np.inf)
        assert "the worst score inf (the metric's bound)" in loss.rule

    def test_nonfinite_worst_explicit_and_infinite(self):
        s = load_scores([0.4, np.nan], nonfinite="worst", worst=0.0)
        np.testing.assert_array_equal(s.values, [0.4, 0.0])
        assert "worst score 0 (1 run)" in s.rule
        loss = load_scores([2.0, np.nan], minimize=True, nonfinite="worst", worst=np.inf)
        assert loss.values[1] == np.inf and loss.failed[1]

    def test_worst_from_bounds(self):
        s = load_scores([0.4, np.nan], nonfinite="worst", bounds=(0, 1))
        assert s.values[1] == 0.0 and "bound" in s.rule
        e = load_scores([0.4, np.nan], minimize=True, nonfinite="worst", bounds=(0, 1))
        assert e.values[1] == 1.0

    def test_worst_must_not_beat_finite_scores(self):
        with pytest.raises(ValueError, match=r"worst: 0.5 is better than 1 finite scores \(e.g. 0.4\)"):
            load_scores([0.4, 0.6, np.nan], nonfinite="worst", worst=0.5)
        with pytest.raises(ValueError, match=r"worst: 0.5 is better than 1 finite"):
            load_scores([0.4, 0.6, np.nan], minimize=True, nonfinite="worst", worst=0.5)
        with pytest.raises(ValueError, match=r"worst: inf cannot be the worst score when maximizing"):
            load_scores([0.4, np.nan], nonfinite="worst", worst=np.inf)

    def test_worst_with_nothing_finite(self):
        with pytest.raises(ValueError, match=r"worst: no run has a finite score"):
            load_scores([np.nan, np.nan], nonfinite="worst")
        with pytest.raises(ValueError, match=r"nonfinite: all 2 scores are non-finite"):
            load_scores([np.nan, np.nan], nonfinite="drop")

    def test_empty_and_shape_errors(self):
        with pytest.raises(ValueError, match=r"source: empty input"):
            load_scores([])
        with pytest.raises(ValueError, match=r"source: scores must be 1-D, got shape \(2, 2\)"):
            load_scores(np.ones((2, 2)))
        with pytest.raises(ValueError, match=r"source: the given values is not numeric"):
            load_scores(["a", "b"])

    def test_option_errors(self):
        with pytest.raises(ValueError, match=r"reduce must be one of 'best', 'last', got reduce='mean'"):
            load_scores([1.0], reduce="mean")
        with pytest.raises(ValueError, match=r"nonfinite must be one of 'raise', 'drop', 'worst', got nonfinite='ignore'"):
            load_scores([1.0], nonfinite="ignore")
        with pytest.raises(ValueError, match=r"minimize must be True or False, got minimize='max'"):
            load_scores([1.0], minimize="max")
        with pytest.raises(ValueError, match=r"score: .*plain list of scores.*'acc'"):
            load_scores([1.0], score="acc")
        with pytest.raises(ValueError, match=r"curve: .*plain list of scores"):
            load_scores([1.0], curve="c[].v")
        with pytest.raises(ValueError, match=r"score: give either score= .* or curve="):
            load_scores([{"a": 1}], score="a", curve="c[].v")
        with pytest.raises(ValueError, match=r"bounds must be a pair \(low, high\) of numbers or None, got bounds=\(0,\)"):
            load_scores([1.0], bounds=(0,))


# --------------------------------------------------------------------------- files


class TestCSV:
    def test_single_numeric_column_is_the_score(self, tmp_path):
        p = tmp_path / "r.csv"
        p.write_text("acc,optimizer\n0.8,adam\n0.9,sgd\n")
        s = load_scores(p)
        np.testing.assert_array_equal(s.values, [0.8, 0.9])
        assert s.name == "r.csv"
        assert s.configs["optimizer"].tolist() == ["adam", "sgd"]
        assert s.rule == "score = column 'acc' of r.csv"

    def test_named_score_and_configs(self, tmp_path):
        p = tmp_path / "r.csv"
        p.write_text("lr,batch,acc,warm,diverged\n1e-3,32,0.8,0.5,false\n2e-3,64,0.9,,TRUE\n")
        s = load_scores(str(p), "acc")
        np.testing.assert_array_equal(s.values, [0.8, 0.9])
        assert set(s.configs) == {"lr", "batch", "warm", "diverged"}
        assert s.configs["batch"].dtype == np.int64
        np.testing.assert_array_equal(s.configs["lr"], [1e-3, 2e-3])
        assert np.isnan(s.configs["warm"][1])
        assert s.configs["diverged"].dtype == bool and s.configs["diverged"].tolist() == [False, True]

    def test_score_required_with_several_numeric_columns(self, tmp_path):
        p = tmp_path / "r.csv"
        p.write_text("lr,acc\n0.1,0.8\n0.2,0.9\n")
        with pytest.raises(ValueError, match=r"score: required .* 2: 'lr', 'acc'"):
            load_scores(p)

    def test_missing_column_lists_available(self, tmp_path):
        p = tmp_path / "r.csv"
        p.write_text("lr,acc\n0.1,0.8\n")
        with pytest.raises(ValueError, match=r"score: no column 'accuracy' in r.csv; available columns: 'lr', 'acc'"):
            load_scores(p, "accuracy")

    def test_non_numeric_column(self, tmp_path):
        p = tmp_path / "r.csv"
        p.write_text("acc,opt\n0.8,adam\n0.9,sgd\n")
        with pytest.raises(ValueError, match=r"score: column 'opt' is not numeric \(row 0 holds 'adam'"):
            load_scores(p, "opt")

    def test_nan_cells_follow_nonfinite(self, tmp_path):
        p = tmp_path / "r.csv"
        p.write_text("acc,lr\n0.8,1\nnan,2\n,3\n")
        with pytest.raises(ValueError, match=r"nonfinite: 2 of 3 .*indices 1, 2"):
            load_scores(p, "acc")
        s = load_scores(p, "acc", nonfinite="drop")
        np.testing.assert_array_equal(s.configs["lr"], [1])

    def test_headerless_single_column(self, tmp_path):
        p = tmp_path / "v.csv"
        p.write_text("0.5\n0.25\n0.75\n")
        np.testing.assert_array_equal(load_scores(p).values, [0.5, 0.25, 0.75])

    def test_malformed(self, tmp_path):
        (tmp_path / "e.csv").write_text("")
        with pytest.raises(ValueError, match=r"source: .*e.csv is empty"):
            load_scores(tmp_path / "e.csv")
        (tmp_path / "h.csv").write_text("acc\n")
        with pytest.raises(ValueError, match=r"source: .*h.csv has a header but no rows \(empty input\)"):
            load_scores(tmp_path / "h.csv")
        (tmp_path / "r.csv").write_text("a,b\n1,2\n3\n")
        with pytest.raises(ValueError, match=r"line 3 has 1 fields, the header has 2"):
            load_scores(tmp_path / "r.csv", "a")
        (tmp_path / "n.csv").write_text("0.1,0.2\n0.3,0.4\n")
        with pytest.raises(ValueError, match=r"no header row"):
            load_scores(tmp_path / "n.csv")
        (tmp_path / "d.csv").write_text("a,a\n1,2\n")
        with pytest.raises(ValueError, match=r"duplicate column names \['a'\]"):
            load_scores(tmp_path / "d.csv")


class TestJSONLinesFlat:
    def test_flat_field(self, tmp_path):
        p = write_jsonl(tmp_path / "r.jsonl", [
            {"iteration": 1, "lr": 0.1, "opt": "adam", "acc": 0.8, "extra": {"x": 1}},
            {"iteration": 2, "lr": 0.2, "opt": "sgd", "acc": 0.7, "extra": {"x": 2}},
        ])
        s = load_scores(p, "acc")
        np.testing.assert_array_equal(s.values, [0.8, 0.7])
        # a nested object is flattened (issue 22: never dropped silently)
        assert set(s.configs) == {"iteration", "lr", "opt", "extra.x"}
        assert s.configs["iteration"].tolist() == [1, 2]
        assert "field" not in s.rule and "'acc'" in s.rule

    def test_missing_field_lists_available(self, tmp_path):
        p = write_jsonl(tmp_path / "r.jsonl", [{"lr": 0.1, "acc": 0.8}])
        with pytest.raises(ValueError, match=r"score: no column 'top_1' .*available columns: 'lr', 'acc'"):
            load_scores(p, "top_1")

    def test_null_score_is_nonfinite(self, tmp_path):
        p = write_jsonl(tmp_path / "r.jsonl", [{"acc": 0.8}, {"acc": None}, {"acc": 0.6}])
        with pytest.raises(ValueError, match=r"nonfinite: 1 of 3 .*indices 1"):
            load_scores(p, "acc")
        s = load_scores(p, "acc", nonfinite="worst", worst=0.0)
        assert s.values.tolist() == [0.8, 0.0, 0.6] and s.failed.tolist() == [False, True, False]

    def test_jsonl_of_numbers_and_bad_line(self, tmp_path):
        (tmp_path / "v.jsonl").write_text("0.1\n\n0.2\n")
        assert load_scores(tmp_path / "v.jsonl").values.tolist() == [0.1, 0.2]
        (tmp_path / "b.jsonl").write_text('{"acc": 0.1}\n{acc: 0.2}\n')
        with pytest.raises(ValueError, match=r"b.jsonl line 2 is not valid JSON"):
            load_scores(tmp_path / "b.jsonl", "acc")
        (tmp_path / "m.jsonl").write_text('{"acc": 0.1}\n0.2\n')
        with pytest.raises(ValueError, match=r"not a mix"):
            load_scores(tmp_path / "m.jsonl", "acc")
        (tmp_path / "e.jsonl").write_text("\n")
        with pytest.raises(ValueError, match=r"source: .*empty input"):
            load_scores(tmp_path / "e.jsonl")

    def test_json_document_forms(self, tmp_path):
        (tmp_path / "a.json").write_text(json.dumps([{"acc": 0.5, "lr": 1}, {"acc": 0.6, "lr": 2}]))
        assert load_scores(tmp_path / "a.json", "acc").values.tolist() == [0.5, 0.6]
        (tmp_path / "c.json").write_text(json.dumps({"acc": [0.5, 0.6], "opt": ["a", "b"]}))
        s = load_scores(tmp_path / "c.json")
        assert s.values.tolist() == [0.5, 0.6] and s.configs["opt"].tolist() == ["a", "b"]
        (tmp_path / "l.json").write_text("[0.3, 0.4]")
        assert load_scores(tmp_path / "l.json").values.tolist() == [0.3, 0.4]
        (tmp_path / "x.json").write_text("3.5")
        with pytest.raises(ValueError, match=r"single float, not runs"):
            load_scores(tmp_path / "x.json")


class TestCurves:
    RECORDS = [
        {"lr": 0.1, "curve": [{"epoch": 0, "top_1": 0.2}, {"epoch": 1, "top_1": 0.5}, {"epoch": 2, "top_1": 0.4}]},
        {"lr": 0.2, "curve": []},
        {"lr": 0.3, "curve": [{"epoch": 0, "top_1": None}, {"epoch": 1, "top_1": float("nan")}]},
        {"lr": 0.4, "curve": [{"epoch": 0, "top_1": 0.1}, {"epoch": 1, "top_1": None}]},
    ]

    def test_list_of_dicts_best(self, tmp_path):
        p = write_jsonl(tmp_path / "r.jsonl", self.RECORDS)
        s = load_scores(p, curve="curve[].top_1", worst=0.0)
        np.testing.assert_array_equal(s.values, [0.5, 0.0, 0.0, 0.1])
        np.testing.assert_array_equal(s.failed, [False, True, True, False])
        assert s.rule == (
            "score = max of curve[].top_1 over the learning curve; "
            "runs with no finite value get the worst score 0 (2 runs)"
        )
        np.testing.assert_array_equal(s.learning_curves[0], [[0, 0.2], [1, 0.5], [2, 0.4]])
        assert s.learning_curves[1].shape == (0, 2)
        assert np.isnan(s.learning_curves[2][:, 1]).all()
        np.testing.assert_array_equal(s.configs["lr"], [0.1, 0.2, 0.3, 0.4])
        assert "curve" not in s.configs

    def test_worst_default_and_minimize_and_last(self, tmp_path):
        p = write_jsonl(tmp_path / "r.jsonl", self.RECORDS)
        s = load_scores(p, curve="curve[].top_1")
        np.testing.assert_array_equal(s.values, [0.5, 0.1, 0.1, 0.1])
        assert "the lowest finite score; `worst` not given" in s.rule
        m = load_scores(p, curve="curve[].top_1", minimize=True, worst=1.0)
        np.testing.assert_array_equal(m.values, [0.2, 1.0, 1.0, 0.1])
        assert m.rule.startswith("score = min of curve[].top_1")
        last = load_scores(p, curve="curve[].top_1", reduce="last", worst=0.0)
        np.testing.assert_array_equal(last.values, [0.4, 0.0, 0.0, 0.1])
        assert last.rule.startswith("score = last finite value of")

    def test_drop_failed_curves(self, tmp_path):
        p = write_jsonl(tmp_path / "r.jsonl", self.RECORDS)
        s = load_scores(p, curve="curve[].top_1", nonfinite="drop")
        np.testing.assert_array_equal(s.values, [0.5, 0.1])
        np.testing.assert_array_equal(s.configs["lr"], [0.1, 0.4])
        assert len(s.learning_curves) == 2
        assert "2 runs with no finite value on the curve dropped (indices 1, 2)" in s.rule

    def test_budget_from_position_when_no_budget_key(self, tmp_path):
        p = write_jsonl(tmp_path / "r.jsonl", [{"c": [{"m": {"v": 3.0}}, {"m": {"v": 1.0}}]}])
        s = load_scores(p, curve="c[].m.v", minimize=True)
        np.testing.assert_array_equal(s.learning_curves[0], [[0, 3.0], [1, 1.0]])
        assert s.values.tolist() == [1.0]

    def test_pairs(self, tmp_path):
        p = write_jsonl(tmp_path / "r.jsonl", [
            {"bs": 16, "learning_curves": {"matched": [[1000, 0.8], [2000, 0.9], [2500, 0.85]], "mismatched": []}},
            {"bs": 32, "learning_curves": {"matched": [[1000, 0.7]], "mismatched": []}},
            {"bs": 64, "learning_curves": {"matched": None, "mismatched": []}},
        ])
        s = load_scores(p, curve="learning_curves.matched", worst=0.0)
        np.testing.assert_array_equal(s.values, [0.9, 0.7, 0.0])
        np.testing.assert_array_equal(s.failed, [False, False, True])
        np.testing.assert_array_equal(s.learning_curves[0][:, 0], [1000, 2000, 2500])
        assert s.configs["bs"].tolist() == [16, 32, 64]

    def test_bare_values_and_all_finite_rule(self, tmp_path):
        p = write_jsonl(tmp_path / "r.jsonl", [{"loss": [3.0, 2.0, 2.5]}, {"loss": [4.0]}])
        s = load_scores(p, curve="loss", minimize=True)
        np.testing.assert_array_equal(s.values, [2.0, 4.0])
        np.testing.assert_array_equal(s.learning_curves[0][:, 0], [0, 1, 2])
        assert s.rule.endswith("every run has a finite value")

    def test_curve_errors(self, tmp_path):
        p = write_jsonl(tmp_path / "r.jsonl", [{"lc": [{"epoch": 0, "acc": 0.1}]}, {"lr": 1}])
        with pytest.raises(ValueError, match=r"curve: record 1 has no field 'lc' .*it has \['lr'\]"):
            load_scores(p, curve="lc[].acc")
        with pytest.raises(ValueError, match=r"curve: record 0, point 0 has no field 'top_1'"):
            load_scores(p, curve="lc[].top_1")
        with pytest.raises(ValueError, match=r"curve: record 0, point 0 of 'lc' is .*expected numbers or \[budget, value\] pairs"):
            load_scores(p, curve="lc")
        with pytest.raises(ValueError, match=r"curve: 'lc\[\]' is incomplete"):
            load_scores(p, curve="lc[]")
        with pytest.raises(ValueError, match=r"curve: 'a\[\].b\[\].c' has more than one"):
            load_scores(p, curve="a[].b[].c")
        q = write_jsonl(tmp_path / "q.jsonl", [{"lc": [{"epoch": 0, "acc": "high"}]}])
        with pytest.raises(ValueError, match=r"curve: record 0, point 0 holds 'high', not a number"):
            load_scores(q, curve="lc[].acc")

    def test_curve_from_dict_of_columns(self):
        cols = {"lr": [0.1, 0.2], "lc": [[[0, 0.3], [1, 0.6]], []]}
        s = load_scores(cols, curve="lc", worst=0.0)
        np.testing.assert_array_equal(s.values, [0.6, 0.0])
        assert s.configs["lr"].tolist() == [0.1, 0.2]


class TestOtherSources:
    def test_npy(self, tmp_path):
        np.save(tmp_path / "v.npy", np.array([0.3, 0.1]))
        assert load_scores(tmp_path / "v.npy", minimize=True).values.tolist() == [0.3, 0.1]
        np.save(tmp_path / "m.npy", np.ones((2, 3)))
        with pytest.raises(ValueError, match=r"1-D, got shape \(2, 3\)"):
            load_scores(tmp_path / "m.npy")
        rec = np.array([(0.1, 5), (0.2, 6)], dtype=[("acc", "f8"), ("bs", "i8")])
        np.save(tmp_path / "s.npy", rec)
        s = load_scores(tmp_path / "s.npy", "acc")
        assert s.values.tolist() == [0.1, 0.2] and s.configs["bs"].tolist() == [5, 6]

    def test_txt(self, tmp_path):
        p = tmp_path / "v.txt"
        p.write_text("# accuracies\n0.5\n\n0.6  # second\n")
        assert load_scores(p).values.tolist() == [0.5, 0.6]
        (tmp_path / "b.txt").write_text("0.5\nabc\n")
        with pytest.raises(ValueError, match=r"b.txt line 2 is not a number: 'abc'"):
            load_scores(tmp_path / "b.txt")

    def test_dict_of_columns(self):
        s = load_scores({"acc": np.array([0.1, 0.2]), "lr": [1e-3, 1e-2], "opt": ["a", "b"]}, "acc")
        assert s.values.tolist() == [0.1, 0.2]
        assert set(s.configs) == {"lr", "opt"} and s.rule == "score = column 'acc' of the given columns"
        with pytest.raises(ValueError, match=r"columns of the given columns differ in length: \{'acc': 2, 'lr': 1\}"):
            load_scores({"acc": [0.1, 0.2], "lr": [1.0]}, "acc")
        with pytest.raises(ValueError, match=r"score: the given columns has no numeric column; available columns: 'opt'"):
            load_scores({"opt": ["a", "b"]})
        with pytest.raises(ValueError, match=r"score: column 'flag' is not numeric \(row 0 holds True"):
            load_scores({"flag": np.array([True, False])}, "flag")
        with pytest.raises(ValueError, match=r"score: column 'acc' must be 1-D, got shape \(2, 2\)"):
            load_scores({"acc": np.ones((2, 2))}, "acc")
        with pytest.raises(ValueError, match=r"source: 'acc' of the given columns is a single float, not a column"):
            load_scores({"acc": 0.5})
        with pytest.raises(ValueError, match=r"source: the given columns has no columns"):
            load_scores({})

    def test_dataframe(self):
        df = pd.DataFrame({"acc": [0.5, np.nan, 0.7], "lr": [1, 2, 3], "opt": ["a", "b", "c"]})
        s = load_scores(df, "acc", nonfinite="worst", worst=0.0)
        assert s.values.tolist() == [0.5, 0.0, 0.7]
        assert s.configs["lr"].tolist() == [1, 2, 3] and s.configs["opt"].tolist() == ["a", "b", "c"]
        with pytest.raises(ValueError, match=r"score: no column 'loss' .*'acc', 'lr', 'opt'"):
            load_scores(df, "loss")
        series = load_scores(df["lr"], minimize=True)
        assert series.values.tolist() == [1.0, 2.0, 3.0] and series.configs is None

    def test_records_sequence(self):
        s = load_scores([{"acc": 0.1, "lr": 1.0}, {"acc": 0.3, "lr": 2.0}], "acc")
        assert s.values.tolist() == [0.1, 0.3] and s.configs["lr"].tolist() == [1.0, 2.0]

    def test_path_errors(self, tmp_path):
        with pytest.raises(FileNotFoundError, match=r"no such file"):
            load_scores(tmp_path / "missing.csv")
        (tmp_path / "x.parquet").write_text("")
        with pytest.raises(ValueError, match=r"source: unsupported file type '.parquet'"):
            load_scores(tmp_path / "x.parquet")


class TestFileProblems:
    """Issue 24: a bad file is a message naming the file, the line and what is wrong."""

    @pytest.mark.parametrize("suffix, what", [(".csv", "CSV"), (".jsonl", "JSON Lines"),
                                              (".json", "JSON"), (".txt", r"\.txt")])
    def test_binary_garbage_is_not_a_text_file(self, tmp_path, suffix, what):
        p = tmp_path / f"g{suffix}"
        p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
        with pytest.raises(ValueError, match=rf"source: .*g{re.escape(suffix)} is not a text {what} "
                           r"file: byte 0x89 at offset 0 is not UTF-8") as info:
            load_scores(p)
        assert not isinstance(info.value, UnicodeDecodeError)

    def test_invalid_utf8_later_in_the_file_and_nul_bytes(self, tmp_path):
        p = tmp_path / "latin1.csv"
        p.write_bytes("name,acc\ncaf\u00e9,0.8\n".encode("latin-1"))
        with pytest.raises(ValueError, match=r"latin1.csv is not a text CSV file: byte 0xe9 at "
                           r"offset 12 is not UTF-8"):
            load_scores(p, "acc")
        (tmp_path / "nul.csv").write_bytes(b"acc\n0.5\x00\n")
        with pytest.raises(ValueError, match=r"nul.csv is not a text CSV file: it holds a NUL "
                           r"byte at offset 7"):
            load_scores(tmp_path / "nul.csv")
        (tmp_path / "g.npy").write_bytes(b"not numpy at all")
        with pytest.raises(ValueError, match=r"source: .*g.npy is not a NumPy .npy file"):
            load_scores(tmp_path / "g.npy")

    def test_byte_order_mark_is_stripped(self, tmp_path):
        bom = b"\xef\xbb\xbf"
        (tmp_path / "b.csv").write_bytes(bom + b"accuracy,lr\n0.8,1\n0.9,2\n")
        s = load_scores(tmp_path / "b.csv", "accuracy")
        assert s.values.tolist() == [0.8, 0.9] and list(s.configs) == ["lr"]
        (tmp_path / "b.jsonl").write_bytes(bom + b'{"acc": 0.8}\n{"acc": 0.9}\n')
        assert load_scores(tmp_path / "b.jsonl", "acc").values.tolist() == [0.8, 0.9]
        (tmp_path / "b.json").write_bytes(bom + b"[0.8, 0.9]")
        assert load_scores(tmp_path / "b.json").values.tolist() == [0.8, 0.9]
        (tmp_path / "b.txt").write_bytes(bom + b"0.8\n0.9\n")
        assert load_scores(tmp_path / "b.txt").values.tolist() == [0.8, 0.9]

    def test_csv_line_numbers_count_blank_lines(self, tmp_path):
        (tmp_path / "r.csv").write_text("a,b\n\n1,2\n\n3\n")
        with pytest.raises(ValueError, match=r"r.csv line 5 has 1 fields, the header has 2"):
            load_scores(tmp_path / "r.csv", "a")

    def test_record_without_the_score_field_names_the_line(self, tmp_path):
        p = tmp_path / "r.jsonl"
        p.write_text('{"acc": 0.8, "lr": 1}\n\n{"lr": 2}\n{"acc": null, "lr": 3}\n')
        with pytest.raises(ValueError, match=r"score: .*r.jsonl line 3 \(1 record of 3\) has no "
                           r"field 'acc'"):
            load_scores(p, "acc")
        with pytest.raises(ValueError, match=r"r.jsonl line 3 .*no field 'acc'"):
            load_scores(p, "acc", nonfinite="worst")  # missing is not "not finite"
        p.write_text('{"acc": 0.8}\n{"lr": 2}\n{"lr": 3}\n')
        with pytest.raises(ValueError, match=r"r.jsonl lines 2, 3 \(2 records of 3\) have no "
                           r"field 'acc'"):
            load_scores(p, "acc")
        (tmp_path / "r.json").write_text(json.dumps([{"acc": 0.8}, {"lr": 2}]))
        with pytest.raises(ValueError, match=r"r.json, record at index 1 .*no field 'acc'"):
            load_scores(tmp_path / "r.json", "acc")
        with pytest.raises(ValueError, match=r"the given records, record at index 0 .*'acc'"):
            load_scores([{"lr": 1}, {"acc": 0.5}], "acc")

    def test_null_score_still_follows_the_worst_score_rule(self, tmp_path):
        p = write_jsonl(tmp_path / "r.jsonl", [{"acc": 0.8}, {"acc": None}, {"acc": float("nan")}])
        with pytest.raises(ValueError, match=r"nonfinite: 2 of 3 scores are not finite"):
            load_scores(p, "acc")
        s = load_scores(p, "acc", nonfinite="worst", worst=0.0)
        assert s.values.tolist() == [0.8, 0.0, 0.0] and s.n_failed == 2

    @pytest.mark.parametrize("bounds, rule", [((1, 0), "with low < high"),
                                              ((0.5, 0.5), "with low < high"),
                                              ((0, 1, 2), "of numbers or None"),
                                              ((0,), "of numbers or None"),
                                              ("01", "of numbers or None")])
    def test_bad_bounds_use_the_validation_grammar(self, bounds, rule):
        message = rf"bounds must be a pair \(low, high\) {rule}, got bounds={re.escape(repr(bounds))}"
        with pytest.raises(ValueError, match=message):
            load_scores([0.5, 0.6], bounds=bounds)
        with pytest.raises(ValueError, match=message):
            as_scores([0.5, 0.6], bounds=bounds)


# --------------------------------------------------------------------------- check_tail


class TestCheckTail:
    def test_counts(self):
        y = np.arange(10.0)
        assert check_tail(y, 4.0, minimize=False) == 5
        assert check_tail(y, 5.0, minimize=True) == 5
        assert check_tail(Scores(y, minimize=True), 5.0) == 5

    def test_all_equal(self):
        with pytest.raises(ValueError, match=r"values: all 4 scores equal 0.5"):
            check_tail([0.5] * 4, 0.5, False)

    def test_outside_range_names_range(self):
        with pytest.raises(ValueError, match=r"threshold: 2 lies outside the data range \[0, 1\]"):
            check_tail([0.0, 0.5, 1.0], 2.0, False)

    def test_too_few_suggests_threshold(self):
        y = np.linspace(0, 1, 100)
        with pytest.raises(ValueError, match=r"only 3 of 100 scores lie strictly above 0.975") as info:
            check_tail(y, 0.975, False)
        suggested = float(re.search(r"a threshold of (\S+) leaves (\d+)", str(info.value)).group(1))
        assert check_tail(y, suggested, False) == 20
        with pytest.raises(ValueError, match=r"strictly below .* leaves 20 of 100 runs \(20%\)") as info:
            check_tail(y, 0.02, True)
        suggested = float(re.search(r"a threshold of (\S+)", str(info.value)).group(1))
        assert check_tail(y, suggested, True) == 20

    def test_suggestion_with_ties(self):
        y = np.array([0.0] * 40 + [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
        with pytest.raises(ValueError, match=r"a threshold of 0.1 leaves 5 of 46") as info:
            check_tail(y, 0.45, False, min_tail=5)
        assert "only 2 of 46" in str(info.value)

    def test_argument_errors(self):
        with pytest.raises(ValueError, match=r"minimize must be True or False \(it may be left out only when values is a Scores\), got minimize=None"):
            check_tail([0.0, 1.0], 0.5)
        with pytest.raises(ValueError, match=r"min_tail must be an integer >= 1, got min_tail=0"):
            check_tail([0.0, 1.0], 0.5, False, min_tail=0)
        with pytest.raises(ValueError, match=r"minimize must be None or the Scores' own minimize=False, got minimize=True"):
            check_tail(Scores([0.0, 1.0], minimize=False), 0.5, True)
        with pytest.raises(ValueError, match=r"threshold must be a number, got threshold='x'"):
            check_tail([0.0, 1.0], "x", False)


# --------------------------------------------------------------------------- bundled datasets


class TestDatasets:
    def test_names_and_aliases(self):
        assert datasets.names() == ("alexnet", "deberta-v3", "convnext")
        for alias in ("deberta", "deberta-v3-base", "DeBERTa-V3", "deberta_v3"):
            assert datasets.load(alias).name == "deberta-v3"
        with pytest.raises(ValueError, match=r"name: unknown dataset 'resnet18'; valid names are 'alexnet', 'deberta-v3', 'convnext'"):
            datasets.load("resnet18")
        with pytest.raises(ValueError, match=r"metric: unknown metric 'loss'; valid metrics are 'accuracy', 'error'"):
            datasets.load("alexnet", metric="loss")

    def test_alexnet_counts(self):
        s = datasets.load("alexnet")
        assert len(s) == 512 and not s.minimize
        assert s.n_failed == 49
        assert np.all(s.values[s.failed] == 0.0)
        assert all(len(s.learning_curves[i]) == 0 for i in np.flatnonzero(s.failed))
        assert round(float(s.values.max()), 5) == 0.58558
        assert round(float(np.median(s.values)), 5) == 0.02043
        assert s.values.min() == 0.0
        assert int((s.values <= 0.05).sum()) == 275
        assert s.bounds == (0.0, 1.0) and s.n_hyperparameters == 7
        nan_loss = s.configs["nan_train_loss"]
        assert nan_loss.dtype == bool and int(nan_loss.sum()) == 147
        assert not np.any(s.failed & ~nan_loss)
        assert sum(c[-1, 1] < c[:, 1].max() for c in s.learning_curves if len(c)) == 87
        assert "max of" in s.rule and "top_1" in s.rule and "0.0 (49 runs)" in s.rule

    def test_convnext_counts(self):
        s = datasets.load("convnext")
        assert len(s) == 512 and not s.minimize and s.n_failed == 71
        assert np.all(s.values[s.failed] == 0.0)
        assert int((s.values > 0.6).sum()) == 104
        assert round(float(s.values.max()), 5) == 0.74888
        assert s.bounds == (0.0, 1.0) and s.n_hyperparameters == 7
        assert s.search_space == datasets.load("alexnet").search_space
        assert datasets.load("ConvNeXt-Tiny").name == "convnext"
        assert datasets.info("convnext")["source_file"] == "convnext-tiny_tuning.results.jsonl"

    def test_deberta_counts(self):
        s = datasets.load("deberta-v3")
        assert len(s) == 1024 and not s.minimize and s.n_failed == 0
        assert [round(float(f(s.values)), 5) for f in (np.min, np.median, np.max)] == [0.32736, 0.89414, 0.90759]
        assert int((s.values > 0.89).sum()) == 588
        lengths = [len(c) for c in s.learning_curves]
        assert (min(lengths), max(lengths)) == (7, 102)
        assert sum(c[-1, 1] < c[:, 1].max() for c in s.learning_curves) == 765
        assert s.bounds == (0.0, 1.0) and s.n_hyperparameters == 5
        assert "matched" in s.rule and "no worst score" in s.rule

    def test_error_metric_is_one_minus_accuracy(self):
        for name in datasets.names():
            acc, err = datasets.load(name), datasets.load(name, metric="error")
            assert err.minimize and not acc.minimize
            np.testing.assert_array_equal(err.values, 1.0 - acc.values)
            np.testing.assert_array_equal(err.failed, acc.failed)
            np.testing.assert_array_equal(err.learning_curves[3][:, 1], 1.0 - acc.learning_curves[3][:, 1])
        assert datasets.load("alexnet", "error").values.max() == 1.0
        assert round(float(datasets.load("deberta", "error").values.min()), 5) == 0.09241

    @pytest.mark.parametrize("name", ["alexnet", "deberta-v3", "convnext"])
    def test_configs_inside_search_space(self, name):
        s = datasets.load(name)
        assert len(s.search_space) == s.n_hyperparameters
        for key, dist in s.search_space.items():
            x = s.configs[key]
            assert len(x) == len(s)
            if dist["kind"] == "choice":
                assert set(np.unique(x).tolist()) <= set(dist["choices"])
            else:
                assert dist["low"] <= x.min() and x.max() <= dist["high"], key
                if dist["kind"] == "integer":
                    assert np.issubdtype(x.dtype, np.integer)
                    assert x.min() == dist["low"] and x.max() == dist["high"]

    def test_derived_proportions(self):
        a = datasets.load("alexnet").configs
        p = a["lr_peak_proportion"]
        np.testing.assert_array_equal(p, a["lr_peak_epoch"] / a["epochs"])
        assert 0.78 < p.max() < 0.8
        d = datasets.load("deberta").configs
        w = d["warmup_proportion"]
        np.testing.assert_allclose(w * d["total_model_steps"] / d["num_train_epochs"], d["warmup_steps"])
        assert 0.59 < w.max() <= 0.6

    def test_arrays_and_info(self):
        arr = datasets.arrays("alexnet")
        off = arr["curve_offsets"]
        assert off[0] == 0 and off[-1] == len(arr["curve.top_1"]) and len(off) == 513
        assert arr["run.iteration"].tolist() == list(range(1, 513))
        assert {"curve.matched", "curve.mismatched", "curve.step"} <= set(datasets.arrays("deberta"))
        meta = datasets.info("deberta-v3")
        assert meta["n_runs"] == 1024 and "CC BY-SA 4.0" in meta["license"]
        assert meta["source_file"] == "deberta-v3-base_tuning.results.jsonl"

    def test_package_data_small_and_attributed(self):
        folder = ROOT / "bayesnq" / "datasets"
        data_files = [p for p in folder.iterdir() if p.suffix == ".npz"]
        assert sorted(p.name for p in data_files) == ["alexnet.npz", "convnext.npz", "deberta-v3.npz"]
        assert sum(p.stat().st_size for p in folder.iterdir() if p.is_file()) < 5 * 2**20
        lic = (folder / "LICENSE").read_text()
        assert "CC BY-SA 4.0" in lic and "AlexNet Hyperparameter Tuning Data" in lic
        assert "DeBERTa Hyperparameter Tuning Data" in lic
        assert "ConvNeXt Hyperparameter Tuning Data" in lic
        attribution = (folder / "ATTRIBUTION.md").read_text()
        for needle in ("Nicholas Lourie", "Kyunghyun Cho", "He He", "2311.09480",
                       "github.com/nicholaslourie/opda", "format conversion"):
            assert needle.lower() in attribution.lower(), needle


def test_build_tool_round_trip(tmp_path):
    spec = importlib.util.spec_from_file_location("build_datasets", ROOT / "tools" / "build_datasets.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    src = tmp_path / "src"
    (src / "alexnet").mkdir(parents=True)
    (src / "deberta").mkdir()
    alex = [
        {"iteration": 1, "nan_train_loss": False, "epochs": 20, "batch_size": 128, "lr": 0.5,
         "lr_peak_epoch": 3, "momentum": 0.9, "weight_decay": 1e-5, "label_smoothing": 0.1,
         "learning_curve": [{"time": 1.5, "epoch": 0, "top_1": float(np.float32(0.25)),
                             "top_5": float(np.float32(0.5)), "train_loss": float(np.float32(6.5))}]},
        {"iteration": 2, "nan_train_loss": True, "epochs": 30, "batch_size": 256, "lr": 40.0,
         "lr_peak_epoch": 0, "momentum": 0.7, "weight_decay": 1e-4, "label_smoothing": 0.0,
         "learning_curve": []},
    ]
    deb = [
        {"iteration": 1, "num_train_epochs": 2, "train_batch_size": 16, "total_model_steps": 3000,
         "learning_rate": 1e-5, "warmup_steps": 150, "cls_drop_out": 0.1,
         "learning_curves": {"matched": [[1000, 0.8], [3000, 0.85]], "mismatched": [[1000, 0.79], [3000, 0.84]]}},
    ]
    write_jsonl(src / "alexnet" / "alexnet_tuning.results.jsonl", alex)
    write_jsonl(src / "deberta" / "deberta-v3-base_tuning.results.jsonl", deb)
    for sub in ("alexnet", "deberta"):
        (src / sub / "LICENSE").write_text(f"{sub} notice, CC BY-SA 4.0")
        (src / sub / "README.md").write_text(f"# {sub}")
    out = tmp_path / "out"
    sizes = tool.build(src, out)
    assert set(sizes) == {"alexnet.npz", "deberta-v3.npz"}
    arrays, meta = tool.read_archive(out / "alexnet.npz")
    assert tool.rebuild_alexnet(arrays) == alex
    assert meta["n_runs"] == 2 and meta["license_notice"] == "alexnet notice, CC BY-SA 4.0"
    arrays, _ = tool.read_archive(out / "deberta-v3.npz")
    assert tool.rebuild_deberta(arrays) == deb
    assert "deberta notice" in (out / "LICENSE").read_text()
    assert (out / "alexnet.README.md").read_text() == "# alexnet"
    bad = [dict(alex[0], top_1=0.3)]
    write_jsonl(src / "alexnet" / "alexnet_tuning.results.jsonl", bad)
    with pytest.raises(ValueError, match=r"alexnet record 0: fields"):
        tool.build(src, out)
