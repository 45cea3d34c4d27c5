"""`glassgrad train` (nn/cli/train.py): what it trains, the two files it saves, its bad input."""

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import warnings

import numpy as np
import pytest

from cli_helpers import HAS_PROC, refuse_files_in, run, write_csv
from interrupt_helpers import SignalInStep, python_s_own_sigint_handler, step_counts  # noqa: F401
from nn import load, load_trained, optim
from nn.train import TrainingDiverged

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def colours_csv(tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    for i in range(120):
        label = "red" if i % 2 else "blue"
        centre = 2.0 if label == "red" else -2.0
        x1, x2 = rng.normal(centre, 0.7, 2)
        rows.append((f"{x1 + 100:.4f}", label, f"{x2:.4f}"))       # x1 far from 0: standardised
    return write_csv(tmp_path / "colours.csv", ["x1", "colour", "x2"], rows)


def test_train_classifies_a_csv_and_saves_weights_and_settings(colours_csv, tmp_path, capsys):
    out = tmp_path / "model.npz"
    code, text, err = run(["train", "--csv", str(colours_csv), "--target", "colour",
                           "--hidden", "8", "--epochs", "20", "--out", str(out)], capsys)
    assert code == 0, err
    assert "to classify 'colour' from 2 features (96 rows, 24 for validation)" in text
    assert float(re.search(r"validation accuracy (\d\.\d+)", text).group(1)) >= 0.95
    settings = json.loads((tmp_path / "model.json").read_text())
    digest = hashlib.sha256((tmp_path / "model.npz").read_bytes()).hexdigest()
    fill = settings.pop("fill")             # the training rows' medians, for missing values
    assert settings == {"task": "classify", "target": "colour", "features": ["x1", "x2"],
                        "hidden": [8], "activation": "relu", "classes": ["blue", "red"],
                        "columns": ["x1", "x2"], "categories": {},
                        "weights": "model.npz", "weights_sha256": digest}
    assert sorted(fill) == ["x1", "x2"] and fill["x1"] == pytest.approx(100, abs=1)
    state = load(out)
    assert set(state) == {"0.weight", "0.bias", "2.weight", "2.bias", "input_mean", "input_std",
                          "settings"}
    assert {**state["settings"], "weights": "model.npz", "weights_sha256": digest} == \
        {**settings, "fill": fill}
    assert state["input_mean"][0] == pytest.approx(100, abs=0.5)
    assert f"saved the weights to {out} and the settings to {tmp_path / 'model.json'}" in text


@pytest.mark.parametrize("name, given, made_as, lr, steps, options", [
    ("asgd", [], "ASGD", 0.01, 60, {}),
    ("rprop", [], "Rprop", 0.01, 60, {}),
    ("adafactor", [], "Adafactor", 0.01, 60, {}),
    ("radam", [], "RAdam", 0.01, 60, {}),
    ("adadelta", [], "Adadelta", 1.0, 60, {}),      # at 0.01 it had learnt little in 50 epochs
    ("lbfgs", [], "LBFGS", 1.0, 20, {"line_search_fn": "strong_wolfe"}),    # one step an epoch
    ("lbfgs", ["--batch-size", "48", "--lr", "0.5"], "LBFGS", 0.5, 40,
     {"line_search_fn": "strong_wolfe"}),
])
def test_each_optimizer_trains_with_its_lr_and_batches(colours_csv, tmp_path, capsys,
                                                       monkeypatch, name, given, made_as, lr,
                                                       steps, options):
    """96 training rows, 20 epochs: 3 steps an epoch in batches of 32, one for L-BFGS, which
    takes all the rows at once (a fixed step on mini-batches made it diverge)."""
    made = []

    class Spy(getattr(optim, made_as)):
        def __init__(self, params, **settings):
            super().__init__(params, **settings)
            self.settings, self.steps = settings, 0
            made.append(self)

        def step(self, closure=None):
            self.steps += 1
            return super().step(closure)

    monkeypatch.setattr(optim, made_as, Spy)
    code, text, err = run(["train", "--csv", str(colours_csv), "--target", "colour",
                           "--hidden", "8", "--epochs", "20", "--optimizer", name, *given,
                           "--no-progress", "--out", str(tmp_path / "model.npz")], capsys)
    assert code == 0, err
    assert float(re.search(r"validation accuracy (\d\.\d+)", text).group(1)) >= 0.95
    assert len(made) == 1 and made[0].settings == {"lr": lr, **options}
    assert made[0].steps == steps


@pytest.mark.parametrize("out, weights, settings", [
    ("model.json", "model.npz", "model.json"),          # once overwrote the weights
    ("model", "model.npz", "model.json"),
    ("model.npz", "model.npz", "model.json"),
    ("run.v2", "run.v2.npz", "run.v2.json"),
    ("model.JSON", "model.npz", "model.json"),
])
def test_any_out_name_keeps_the_weights(colours_csv, tmp_path, capsys, out, weights, settings):
    code, text, err = run(["train", "--csv", str(colours_csv), "--target", "colour",
                           "--hidden", "4", "--epochs", "2", "--out", str(tmp_path / out)],
                          capsys)
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["colours.csv", weights,
                                                                 settings])
    assert json.loads((tmp_path / settings).read_text())["weights"] == weights
    assert "0.weight" in load(tmp_path / weights)
    assert load_trained(tmp_path / out).features == ["x1", "x2"]


def test_train_regresses_a_numeric_target(tmp_path, capsys):
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, (200, 3))
    y = X @ [1.5, -2.0, 0.5] + 3.0
    path = write_csv(tmp_path / "houses.csv", ["a", "b", "c", "price"],
                     [(*np.round(x, 4), round(t, 4)) for x, t in zip(X, y)])
    code, text, err = run(["train", "--csv", str(path), "--target", "price", "--hidden", "",
                           "--lr", "0.05", "--epochs", "60", "--out", str(tmp_path / "m.npz")],
                          capsys)
    assert code == 0, err
    assert "to regress 'price'" in text
    assert float(re.search(r"R² (-?\d\.\d+)", text).group(1)) > 0.99


@pytest.mark.parametrize("content, message", [
    ("", "the file is empty"),
    ("a,b,label\n", "only a header row, no data"),
    ("a,b,colour\n1,2,x\n3,4,y\n", "no column 'label' (the target); the columns are a, b, colour"),
    # a column named with another case, or a typo: the message names it
    ("a,b,Label\n1,2,0\n3,4,1\n", "no column 'label' (the target); the columns are a, b, Label; "
                                   "did you mean 'Label'?\n"),
    ("a,b,lable\n1,2,0\n3,4,1\n", "did you mean 'lable'?\n"),
    # no header row (np.savetxt writes none): its columns are numbered, so a name is none of them
    ("1.5,2,0\n3,4,1\n", "no column 'label' (the target); the file has no header row (its first "
                          "line is data), so its 3 columns are numbered 0 to 2: give positions "
                          "(--target 2 or -1 for the last), or add a header row of names\n"),
    # the same, with a number repeated: not "the header names '1' more than once"
    ("1,0,1,2\n3,4,5,1\n", "data.csv: no column 'label' (the target); the file has no header "
                           "row"),
    ("1,,3,0\n3,4,5,1\n", "data.csv: no column 'label' (the target); the file has no header "
                          "row"),       # not "column 2 of the header has no name"
    ("a,b,label\n1,2,0\n3,oops,1\n5,6,0\n", "line 3, column 'b': 'oops' is not a number (the "
     "other cells of 'b' are numbers: write this one as a number or remove the row, or "
     "leave the column out: --ignore b)"),
    ("a,b,label\n1,2,0\n3,1\n", "line 3: 2 values, the header has 3"),
    ("a,b,label\n1,2,0\n3\n", "line 3: 1 value, the header has 3"),
    # a quote left open took the rest of the file into one class: trained on 2 rows, status 0
    ("a,b,label\n1,2,red\n3,4,\"blue\n5,6,red\n7,8,blue\n" + "1,1,red\n" * 30,
     "data.csv, line 3: not a readable CSV row (unexpected end of data); check its quotes\n"),
    ("a,b,label\n1,2,red\n3,4,\"blue\n5,6,red\n7,8,blue\"\n" + "1,1,red\n" * 30,
     "data.csv, line 3: a quoted cell goes on over lines 3-5 (a quote left open?); glassgrad "
     "reads one row per line\n"),
    # read as the number 12
    ("a,b,label\n\"1\"2,2,0\n3,4,1\n", "data.csv, line 2: not a readable CSV row (',' "
                                      "expected after '\"'); check its quotes\n"),
    ("a,b,label\n1,2,0\n3,4,0\n5,6,0\n7,8,0\n", "the target has a single class '0'"),
    # (a missing value, "nan" or "NA" or "", is filled in: tests/test_cli_trial.py)
    ("a,b,label\n1,inf,0\n3,4,1\n", "line 2, column 'b': 'inf' is not a finite number"),
    # a word among numbers is a slip of the keyboard, not a category to encode
    ("a,b,label\n1,2,0\n3,4,1\n5,three,0\n", "line 4, column 'b': 'three' is not a number "
     "(the other cells of 'b' are numbers: write this one as a number or remove the row, "
     "or leave the column out: --ignore b)\n"),

    # a missing target cell names its row: never a class "" of its own
    ("a,b,label\n1,2,0\n3,4,1\n\n5,6,\n7,8,1\n", "line 5: the 'label' cell is empty"),
    ("a,b,label\n1,2,0.5\n3,4,1.5\n5,6,inf\n7,8,2\n" + "1,1,0.25\n" * 30,
     "line 4: a numeric target (regression) needs a finite number in 'label', found 'inf'"),
    ("label\n1\n2\n", "needs at least one feature column besides 'label'"),
    # one class per row: a 200-class model and a 200 x 200 confusion matrix were made
    ("a,label\n1,ann\n2,bob\n3,cy\n4,di\n",
     "data.csv: the target 'label' has a different value in every row (4 rows): no class is "
     "seen twice\n"),
    ("a,label\n1,10\n2,20\n3,30\n4,40\n", "the target 'label' has a different value in every "
     "row (4 rows): no class is seen twice; to predict a number use --task regress"),
    # a repeated name found only its first column: the same statistics stored for both
    ("a,a,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n",
     "data.csv: the header names 'a' more than once; give each column its own name"),
    ("b, a,a,label, b\n1,2,3,0,4\n", "the header names 'b', 'a' more than once"),
    # the trailing commas of some exports: "line 2, column '': '' is not a number"
    ("a,b,label,\n1,2,0,\n3,4,1,\n", "data.csv: column 4 of the header has no name (a "
                                     "trailing comma?); name every column or remove the empty one"),
    # (semicolons and tabs are read: tests/test_cli_trial.py)
    # beyond float32: numpy's overflow warning, then "'1e39' is not a finite number (nan or inf)"
    ("a,b,label\n1,2,0\n3,-1e39,1\n", "line 3, column 'b': '-1e39' is too large for float32 "
                                       "(beyond ±3.4e38)"),
    # a target beyond float32 was an inf: a warning, then "unexpected ValueError", exit 1
    ("a,b,label\n1,2,0.5\n3,4,1.5\n5,6,1e39\n7,8,2\n" + "1,1,0.25\n" * 30,
     "line 4: a numeric target (regression) needs a finite number in 'label', found '1e39', "
     "which is too "
     "large for float32 (beyond ±3.4e38)"),
    # a 400-digit number: float() makes it inf, and it was called "not a finite number"
    ("a,b,label\n1,2,0\n3," + "9" * 400 + ",1\n", "is too large for float32 (beyond ±3.4e38)"),
    # a NaN among numbers made the task regress, then blamed --task regress, never given
    ("a,b,label\n" + "1,2,0\n3,4,1\n" * 5 + "5,6,nan\n", "line 12: the target 'label' is 'nan', "
     "a number in most other rows: a missing value? Fill it in or remove the row"),
    # "1" and "1.0" (files joined from two programs) were two classes of one number
    ("a,b,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1.0\n", "line 5: the target 'label' is '1.0', and "
     "'1' above: one number written two ways would be two classes; write it one way"),
    # a missing-value mark among numbers became a class of its own: a 3-class model of 0, 1, NA
    ("a,b,label\n1,2,0\n3,4,1\n5,6,NA\n7,8,1\n9,9,0\n",
     "line 4: the target 'label' is 'NA', a number in most other rows: a missing value? Fill "
     "it in or remove the row; if it is a class, pass --task classify"),
    # a number with thousands separators read as a word: "a missing value? Fill it in"
    ("a,b,label\n1,2,10.5\n3,4,\"1,234.5\"\n5,6,30.5\n7,8,40.5\n9,9,50.5\n",
     "line 3: the target 'label' is '1,234.5', which is a number written with a thousands "
     "separator; write it without separators (1234.5)\n"),
    # ...and a column of prices became classes, each seen once
    ("a,label\n1,\"1,200\"\n2,\"-12,300.25\"\n3,\"1,400\"\n4,\"1,500\"\n",
     "line 2: the target 'label' is '1,200', which is a number written with a thousands "
     "separator; write it without separators (1200)\n"),
    ("a,b,label\n1,\"1,234.5\",0\n3,4,1\n", "line 2, column 'b': '1,234.5' is a number written "
     "with a thousands separator; write it without separators (1234.5)\n"),
    # not groups of three: no number, whatever the separators
    ("a,b,label\n1,2,0\n3,4,1\n5,\"12,34\",0\n", "line 4, column 'b': '12,34' is not a number "
     "(the other cells of 'b' are numbers: write this one as a number or remove the row, "
     "or leave the column out: --ignore b)\n"),
    ("a,b,label\n" + "1,2,0\n3,4,1\n" * 5 + "5,6,\"1,23\"\n", "line 12: the target 'label' is "
     "'1,23', a number in most other rows: a missing value?"),
    ("a,label\n1,0\n", "data.csv: 1 row is too few to train and validate; glassgrad train needs "
     "at least 4 rows\n"),
    # a target cell's problem first: "3 rows are too few" hid it
    ("a,label\n1,0.5\n2,\n3,1.5\n", "line 3: the 'label' cell is empty"),
    ("a,label\n1,0.5\n2,1.5\n3,1e40\n", "line 4: a numeric target (regression) needs a finite "
     "number in 'label', found '1e40', which is too large for float32"),
    ("a,label\n1,0\n2,\"1,000\"\n", "line 3: the target 'label' is '1,000', which is a number "
     "written with a thousands separator"),
])
def test_bad_csv_input_is_one_line_and_exit_2(tmp_path, capsys, content, message):
    path = tmp_path / "data.csv"
    path.write_text(content)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, out, err = run(["train", "--csv", str(path), "--target", "label",
                              "--out", str(tmp_path / "m.npz")], capsys)
    assert not caught, [str(w.message) for w in caught]
    assert code == 2
    assert err.startswith("glassgrad train: error: ") and message in err, err
    assert err.count("\n") == 1
    assert not (tmp_path / "m.npz").exists()


def test_a_target_in_the_hundred_thousands_trains_as_well_as_one_near_1(tmp_path, capsys):
    """House prices: the MLP's outputs start near 0 and, with the default learning rate, never
    reached 300000 (R² -11); it learns the standardised target, scaled back on the way out."""
    rng = np.random.default_rng(4)
    area = rng.uniform(40, 150, 80)
    price = 50000 + 2500 * area + rng.normal(0, 3000, 80)
    data = write_csv(tmp_path / "houses.csv", ["area", "price"],
                     [(round(a, 1), round(p)) for a, p in zip(area, price)])
    model = tmp_path / "m.npz"
    code, text, err = run(["train", "--csv", str(data), "--target", "price", "--no-progress",
                           "--out", str(model)], capsys)
    assert code == 0, err
    assert float(re.search(r"R² (-?\d\.\d+)", text).group(1)) > 0.95
    assert load(model)["target_std"] == pytest.approx(price[:64].std(), rel=0.3)
    new = write_csv(tmp_path / "new.csv", ["area"], [(100.0,)])
    code, text, err = run(["predict", "--model", str(model), "--csv", str(new)], capsys)
    assert code == 0, err
    assert float(text.splitlines()[1].split(",")[-1]) == pytest.approx(300000, rel=0.05)


@pytest.mark.parametrize("options, message", [
    (["--hidden", "8,x"], "argument --hidden: sizes look like 32,32, got '8,x'"),
    (["--hidden", "8,0"], "argument --hidden: sizes must be at least 1"),
    (["--hidden", "3,,4"], "argument --hidden: a size is missing in '3,,4': sizes look like "
                           "32,32 ('' for none)"),                                 # was 3,4
    (["--hidden", "8,"], "argument --hidden: a size is missing in '8,'"),
    (["--val", "1.5"], "argument --val: must be a fraction from 0 up to (not including) 1, "
                       "got 1.5"),
    (["--val", "1"], "argument --val: must be a fraction from 0 up to (not including) 1, got 1"),
    (["--val", "-0.5"], "argument --val: must be a fraction from 0 up to (not including) 1, "
                        "got -0.5"),
    (["--val", "0.999"], "--val 0.999 of 120 rows rounds up to all of them, leaving none to "
                         "train on; give a fraction between 0 and 119/120"),
    (["--lr", "0"], "argument --lr: must be above 0, got 0"),
    (["--lr", "nan"], "argument --lr: 'nan' is not a finite number"),
    (["--batch-size", "0"], "argument --batch-size: must be at least 1, got 0"),
    (["--seed", "-1"], "argument --seed: a seed is an integer from 0 to 4294967295, got -1"),
    (["--task", "regress"], "--task regress needs a finite number in 'colour', found 'blue'"),
    (["--out", "missing/m.npz"], "--out missing/m.npz: the folder missing does not exist"),
    # no name: hidden files .npz and .json were written, and "saved" claimed
    (["--out", ""], "--out '': no file name; give one such as model.npz"),
    (["--out", ".npz"], "--out '.npz': no file name; give one such as model.npz"),
    (["--out", "colours.csv/"], "--out 'colours.csv/': no file name"),
])
def test_bad_options_are_one_line_and_exit_2(colours_csv, tmp_path, capsys, monkeypatch,
                                            options, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["train", "--csv", str(colours_csv), "--target", "colour", *options],
                         capsys)
    assert code == 2 and out == ""
    assert err.startswith("glassgrad train: error: ") and message in err, err
    assert err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["colours.csv"]     # no hidden files


@pytest.mark.parametrize("folder, out, message", [
    ("m.json", "m.npz", "--out m.npz: it writes m.json, which is a folder; give another name"),
    ("m.npz", "m.json", "--out m.json: it writes m.npz, which is a folder; give another name"),
    ("m.npz", "m.npz", "--out m.npz: is a folder; give a file name such as m.npz/model.npz"),
    # an existing folder named as it is: m.npz and m.json were written beside it, exit 0
    ("runs", "runs", "--out runs: is a folder; give a file name such as runs/model.npz"),
    ("runs", "./runs", "--out ./runs: is a folder; give a file name such as ./runs/model.npz"),
])
def test_both_files_are_checked_before_anything_is_written(colours_csv, tmp_path, capsys,
                                                           monkeypatch, folder, out, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / folder).mkdir()
    code, text, err = run(["train", "--csv", str(colours_csv), "--target", "colour",
                           "--epochs", "1", "--out", out], capsys)
    assert code == 2 and text == ""
    assert err == f"glassgrad train: error: {message}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["colours.csv", folder]


@pytest.mark.parametrize("data, out, writes", [
    ("data.npz", "data.npz", "data.npz"),              # the weights were written over the data
    ("data.json", "./data", "./data.json"),
])
def test_out_naming_the_training_data_is_refused(colours_csv, tmp_path, capsys, monkeypatch,
                                                 data, out, writes):
    monkeypatch.chdir(tmp_path)
    colours_csv.rename(data)
    before = (tmp_path / data).read_bytes()
    code, text, err = run(["train", "--csv", data, "--target", "colour", "--epochs", "1",
                           "--out", out], capsys)
    assert code == 2 and text == ""
    assert err == (f"glassgrad train: error: --out {out}: it writes {writes}, which is the "
                   f"training data (--csv {data}); give another name\n")
    assert [p.name for p in tmp_path.iterdir()] == [data]
    assert (tmp_path / data).read_bytes() == before


def test_out_dash_is_refused_not_written_as_a_file_named_dash(colours_csv, tmp_path, capsys,
                                                              monkeypatch):
    """`--csv -` reads standard input, and predict's `--out -` writes to it: train's `--out -`
    wrote the files '-.npz' and '-.json' instead."""
    monkeypatch.chdir(tmp_path)
    code, text, err = run(["train", "--csv", str(colours_csv), "--target", "colour",
                           "--epochs", "1", "--out", "-"], capsys)
    assert (code, text) == (2, "")
    assert err == ("glassgrad train: error: --out -: a model is two files (weights and "
                   "settings), which standard output cannot hold; give a name such as "
                   "model.npz\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["colours.csv"]


def test_a_missing_file_is_a_usage_error(tmp_path, capsys):
    code, _, err = run(["train", "--csv", str(tmp_path / "absent.csv"), "--target", "y"], capsys)
    assert code == 2 and err == f"glassgrad train: error: {tmp_path / 'absent.csv'}: no such file\n"


def test_a_missing_value_among_numbers_is_a_class_when_asked(tmp_path, capsys):
    data = write_csv(tmp_path / "d.csv", ["a", "label"],
                     [(i, "NA" if i == 3 else i % 2) for i in range(12)])
    code, out, err = run(["train", "--csv", str(data), "--target", "label", "--task",
                          "classify", "--epochs", "1", "--out", str(tmp_path / "m.npz")], capsys)
    assert code == 0, err
    assert load_trained(tmp_path / "m.npz").classes == ["0", "1", "NA"]


def test_a_number_with_thousands_separators_is_named_when_asked_to_regress(tmp_path, capsys):
    data = write_csv(tmp_path / "d.csv", ["a", "price"],
                     [(i, '"1,250.5"' if i == 3 else i + 0.5) for i in range(12)])
    code, out, err = run(["train", "--csv", str(data), "--target", "price", "--task", "regress",
                          "--out", str(tmp_path / "m.npz")], capsys)
    assert code == 2 and out == ""
    assert err == (f"glassgrad train: error: {data}, line 5: --task regress needs a finite "
                   f"number in 'price', found '1,250.5', which is a number written with a "
                   f"thousands separator; write it without separators (1250.5)\n")


def test_a_number_with_thousands_separators_is_a_class_when_asked(tmp_path, capsys):
    data = write_csv(tmp_path / "d.csv", ["a", "label"],
                     [(i, '"1,000"' if i % 2 else '"2,000"') for i in range(12)])
    code, out, err = run(["train", "--csv", str(data), "--target", "label", "--task",
                          "classify", "--epochs", "1", "--out", str(tmp_path / "m.npz")], capsys)
    assert code == 0, err
    assert load_trained(tmp_path / "m.npz").classes == ["1,000", "2,000"]


def test_a_file_that_cannot_be_read_is_bad_input(tmp_path, capsys, monkeypatch):
    from nn.cli import table
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("größe,label\n1,0\n".encode("latin-1"))
    code, _, err = run(["train", "--csv", str(latin1), "--target", "label"], capsys)
    assert code == 2 and err == (f"glassgrad train: error: {latin1}: not a readable CSV file: "
                                 f"not UTF-8 text (the byte 0xf6 is not UTF-8); save it as "
                                 f"UTF-8\n")

    def refused(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", path)
    monkeypatch.setattr(table, "open", refused, raising=False)
    code, _, err = run(["train", "--csv", "locked.csv", "--target", "label"], capsys)
    assert code == 2 and err == ("glassgrad train: error: locked.csv: cannot be read "
                                 "(permission denied)\n")                 # was exit 1


def test_a_file_with_nul_bytes_is_named_as_such_on_every_python(tmp_path, capsys):
    """UTF-16 text without a byte order mark decodes as UTF-8 with a NUL after each letter.
    Python 3.10's csv refused it as 'line contains NUL' (and glassgrad said "check its
    quotes"); 3.11+ reads the NULs into the cells, and the file was refused for its last
    line's "1 value, the header has 3", or a NUL in a number cell for not being a number."""
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes("x,label\n1,0\n2,1\n".encode("utf-16-le"))
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"x,label\n1,0\n2\x00,1\n")
    for path, line in ((utf16, 1), (nul, 3)):
        code, _, err = run(["train", "--csv", str(path), "--target", "label"], capsys)
        assert code == 2 and err == (f"glassgrad train: error: {path}, line {line}: not a "
                                     f"readable CSV file: it holds a NUL byte (0x00), as UTF-16 "
                                     f"text and binary files do; save it as UTF-8 text\n")


def test_a_folder_that_cannot_be_written_fails_before_training(colours_csv, tmp_path, capsys,
                                                               monkeypatch):
    import os
    locked = tmp_path / "locked"
    locked.mkdir()
    access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: (
        os.path.abspath(path) != str(locked) and access(path, mode)))
    code, out, err = run(["train", "--csv", str(colours_csv), "--target", "colour",
                          "--out", str(locked / "m.npz")], capsys)
    assert code == 2 and out == ""      # not a word of training; bad output, as others (was 1)
    assert err == (f"glassgrad train: error: --out {locked / 'm.npz'}: cannot write in the "
                   f"folder {locked} (permission denied or a read-only file system)\n")


def test_a_folder_where_no_file_can_be_made_is_refused_before_training(colours_csv, tmp_path,
                                                                       capsys, monkeypatch):
    """As root, /proc's permissions say "writable": train trained, then failed to save with
    exit 1. Making a file there is what tells."""
    odd = tmp_path / "odd"
    odd.mkdir()
    refuse_files_in(monkeypatch, odd)
    code, out, err = run(["train", "--csv", str(colours_csv), "--target", "colour",
                          "--out", str(odd / "m.npz")], capsys)
    assert code == 2 and out == ""
    assert err == (f"glassgrad train: error: --out {odd / 'm.npz'}: cannot write in the folder "
                   f"{odd} (making a file there fails: No such file or directory)\n")
    assert list(odd.iterdir()) == []


@pytest.mark.skipif(not HAS_PROC, reason="needs Linux's /proc")
def test_out_in_proc_is_refused_before_training(colours_csv, capsys):
    code, out, err = run(["train", "--csv", str(colours_csv), "--target", "colour",
                          "--out", "/proc/m.npz"], capsys)
    assert code == 2 and out == ""
    assert err.startswith("glassgrad train: error: --out /proc/m.npz: cannot write in the "
                          "folder /proc (") and err.count("\n") == 1


def test_classify_refuses_a_continuous_target_and_auto_still_regresses(tmp_path, capsys):
    data = _regression_csv(tmp_path)
    argv = ["train", "--csv", str(data), "--target", "target", "--epochs", "1",
            "--out", str(tmp_path / "m.npz")]
    code, out, err = run([*argv, "--task", "classify"], capsys)
    assert code == 2 and out == ""
    assert re.fullmatch(r"glassgrad train: error: \S*reg.csv, line 2: the target 'target' is "
                        r"'-?\d\.\d+', not a whole number: it looks continuous, not a class; to "
                        r"predict a number use --task regress\n", err), err
    code, out, err = run(argv, capsys)
    assert code == 0 and "to regress 'target'" in out, err


def test_a_single_validation_row_gets_no_r2(tmp_path, capsys):
    data = write_csv(tmp_path / "d.csv", ["a", "y"], [(i, 2 * i + 0.5) for i in range(5)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, out, err = run(["train", "--csv", str(data), "--target", "y", "--epochs", "1",
                              "--out", str(tmp_path / "m.npz")], capsys)
    assert code == 0 and not caught, [str(w.message) for w in caught]
    assert "(4 rows, 1 for validation)" in out and "R²" not in out


@pytest.mark.parametrize("task", ["classify", "regress"])
def test_val_0_trains_on_every_row_and_reports_its_training_scores(colours_csv, tmp_path,
                                                                   capsys, task):
    """--val 0 was refused ("must be a fraction between 0 and 1"): there was no way to train on
    every row of a file. Now every row trains, and the report says the scores are the training
    rows' (the trained model's, as evaluate gives them), with no held-out score."""
    data, target = ((_regression_csv(tmp_path), "target") if task == "regress"
                    else (colours_csv, "colour"))
    n_rows = 200 if task == "regress" else 120
    out = tmp_path / "m.npz"
    code, text, err = run(["train", "--csv", str(data), "--target", target, "--val", "0",
                           "--hidden", "8", "--epochs", "5", "--no-progress", "--out", str(out)],
                          capsys)
    assert code == 0, err
    lines = text.splitlines()
    assert lines[0].endswith(f"({n_rows} rows, 0 for validation)")
    assert "validation" not in "\n".join(lines[1:-2])
    assert lines[-2] == ("no held-out score: --val 0 kept no rows for validation, so these are "
                         "the scores on the rows the model learnt from")
    assert lines[-1].startswith(f"saved the weights to {out}")
    model = load_trained(out)
    rows = np.loadtxt(data, delimiter=",", skiprows=1, dtype=str)
    X = np.delete(rows, 1 if task == "classify" else 3, axis=1).astype(np.float64)
    np.testing.assert_allclose(model.input_mean, X.mean(0))    # every row was a training row
    predicted = model.predict(X)
    if task == "classify":
        score = float(re.search(r"^training accuracy (\d\.\d+) \(loss", text, re.M).group(1))
        assert score == pytest.approx(np.mean(predicted == rows[:, 1]), abs=1e-4)
    else:
        mse = float(re.search(r"^training MSE (\S+), MAE", text, re.M).group(1))
        y = rows[:, 3].astype(np.float64)
        assert mse == pytest.approx(np.mean((predicted - y) ** 2), rel=1e-3)


def _regression_csv(tmp_path, scale=1.0):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.normal(0, 0.5, 200)
    return write_csv(tmp_path / "reg.csv", ["a", "b", "c", "target"],
                     [(*(x * scale), t) for x, t in zip(X, y)])


@pytest.mark.parametrize("task, options, loss", [
    ("regress", ["--optimizer", "sgd", "--lr", "1"], "inf"),
    ("classify", ["--lr", "1e30"], "nan"),
])
def test_a_diverging_run_is_one_line_with_its_epoch_and_exit_1(colours_csv, tmp_path, capsys,
                                                               task, options, loss):
    data, target = ((_regression_csv(tmp_path), "target") if task == "regress"
                    else (colours_csv, "colour"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, out, err = run(["train", "--csv", str(data), "--target", target, *options,
                              "--no-progress", "--out", str(tmp_path / "m.npz")], capsys)
    assert code == 1 and not caught, [str(w.message) for w in caught]
    assert re.fullmatch(rf"glassgrad train: error: training diverged at epoch \d+ \(the loss "
                        rf"became {loss}\); try a smaller --lr\n", err), err
    assert not (tmp_path / "m.npz").exists() and not (tmp_path / "m.json").exists()


def _noisy_csv(tmp_path):
    """Two classes that overlap: a huge learning rate leaves a finite but enormous loss (on
    well-separated classes it may land on a perfect model all the same)."""
    rng = np.random.default_rng(1)
    rows = []
    for _ in range(40):
        x = rng.normal(size=3)
        rows.append((*(f"{v:.3f}" for v in x), int(x.sum() + rng.normal(scale=1.5) > 0)))
    return write_csv(tmp_path / "noisy.csv", ["a", "b", "c", "label"], rows)


def test_a_run_whose_loss_blows_up_but_stays_finite_warns_in_one_line(tmp_path, capsys):
    """--lr 1e6 printed "validation accuracy 0.6250 (loss 327923048280174400.0000)", saved
    the model and exited 0 with no word of divergence."""
    argv = ["train", "--csv", str(_noisy_csv(tmp_path)), "--target", "label", "--no-progress",
            "--out", str(tmp_path / "m.npz")]
    code, out, err = run([*argv, "--lr", "1e6"], capsys)
    assert code == 0 and "saved the weights" in out and (tmp_path / "m.npz").exists()
    assert re.fullmatch(r"glassgrad train: warning: training diverged: the training loss ended "
                        r"at \S+, more than 10 times the 0\.\d+ it started at; try a smaller "
                        r"--lr \(this run used --lr 1e\+06\)\n", err), err
    final = float(err.split("ended at ")[1].split(",")[0])
    assert final > 1e6
    code, out, err = run([*argv, "--lr", "0.01"], capsys)          # a sound run: not a word
    assert code == 0 and err == ""


@pytest.mark.parametrize("final, warned", [(9.99, False), (10.0, False), (10.01, True),
                                           (0.5, False)])
def test_the_divergence_rule_is_ten_times_the_starting_loss(capsys, final, warned):
    from nn.cli.train import DIVERGED_FACTOR, _warn_if_diverged
    assert DIVERGED_FACTOR == 10
    _warn_if_diverged(1.0, {"loss": [3.0, final]}, 0.5)
    err = capsys.readouterr().err
    assert (err == f"glassgrad train: warning: training diverged: the training loss ended at "
                   f"{final:.4g}, more than 10 times the 1 it started at; try a smaller --lr "
                   f"(this run used --lr 0.5)\n") if warned else err == ""


def test_a_loss_not_finite_before_any_step_is_not_blamed_on_the_lr(colours_csv, tmp_path,
                                                                    capsys, monkeypatch):
    from nn.cli import train

    def diverging_at_once(*args, **kwargs):
        raise TrainingDiverged("fit: ...", loss=float("nan"), epoch=1, batch=1, stepped=False)
    monkeypatch.setattr(train, "fit", diverging_at_once)
    code, _, err = run(["train", "--csv", str(colours_csv), "--target", "colour",
                        "--out", str(tmp_path / "m.npz")], capsys)
    assert code == 1 and err == ("glassgrad train: error: the loss is nan before any training "
                                 "step; the model's outputs for this data are not finite\n")


def test_huge_feature_values_are_standardised_without_overflow(tmp_path, capsys):
    data = _regression_csv(tmp_path, scale=1e38)            # near float32's largest, 3.4e38
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, text, err = run(["train", "--csv", str(data), "--target", "target", "--epochs",
                               "20", "--no-progress", "--out", str(tmp_path / "m.npz")], capsys)
    assert code == 0 and not caught, err
    assert float(re.search(r"R² (-?\d\.\d+)", text).group(1)) > 0.5


@pytest.mark.parametrize("column", ["target", "stamp"])
def test_a_column_float32_cannot_tell_apart_is_refused(tmp_path, capsys, column):
    """Values 1e9 ± a few, where float32's steps are 64: the target trained as a constant (and
    reported "MSE 0, R² 1.0000"), a feature as a constant column, silently."""
    rng = np.random.default_rng(0)
    rows = [(f"{1e9 + rng.normal(0, 3):.2f}", f"{rng.normal():.4f}", f"{rng.normal():.4f}")
            for _ in range(40)]
    data = write_csv(tmp_path / "d.csv", ["stamp", "x", "target"], rows)
    if column == "target":
        data = write_csv(tmp_path / "d.csv", ["x", "stamp", "target"],
                         [(x, t, stamp) for stamp, x, t in rows])
    code, out, err = run(["train", "--csv", str(data), "--target", "target", "--epochs", "1",
                          "--out", str(tmp_path / "m.npz")], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert re.fullmatch(rf"glassgrad train: error: {re.escape(str(data))}: the values of "
                        rf"'{column}' vary by 3(\.\d)? around (\d+), too little for float32 "
                        rf"\(in which glassgrad trains\) to tell them apart: it rounds them by up "
                        rf"to \d+; subtract a constant such as \2 from the column first\n",
                        err), err
    assert abs(int(re.search(r"around (\d+)", err).group(1)) - 1e9) <= 2


def test_the_saved_standardisation_is_the_training_rows_mean_and_population_std(tmp_path,
                                                                               capsys):
    """The numbers train has saved since before nn.data.StandardScaler: float64 statistics of
    the training rows (the split's), population std, 1 for a constant column, and likewise for
    a regression target; stored as float32."""
    from nn.data import train_test_split
    rng = np.random.default_rng(5)
    X = np.column_stack([rng.normal(1e5, 3e3, 57), rng.normal(0, 1, 57), np.full(57, 0.1),
                         rng.integers(0, 5, 57)])
    y = X[:, 0] / 1e3 + 50 * X[:, 1] + 2e5
    data = write_csv(tmp_path / "d.csv", ["big", "small", "constant", "count", "price"],
                     [[repr(float(v)) for v in row] for row in np.column_stack([X, y])])
    code, _, err = run(["train", "--csv", str(data), "--target", "price", "--epochs", "1",
                        "--no-progress", "--out", str(tmp_path / "m.npz")], capsys)
    assert code == 0, err
    X_train, _, y_train, _ = train_test_split(X.astype(np.float32), y.astype(np.float32),
                                              test_size=12, seed=0)   # --val 0.2 of 57 rows
    mean, std = X_train.mean(axis=0, dtype=np.float64), X_train.std(axis=0, dtype=np.float64)
    std[std == 0] = 1.0
    saved = load(tmp_path / "m.npz")
    assert saved["input_mean"].tobytes() == mean.astype(np.float32).tobytes()
    assert saved["input_std"].tobytes() == std.astype(np.float32).tobytes()
    assert saved["input_std"][2] == 1.0 and saved["input_mean"][2] == np.float32(0.1)
    assert saved["target_mean"] == np.float32(y_train.mean(dtype=np.float64))
    assert saved["target_std"] == np.float32(y_train.std(dtype=np.float64))


def test_the_summary_counts_in_english(tmp_path, capsys):
    data = write_csv(tmp_path / "one.csv", ["x", "y"], [(0.1 * i, i % 2) for i in range(10)])
    code, text, err = run(["train", "--csv", str(data), "--target", "y", "--epochs", "1",
                           "--val", "0.1", "--out", str(tmp_path / "m.npz")], capsys)
    assert code == 0, err
    assert "from 1 feature (9 rows, 1 for validation)" in text


def test_csv_dash_reads_standard_input(colours_csv, tmp_path, capsys):
    code, text, err = run(["train", "--csv", "-", "--target", "colour", "--hidden", "4",
                           "--epochs", "2", "--out", str(tmp_path / "m.npz")], capsys,
                          stdin=colours_csv.read_bytes())
    assert code == 0, err
    assert "to classify 'colour' from 2 features (96 rows, 24 for validation)" in text
    assert load_trained(tmp_path / "m.npz").features == ["x1", "x2"]


@pytest.mark.parametrize("data, message", [
    (b"", "<stdin>: the file is empty (expected a header row and data rows)"),
    (b"a,colour\n\xf6,red\n", "<stdin>: not a readable CSV file: not UTF-8 text (the byte 0xf6"),
    (b"\xef\xbb\xbfcolour\r\nred\r\nblue\r\n", "<stdin>: needs at least one feature column "
                                                "besides 'colour'"),    # the BOM is no name
    (b"a,colour\n1,red\n2,blue\n", "<stdin>: 2 rows are too few to train and validate; "
                                  "glassgrad train needs at least 4 rows\n"),
])
def test_errors_in_standard_input_name_it(tmp_path, capsys, data, message):
    code, out, err = run(["train", "--csv", "-", "--target", "colour",
                          "--out", str(tmp_path / "m.npz")], capsys, stdin=data)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"glassgrad train: error: {message}"), err
    assert list(tmp_path.iterdir()) == []


def test_help_says_that_dash_is_standard_input(capsys):
    code, text, _ = run(["train", "--help"], capsys)
    assert code == 0 and "- reads it from standard input" in " ".join(text.split())


def test_a_file_without_header_is_read_as_data_and_its_target_found_by_position(tmp_path,
                                                                              capsys):
    """The first row was read as the header and `--target 2` found in it: a model of columns
    '5' and '1.5' trained on the other rows, status 0. Now a first row of numbers over columns
    of numbers is data, and "2" is the third column's position."""
    data = write_csv(tmp_path / "d.csv", ["5", "1.5", "2"],
                     [(i, i % 3, i % 2) for i in range(12)])
    code, out, err = run(["train", "--csv", str(data), "--target", "2", "--epochs", "1",
                          "--out", str(tmp_path / "m.npz")], capsys)
    assert code == 0, err
    assert "to classify '2' from 2 features (10 rows, 3 for validation)" in out
    assert f"read {data} without a header row: its columns are numbered 0 to 2" in out
    assert load_trained(tmp_path / "m.npz").features == ["0", "1"]


@pytest.fixture
def houses_csv(tmp_path):
    """A table as users have them: an id, a date and a category beside the numbers."""
    rng = np.random.default_rng(3)
    rows = []
    for i in range(40):
        rooms, age = int(rng.integers(1, 6)), int(rng.integers(0, 50))
        rows.append((100 + i, f"2023-{1 + i % 12:02d}-01", ("north", "south")[i % 2], rooms,
                     age, "big" if rooms > 2 else "small"))
    return write_csv(tmp_path / "houses.csv", ["id", "sold on", "area", "rooms", "age", "size"],
                     rows)


@pytest.mark.parametrize("ignore", [["id,sold on,area"], ["id", "sold on", "area"],
                                    ["id, sold on", "area", "id"]])
def test_ignore_leaves_columns_out_and_predict_skips_them(houses_csv, tmp_path, capsys, ignore):
    model = tmp_path / "m.npz"
    options = [part for name in ignore for part in ("--ignore", name)]
    code, out, err = run(["train", "--csv", str(houses_csv), "--target", "size", *options,
                          "--epochs", "2", "--out", str(model)], capsys)
    assert code == 0, err
    assert ("to classify 'size' from 2 features, ignoring 'id', 'sold on', 'area' (32 rows, 8 "
            "for validation)") in out
    assert load_trained(model).features == ["rooms", "age"]
    code, out, err = run(["predict", "--model", str(model), "--csv", str(houses_csv)], capsys)
    assert code == 0, err                               # the ignored columns are there again
    assert out.splitlines()[0] == "id,sold on,area,rooms,age,size,predicted_size"
    assert out.splitlines()[1].startswith("100,2023-01-01,north,")


def test_ignore_takes_a_name_with_a_comma_whole(tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_text('x,"price, usd",label\n' + "".join(f"{i},${i},{i % 2}\n" for i in range(8)))
    code, out, err = run(["train", "--csv", str(data), "--target", "label", "--ignore",
                          "price, usd", "--epochs", "1", "--out", str(tmp_path / "m")], capsys)
    assert code == 0, err
    assert "from 1 feature, ignoring 'price, usd'" in out


@pytest.mark.parametrize("ignore, message", [
    (["size"], "--ignore size: that is the target (--target size); a column cannot be both, so "
               "ignore other columns or choose another target"),
    (["id", "ID"], "houses.csv: no column 'ID' (given to --ignore); the columns are id, sold on, "
                   "area, rooms, age, size"),
    (["id,sold on,area,rooms,age"], "houses.csv: --ignore id,sold on,area,rooms,age leaves no "
     "feature column: it names every column but the target 'size'; keep at least one"),
    ([""], "--ignore '': a column name is missing; give names such as id,date"),
    (["id,"], "--ignore 'id,': a column name is missing; give names such as id,date"),
    # without --ignore, a column of dates says how to leave it out (a category of words is
    # encoded: tests/test_cli_trial.py)
    ([], "houses.csv: the column 'sold on' holds dates such as '2023-01-01', which are no "
         "category and no number; leave it out (--ignore 'sold on') or write it as numbers (the "
         "year, the day of the year) in a column of its own"),
])
def test_bad_ignore_is_one_line_and_exit_2(houses_csv, tmp_path, capsys, ignore, message):
    options = [part for name in ignore for part in ("--ignore", name)]
    code, out, err = run(["train", "--csv", str(houses_csv), "--target", "size", *options,
                          "--out", str(tmp_path / "m.npz")], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("glassgrad train: error: ") and message in err, err
    assert err.count("\n") == 1
    assert not (tmp_path / "m.npz").exists()


def test_ignore_and_target_take_positions_too(tmp_path, capsys):
    """Without a header row the columns are numbered from 0 (--ignore 1 was 'the first line
    holds numbers'); with one, a position that is no name counts from 0, -1 the last."""
    data = write_csv(tmp_path / "d.csv", ["1", "2", "0"], [(i, i, i % 2) for i in range(8)])
    code, out, err = run(["train", "--csv", str(data), "--target", "0", "--ignore", "1",
                          "--epochs", "1", "--out", str(tmp_path / "m.npz")], capsys)
    assert code == 0, err
    assert "to classify '0' from 1 feature, ignoring '1' (7 rows, 2 for validation)" in out
    named = write_csv(tmp_path / "n.csv", ["a", "b", "label"], [(i, i, i % 2) for i in range(8)])
    code, out, err = run(["train", "--csv", str(named), "--target", "-1", "--ignore", "0",
                          "--epochs", "1", "--out", str(tmp_path / "m.npz")], capsys)
    assert code == 0, err
    assert "to classify 'label' from 1 feature, ignoring 'a'" in out


def test_a_name_typed_in_another_unicode_form_or_with_spaces_is_the_same_column(tmp_path,
                                                                                 capsys):
    composed, decomposed = "Fl\u00e4che", "Fla\u0308che"        # they look the same: Fläche
    data = tmp_path / "d.csv"
    rows = "".join(f"{i},{i % 3},{(i * 7) % 5},{i % 2}\n" for i in range(40))
    data.write_text(f"id,{composed},rooms,Typ\n" + rows, encoding="utf-8")
    model = tmp_path / "m.npz"
    code, out, err = run(["train", "--csv", str(data), "--target", " Typ", "--ignore",
                          f"id,{decomposed}", "--epochs", "1", "--out", str(model)], capsys)
    assert code == 0, err
    assert "to classify 'Typ' from 1 feature, ignoring 'id', 'Fläche'" in out
    assert load_trained(model).features == ["rooms"] and load_trained(model).target == "Typ"
    # a model that learnt a column spelt one way reads a file that spells it the other way
    code, out, err = run(["train", "--csv", str(data), "--target", "Typ", "--ignore", "id",
                          "--epochs", "1", "--out", str(model)], capsys)
    assert code == 0, err
    other = tmp_path / "other.csv"
    other.write_text(f"{decomposed},rooms\n1,2\n", encoding="utf-8")
    code, out, err = run(["predict", "--model", str(model), "--csv", str(other)], capsys)
    assert code == 0, err
    assert out.splitlines()[0] == f"{decomposed},rooms,predicted_Typ"


def test_a_csv_that_is_a_symbolic_link_loop_is_bad_input(tmp_path, capsys):
    """Any OSError but a missing file was exit 1, "the work failed", for a bad --csv."""
    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop.name)
    code, _, err = run(["train", "--csv", str(loop), "--target", "y"], capsys)
    assert code == 2 and err == (f"glassgrad train: error: {loop}: cannot be read (Too many "
                                 f"levels of symbolic links)\n")


def test_a_cell_too_long_for_the_csv_module_is_named_without_blaming_quotes(tmp_path, capsys):
    wide = tmp_path / "wide.csv"
    wide.write_text("x,y\n1," + "2" * 200_000 + "\n")
    code, _, err = run(["train", "--csv", str(wide), "--target", "y"], capsys)
    assert code == 2 and err == (f"glassgrad train: error: {wide}, line 2: a cell holds more "
                                 f"than 131,072 characters (a quote left open, or not a table "
                                 f"of numbers?)\n")


# -- stopped by Ctrl-C or SIGTERM: the steps taken are saved ---------------------------------------

needs_signals = pytest.mark.skipif(sys.platform == "win32",
                                   reason="SIGTERM cannot be sent to a process there")


def _signal_in_step(monkeypatch, at, signum, times=1):
    """`glassgrad train`'s Adam raises `signum` from inside its `at`-th step; returns the list
    that gets the optimizer made."""
    made = []

    def adam(params, **options):
        made.append(SignalInStep(params, at, signum, times, **options))
        return made[-1]
    monkeypatch.setattr(optim, "Adam", adam)
    return made


@needs_signals
@pytest.mark.usefixtures("python_s_own_sigint_handler")
@pytest.mark.parametrize("signum, name, status", [(signal.SIGINT, "Ctrl-C", 130),
                                                  (signal.SIGTERM, "SIGTERM", 143)])
def test_training_stopped_by_a_signal_saves_the_model_of_the_latest_step(
        colours_csv, tmp_path, capsys, monkeypatch, signum, name, status):
    """96 rows in batches of 32: the signal comes in the middle of step 5 (epoch 2); the step
    is finished, then the model is saved, as a finished run's would be."""
    made = _signal_in_step(monkeypatch, 5, signum)
    out = tmp_path / "model.npz"
    code, text, err = run(["train", "--csv", str(colours_csv), "--target", "colour",
                           "--hidden", "8", "--epochs", "50", "--no-progress", "--out",
                           str(out)], capsys)
    assert (code, err) == (status, f"glassgrad train: stopped by {name} in epoch 2/50, after 5 "
                                   f"training steps: saved the model of that step to {out} and "
                                   f"its settings to {tmp_path / 'model.json'}\n")
    assert "validation accuracy" not in text
    assert step_counts(made[0]) == {5}
    state = load(out)
    weights = made[0].param_groups[0]["params"]
    np.testing.assert_array_equal(state["0.weight"], weights[0].data)
    assert load_trained(out).features == ["x1", "x2"]       # the settings are saved too


@needs_signals
@pytest.mark.usefixtures("python_s_own_sigint_handler")
@pytest.mark.parametrize("signum, message, status", [
    (signal.SIGINT, "interrupted", 130), (signal.SIGTERM, "terminated (SIGTERM)", 143)])
def test_stopped_before_any_step_finished_nothing_is_saved(colours_csv, tmp_path, capsys,
                                                           monkeypatch, signum, message, status):
    """Two signals in the first step stop it half-way (the escape hatch): no step to keep, so
    an earlier model under that name stays as it was."""
    _signal_in_step(monkeypatch, 1, signum, times=2)
    (tmp_path / "model.npz").write_bytes(b"an earlier model")
    code, text, err = run(["train", "--csv", str(colours_csv), "--target", "colour",
                           "--hidden", "8", "--no-progress", "--out",
                           str(tmp_path / "model.npz")], capsys)
    assert (code, err) == (status, f"glassgrad train: error: {message}\n")
    assert (tmp_path / "model.npz").read_bytes() == b"an earlier model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["colours.csv", "model.npz"]


@needs_signals
@pytest.mark.usefixtures("python_s_own_sigint_handler")
def test_ctrl_c_while_the_stopped_run_is_saved_leaves_the_earlier_files(colours_csv, tmp_path,
                                                                       capsys, monkeypatch):
    _signal_in_step(monkeypatch, 3, signal.SIGINT)
    for name in ("model.npz", "model.json"):
        (tmp_path / name).write_text(f"an earlier {name}")
    real_replace = os.replace

    def ctrl_c_before_the_rename(source, destination):
        signal.raise_signal(signal.SIGINT)      # the bytes are written, the rename is not
        real_replace(source, destination)
    monkeypatch.setattr(os, "replace", ctrl_c_before_the_rename)
    code, text, err = run(["train", "--csv", str(colours_csv), "--target", "colour",
                           "--hidden", "8", "--no-progress", "--out",
                           str(tmp_path / "model.npz")], capsys)
    assert (code, err) == (130, "glassgrad train: error: interrupted\n")
    for name in ("model.npz", "model.json"):
        assert (tmp_path / name).read_text() == f"an earlier {name}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["colours.csv", "model.json",
                                                          "model.npz"]


def _read_until(stream, text):
    """Read `stream` until `text` has come (a progress bar's updates end in \\r, not in new
    lines); what was read, or AssertionError if the stream ends first."""
    seen = ""
    while text not in seen:
        char = stream.read(1)
        assert char, f"the command ended before {text!r}: {seen!r}"
        seen += char
    return seen


@needs_signals
@pytest.mark.parametrize("signum, name, status", [(signal.SIGINT, "Ctrl-C", 130),
                                                  (signal.SIGTERM, "SIGTERM", 143)])
def test_a_signal_to_the_running_command_saves_what_it_learnt(tmp_path, signum, name, status):
    """`kill`, `timeout`, Ctrl-C: one line saying where training stopped, status 128 + the
    signal, and the model of its latest step saved, once an epoch has been trained."""
    rows = [(i % 7, (i * 3) % 5, i % 2) for i in range(40)]
    data = write_csv(tmp_path / "data.csv", ["a", "b", "label"], rows)
    out = tmp_path / "out"
    out.mkdir()
    command = subprocess.Popen(
        [sys.executable, "-m", "nn.cli", "train", "--csv", str(data), "--target", "label",
         "--epochs", "1000000", "--progress", "--out", str(out / "model.npz")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # not ignored
    try:
        _read_until(command.stderr, "epoch 1/")        # the bar, after the first epoch
        command.send_signal(signum)
        err = command.stderr.read()
        status_now = command.wait(timeout=60)
    finally:
        command.kill()
        command.stdout.close()
        command.stderr.close()
    last = err.replace("\r", "\n").strip().splitlines()[-1]
    assert status_now == status and "Traceback" not in err
    assert re.fullmatch(rf"glassgrad train: stopped by {name} in epoch \d+/1000000, after \d+ "
                        rf"training steps?: saved the model of that step to .*model.npz and its "
                        rf"settings to .*model.json", last), last
    assert sorted(p.name for p in out.iterdir()) == ["model.json", "model.npz"]
    assert load_trained(out / "model.npz").features == ["a", "b"]
