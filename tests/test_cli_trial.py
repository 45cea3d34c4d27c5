"""The `glassgrad` command as a prototyper uses it on files of their own (nn/cli/, nn/data/):
CSV files with or without a header row, separated by commas, semicolons (with decimal commas)
or tabs, with a category and missing values; an .npz of arrays; IDX files as MNIST's; the
target by name or position; predict on new files; resume a saved model; early stopping; the
progress on a terminal and in a log; Ctrl-C; the model in nn.load and PyTorch; `graph`; and
every bad input as one line and exit status 2."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest

import nn
from cli_helpers import HAS_PROC, NO_FILES_HERE, run, write_csv
from nn.data import write_idx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _house_rows(n, seed=0):
    """Rows (area, rooms, colour, price): the price a linear function of area and rooms, plus
    a colour's premium."""
    rng = np.random.default_rng(seed)
    area = rng.uniform(40, 160, n).round(1)
    rooms = rng.integers(1, 6, n)
    colour = rng.choice(["red", "green", "blue"], n)
    premium = {"red": 30.0, "green": 0.0, "blue": -30.0}
    price = (2.0 * area + 15.0 * rooms + np.array([premium[c] for c in colour])).round(2)
    return area, rooms, colour, price


def _lines(text):
    return [line for line in text.splitlines() if line]


def _r2(text):
    return float(re.search(r"R² (-?\d+\.\d+)", text).group(1))


# -- CSV files as they come ---------------------------------------------------------------------

def test_a_regression_with_a_category_and_missing_values_learns_and_predicts(tmp_path, capsys):
    """A column of colours becomes three 0/1 inputs; an empty or NA area is the training rows'
    median. Both are said in the summary, saved with the model and done again by predict."""
    area, rooms, colour, price = _house_rows(300)
    rows = [("" if i % 20 == 0 else ("NA" if i % 20 == 10 else a), r, c, p)
            for i, (a, r, c, p) in enumerate(zip(area, rooms, colour, price))]
    data = write_csv(tmp_path / "houses.csv", ["area", "rooms", "colour", "price"], rows)
    model = tmp_path / "m.npz"
    code, out, err = run(["train", "--data", str(data), "--target", "price", "--epochs", "60",
                          "--out", str(model)], capsys)
    assert code == 0, err
    assert "training an MLP 5-32-32-1 to regress 'price' from 5 features (240 rows" in out
    assert "'colour' is a category: 3 0/1 inputs, one per value (blue, green, red)" in out
    assert re.search(r"filled in 30 missing values: 'area' 30 \(its median 1\d\d(\.\d)?\)",
                     out), out
    assert _r2(out) > 0.75              # (the rows whose area is missing cannot be right)
    trained = nn.load_trained(model)
    assert trained.features == ["area", "rooms", "colour=blue", "colour=green", "colour=red"]
    assert trained.categories == {"colour": ["blue", "green", "red"]}
    # new rows: a colour never seen, a missing area; the predictions are close to the truth
    new = write_csv(tmp_path / "new.csv", ["id", "colour", "rooms", "area"],
                    [(1, "red", 3, 100.0), (2, "blue", 1, 50.0), (3, "purple", 2, 80.0),
                     (4, "green", 2, "")])
    code, out, err = run(["predict", "--model", str(model), "--data", str(new)], capsys)
    assert code == 0, err
    assert err == (f"glassgrad predict: warning: filled in 1 missing value: 'area' 1 (its median "
                   f"{trained.fill['area']:.4g})\n"
                   "glassgrad predict: warning: 1 row of 'colour' holds a value the model never "
                   "saw ('purple'): predicted with none of its 3 values set\n")
    predicted = [float(row[-1]) for row in list(csv.reader(io.StringIO(out)))[1:]]
    # (within a third of the prices' spread: the rows with a missing area blur the model)
    assert predicted[0] == pytest.approx(2 * 100 + 15 * 3 + 30, abs=25)
    assert predicted[1] == pytest.approx(2 * 50 + 15 * 1 - 30, abs=25)
    # the library does what the command did: NaN is the median, in the model's own order
    row = np.array([[np.nan, 2.0, 0.0, 1.0, 0.0]], np.float32)
    assert trained.predict(row)[0] == pytest.approx(predicted[3], rel=1e-6)


def test_the_same_data_in_every_format_trains_the_same_model(tmp_path, capsys):
    """Comma-, semicolon- (with decimal commas) and tab-separated, with or without a header row,
    or an .npz: the same numbers, the same seed, the same weights, bit for bit."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 3)).round(4)
    y = (X[:, 0] - X[:, 1] > 0).astype(int)
    texts = [[f"{v:.4f}" for v in row] + [str(t)] for row, t in zip(X, y)]
    header = ["a", "b", "c", "label"]
    files = {
        "comma.csv": "\n".join(",".join(r) for r in [header] + texts),
        "plain.csv": "\n".join(",".join(r) for r in texts),                     # no header
        "semi.csv": "\n".join(";".join(c.replace(".", ",") for c in r) for r in [header] + texts),
        "tabs.tsv": "\n".join("\t".join(r) for r in [header] + texts),
        "tabs.txt": "\n".join("\t".join(r) for r in texts),                     # no header
    }
    weights = {}
    for name, text in files.items():
        (tmp_path / name).write_text(text + "\n")
    np.savez(tmp_path / "arrays.npz", X=np.array(texts)[:, :3].astype(np.float32), y=y)
    for name in [*files, "arrays.npz"]:
        target = "label" if "label" in (tmp_path / name).read_bytes().decode("latin-1") else "-1"
        argv = ["train", "--data", str(tmp_path / name), "--epochs", "3", "--hidden", "8",
                "--out", str(tmp_path / f"{name}.npz")]
        code, out, err = run(argv + ([] if name.endswith(".npz") else ["--target", target]),
                             capsys)
        assert code == 0, (name, err)
        weights[name] = nn.load(tmp_path / f"{name}.npz")["0.weight"]
        if name == "semi.csv":
            assert f"read {tmp_path / name} separated by semicolons, with decimal commas" in out
        if name == "plain.csv":
            assert "without a header row: its columns are numbered 0 to 3" in out
    for name, w in weights.items():
        np.testing.assert_array_equal(w, weights["comma.csv"], err_msg=name)


def test_predict_writes_the_file_back_in_its_own_separator_and_decimal_mark(tmp_path, capsys):
    area, rooms, _, price = _house_rows(120, seed=2)
    lines = ["area;rooms;price"] + [f"{a:.1f};{r};{p:.2f}".replace(".", ",")
                                    for a, r, p in zip(area, rooms, price)]
    data = tmp_path / "europe.csv"
    data.write_text("\n".join(lines) + "\n")
    model = tmp_path / "m.npz"
    code, out, err = run(["train", "--data", str(data), "--target", "price", "--epochs", "40",
                          "--hidden", "16", "--out", str(model)], capsys)
    assert code == 0, err
    new = tmp_path / "new.csv"
    new.write_text("rooms;area\n3;100,0\n1;1.050,5\n")     # a point between thousands too
    code, out, err = run(["predict", "--model", str(model), "--data", str(new)], capsys)
    assert code == 0, err
    first, second, third = _lines(out)
    assert first == "rooms;area;predicted_price"
    assert second.startswith("3;100,0;") and third.startswith("1;1.050,5;")
    value = float(second.split(";")[-1].replace(",", "."))
    assert value == pytest.approx(2 * 100 + 15 * 3, abs=20)
    # a file without a header row is written back without one
    plain = tmp_path / "plain.csv"
    plain.write_text("".join(f"{a},{r},{p}\n" for a, r, p in zip(area, rooms, price)))
    code, out, err = run(["train", "--data", str(plain), "--target", "2", "--epochs", "2",
                          "--out", str(model)], capsys)
    assert code == 0, err
    code, out, err = run(["predict", "--model", str(model), "--data", str(plain)], capsys)
    assert code == 0, err
    assert _lines(out)[0].startswith(f"{area[0]},{rooms[0]},{price[0]},")
    assert re.fullmatch(r"glassgrad predict: MSE \S+, MAE \S+, R² \S+ on the 120 rows whose '2' "
                        r"is known\n", err), err


def test_a_table_as_kaggle_gives_it_says_which_columns_to_leave_out(tmp_path, capsys):
    """An id, a name per row, a ticket of numbers and codes: each refused with the --ignore that
    leaves it out; then a category of two words and missing ages train."""
    rng = np.random.default_rng(5)
    rows = []
    for i in range(120):
        sex = ("male", "female")[i % 2]
        age = "" if i % 6 == 0 else int(rng.integers(1, 70))
        ticket = f"A/5 {i}" if i % 9 == 4 else str(100000 + 7 * i)
        rows.append((i + 1, int(sex == "female"), f'"Person {i}, Mr."', sex, age, ticket,
                     f"{rng.uniform(5, 100):.2f}"))
    data = write_csv(tmp_path / "train.csv", ["PassengerId", "Survived", "Name", "Sex", "Age",
                                              "Ticket", "Fare"], rows)
    argv = ["train", "--data", str(data), "--target", "Survived", "--epochs", "20",
            "--no-progress", "--out", str(tmp_path / "m.npz")]
    code, out, err = run(argv, capsys)
    assert (code, err) == (2, f"glassgrad train: error: {data}: the column 'Name' holds 120 "
                              f"different words in 120 rows ('Person 0, Mr.', ...): too many for "
                              f"a category (at most 60 here, one input each); an id, a name or "
                              f"free text? Leave it out: --ignore Name\n")
    code, out, err = run(argv + ["--ignore", "Name"], capsys)
    assert (code, err) == (2, f"glassgrad train: error: {data}, line 6, column 'Ticket': 'A/5 4' "
                              f"is not a number (the other cells of 'Ticket' are numbers: write "
                              f"this one as a number or remove the row, or leave the column out: "
                              f"--ignore Ticket)\n")
    code, out, err = run(argv + ["--ignore", "Name,Ticket,PassengerId"], capsys)
    assert code == 0, err
    assert "'Sex' is a category: 2 0/1 inputs, one per value (female, male)" in out
    assert "filled in 20 missing values: 'Age' 20 (its median" in out
    assert float(re.search(r"validation accuracy (\S+)", out).group(1)) == 1.0   # Sex tells


def test_iris_data_without_a_header_row_and_a_class_of_words(tmp_path, capsys):
    rng = np.random.default_rng(6)
    names = ["Iris-setosa", "Iris-versicolor", "Iris-virginica"]
    lines = [",".join(f"{v:.1f}" for v in rng.normal([5 + c, 3, 1.5 + 2 * c, 0.2 + c], 0.3))
             + f",{names[c]}" for c in range(3) for _ in range(30)]
    data = tmp_path / "iris.data"
    data.write_text("\n".join(lines) + "\n")
    code, out, err = run(["train", "--data", str(data), "--target", "-1", "--epochs", "30",
                          "--no-progress", "--out", str(tmp_path / "iris.npz")], capsys)
    assert code == 0, err
    assert "training an MLP 4-32-32-3 to classify '4' from 4 features (72 rows" in out
    assert "classes Iris-setosa, Iris-versicolor, Iris-virginica" in out
    assert float(re.search(r"validation accuracy (\S+)", out).group(1)) >= 0.9
    new = tmp_path / "new.data"
    new.write_text("5.0,3.0,1.5,0.2\n7.0,3.0,5.5,2.2\n")
    code, out, err = run(["predict", "--model", str(tmp_path / "iris.npz"), "--data", str(new)],
                         capsys)
    assert (code, err) == (0, "")
    assert out == "5.0,3.0,1.5,0.2,Iris-setosa\n7.0,3.0,5.5,2.2,Iris-virginica\n"


@pytest.mark.parametrize("target, column", [("label", "label"), ("2", "label"),
                                            ("-1", "label"), ("0", "x1")])
def test_the_target_by_name_or_position(tmp_path, capsys, target, column):
    rows = [(i % 5, (i * 3) % 7, i % 2) for i in range(30)]
    data = write_csv(tmp_path / "d.csv", ["x1", "x2", "label"], rows)
    code, out, err = run(["train", "--data", str(data), "--target", target, "--epochs", "1",
                          "--out", str(tmp_path / "m.npz")], capsys)
    assert code == 0, err
    assert nn.load_trained(tmp_path / "m.npz").target == column


# -- arrays: .npz and IDX (MNIST's format) ------------------------------------------------------

def _digits(n, seed):
    """n 8x8 'digits' of three classes (a bright band at a class's rows) and their labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n).astype(np.uint8)
    images = rng.integers(0, 40, (n, 8, 8)).astype(np.uint8)
    for image, label in zip(images, labels):
        image[2 * label:2 * label + 3] += 200
    return images, labels


def test_an_idx_subset_trains_and_predicts_with_its_labels_found_beside_it(tmp_path, capsys):
    images, labels = _digits(260, seed=0)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images[:200])
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels[:200])
    write_idx(tmp_path / "t10k-images-idx3-ubyte", images[200:])
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels[200:])
    model = tmp_path / "digits.npz"
    code, out, err = run(["train", "--data", str(tmp_path / "train-images-idx3-ubyte.gz"),
                          "--hidden", "16", "--epochs", "8", "--out", str(model)], capsys)
    assert code == 0, err
    assert "training an MLP 64-16-3 to classify 'label' from 64 features (160 rows" in out
    assert "each sample is 8x8 values (an image?), standardised with one mean" in out
    assert float(re.search(r"validation accuracy (\S+)", out).group(1)) >= 0.95
    trained = nn.load_trained(model)
    assert np.ptp(trained.input_mean) == 0 and np.ptp(trained.input_std) == 0   # one scale
    out_csv = tmp_path / "p.csv"
    code, out, err = run(["predict", "--model", str(model), "--data",
                          str(tmp_path / "t10k-images-idx3-ubyte"), "--out", str(out_csv)], capsys)
    assert code == 0, err
    assert re.fullmatch(r"wrote 60 predictions of 'label' to .*p\.csv; accuracy (\S+) on the 60 "
                        r"rows whose 'label' is known\n", out)
    assert float(re.search(r"accuracy (\S+)", out).group(1)) >= 0.95
    predicted = [int(line) for line in _lines(out_csv.read_text())[1:]]
    assert np.mean(np.array(predicted) == labels[200:]) >= 0.95
    # the same images in an .npz predict the same
    np.savez(tmp_path / "test.npz", images=images[200:])
    code, out, err = run(["predict", "--model", str(model), "--data", str(tmp_path / "test.npz")],
                         capsys)
    assert code == 0, err
    assert [int(line) for line in _lines(out)[1:]] == predicted


def test_an_npz_of_several_arrays_names_its_target_and_leaves_the_others_out(tmp_path, capsys):
    images, labels = _digits(120, seed=3)
    np.savez(tmp_path / "mnist.npz", x_train=images[:100], y_train=labels[:100],
             x_test=images[100:], y_test=labels[100:])
    code, out, err = run(["train", "--data", str(tmp_path / "mnist.npz"), "--epochs", "2",
                          "--out", str(tmp_path / "m.npz")], capsys)
    assert (code, out) == (2, "")
    assert err == (f"glassgrad train: error: {tmp_path / 'mnist.npz'}: which array is the "
                   f"target? It holds x_train (100, 8, 8), y_train (100,), x_test (20, 8, 8), "
                   f"y_test (20,); name it: --target NAME (and leave out arrays that are "
                   f"neither: --ignore NAME)\n")
    code, out, err = run(["train", "--data", str(tmp_path / "mnist.npz"), "--target", "y_train",
                          "--ignore", "x_test,y_test", "--epochs", "2",
                          "--out", str(tmp_path / "m.npz")], capsys)
    assert code == 0, err
    assert ("to classify 'y_train' from 64 features of the array 'x_train', ignoring 'x_test', "
            "'y_test' (80 rows, 20 for validation)") in out


# -- the training options -----------------------------------------------------------------------

@pytest.fixture
def blobs_csv(tmp_path):
    rng = np.random.default_rng(4)
    rows = []
    for i in range(150):
        label = i % 3
        x1, x2 = rng.normal([(-2, 0), (2, 0), (0, 2.5)][label], 0.8)
        rows.append((f"{x1:.3f}", f"{x2:.3f}", ("cat", "dog", "eel")[label]))
    return write_csv(tmp_path / "blobs.csv", ["x1", "x2", "animal"], rows)


def _train(tmp_path, capsys, data, *options, out="m.npz"):
    code, text, err = run(["train", "--data", str(data), "--target", "animal", "--no-progress",
                           "--out", str(tmp_path / out), *options], capsys)
    assert code == 0, err
    return text


def test_model_hidden_activation_lr_batch_size_and_seed_are_what_was_asked(tmp_path, capsys,
                                                                          blobs_csv):
    text = _train(tmp_path, capsys, blobs_csv, "--hidden", "12,6", "--activation", "tanh",
                  "--lr", "0.05", "--batch-size", "10", "--epochs", "5", "--seed", "3")
    assert "training an MLP 2-12-6-3 to classify 'animal'" in text
    assert float(re.search(r"validation accuracy (\S+)", text).group(1)) >= 0.85
    settings = json.loads((tmp_path / "m.json").read_text())
    assert (settings["hidden"], settings["activation"]) == ([12, 6], "tanh")
    first = nn.load(tmp_path / "m.npz")["0.weight"]
    _train(tmp_path, capsys, blobs_csv, "--hidden", "12,6", "--activation", "tanh", "--lr",
           "0.05", "--batch-size", "10", "--epochs", "5", "--seed", "3", out="again.npz")
    _train(tmp_path, capsys, blobs_csv, "--hidden", "12,6", "--activation", "tanh", "--lr",
           "0.05", "--batch-size", "10", "--epochs", "5", "--seed", "4", out="other.npz")
    np.testing.assert_array_equal(nn.load(tmp_path / "again.npz")["0.weight"], first)
    assert not np.array_equal(nn.load(tmp_path / "other.npz")["0.weight"], first)
    # --hidden '' is a logistic regression
    text = _train(tmp_path, capsys, blobs_csv, "--hidden", "", "--epochs", "3")
    assert "training an MLP 2-3 to classify" in text


def _val_loss(text):
    return float(re.search(r"validation accuracy \S+ \(loss (\S+)\)", text).group(1))


def test_resume_goes_on_training_the_saved_model(tmp_path, capsys, blobs_csv):
    """Two epochs, then ten more from the saved model: the same standardisation, a lower
    validation loss, the same file names; options that contradict the model are refused."""
    first = _train(tmp_path, capsys, blobs_csv, "--epochs", "1", "--lr", "0.003")
    before = nn.load_trained(tmp_path / "m.npz")
    text = _train(tmp_path, capsys, blobs_csv, "--epochs", "10", "--lr", "0.003", "--resume",
                  str(tmp_path / "m.npz"))
    assert text.startswith(f"continuing to train the MLP 2-32-32-3 of {tmp_path / 'm.npz'} to "
                           f"classify 'animal' from 2 features (120 rows, 30 for validation)")
    after = nn.load_trained(tmp_path / "m.npz")
    np.testing.assert_array_equal(after.input_mean, before.input_mean)
    assert _val_loss(text) < 0.5 * _val_loss(first)
    for options, message in [
        (["--hidden", "8"], "--hidden '8': the model of --resume MODEL has --hidden '32,32'; "
                            "leave --hidden out to go on training it, or train a new model"),
        (["--task", "regress"], "--task 'regress': the model of --resume MODEL has --task "
                                "'classify'"),
    ]:
        code, out, err = run(["train", "--data", str(blobs_csv), "--target", "animal",
                              "--resume", str(tmp_path / "m.npz"), *options], capsys)
        assert (code, out) == (2, "")
        assert message.replace("MODEL", str(tmp_path / "m.npz")) in err and \
            err.count("\n") == 1
    other = write_csv(tmp_path / "other.csv", ["x1", "x2", "animal"],
                      [(0, 0, "cat"), (1, 1, "fox"), (2, 2, "dog"), (3, 3, "eel")])
    code, out, err = run(["train", "--data", str(other), "--target", "animal", "--resume",
                          str(tmp_path / "m.npz")], capsys)
    assert code == 2 and err == (f"glassgrad train: error: {other}, line 3: the target 'animal' "
                                 f"is 'fox', a class the model of --resume does not know (it "
                                 f"knows 'cat', 'dog', 'eel'); train a new model\n")


def test_early_stopping_keeps_the_best_epoch(tmp_path, capsys, blobs_csv):
    text = _train(tmp_path, capsys, blobs_csv, "--epochs", "300", "--lr", "0.05",
                  "--early-stopping", "3")
    found = re.search(r"stopped early after epoch (\d+): the validation loss had not improved "
                      r"for 3 epochs; kept the weights of epoch (\d+), its best", text)
    assert found, text
    stopped, best = map(int, found.groups())
    assert stopped < 300 and best == stopped - 3


# -- what the run shows: a bar on a terminal, lines in a log ----------------------------------

def test_a_log_gets_a_line_per_epoch_about_twenty_in_a_long_run(tmp_path, capsys, blobs_csv):
    code, out, err = run(["train", "--data", str(blobs_csv), "--target", "animal", "--epochs",
                          "100", "--hidden", "4", "--out", str(tmp_path / "m.npz")], capsys)
    assert code == 0
    epochs = [int(m) for m in re.findall(r"^epoch (\d+)/100: loss \S+, accuracy \S+, val_loss "
                                         r"\S+, val_accuracy \S+$", err, re.M)]
    assert {1, 5, 50, 100} <= set(epochs) and len(epochs) == len(_lines(err)) <= 30
    assert "\r" not in err
    code, out, err = run(["train", "--data", str(blobs_csv), "--target", "animal", "--epochs",
                          "3", "--no-progress", "--out", str(tmp_path / "m.npz")], capsys)
    assert (code, err) == (0, "")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal (pty)")
@pytest.mark.parametrize("sized", [True, False])
def test_a_terminal_gets_a_bar_even_one_that_says_it_has_no_size(tmp_path, blobs_csv, sized):
    """A pseudo-terminal nobody sized (docker run -t) reports 0 x 0: tqdm drew nothing there."""
    import fcntl
    import pty
    import struct
    import termios
    import threading
    master, slave = pty.openpty()
    if sized:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    command = subprocess.Popen(
        [sys.executable, "-m", "nn.cli", "train", "--data", str(blobs_csv), "--target",
         "animal", "--epochs", "3", "--out", str(tmp_path / "m.npz")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []

    def read():
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:                     # the command ended: the terminal is gone
                return
            if not chunk:
                return
            chunks.append(chunk)
    reader = threading.Thread(target=read)
    reader.start()
    try:
        out = command.stdout.read().decode()
        assert command.wait(timeout=120) == 0
    finally:
        command.kill()
        command.stdout.close()
        reader.join(timeout=10)
        os.close(master)
    bar = b"".join(chunks).decode()
    assert "\r" in bar and re.search(r"epoch 3/3: 100%\|.*\| 12/12", bar), bar
    assert "epoch 1/3: loss" not in bar                 # the log's lines are for logs only
    assert "saved the weights to" in out


# -- Ctrl-C: nothing learnt is lost ----------------------------------------------------------

@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT cannot be sent to a process there")
def test_ctrl_c_saves_the_model_and_resume_takes_it_up(tmp_path, capsys, blobs_csv):
    command = subprocess.Popen(
        [sys.executable, "-m", "nn.cli", "train", "--data", str(blobs_csv), "--target",
         "animal", "--epochs", "100000", "--out", str(tmp_path / "m.npz")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        first = command.stderr.readline()            # a line per epoch: the log's
        assert first.startswith("epoch 1/100000: loss"), first
        command.send_signal(signal.SIGINT)
        err = command.stderr.read()
        assert command.wait(timeout=60) == 130
    finally:
        command.kill()
        command.stdout.close()
        command.stderr.close()
    assert "Traceback" not in err
    assert re.search(r"glassgrad train: stopped by Ctrl-C in epoch \d+/100000, after \d+ training "
                     r"steps?: saved the model of that step to .*m\.npz and its settings to "
                     r".*m\.json\n$", err), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blobs.csv", "m.json", "m.npz"]
    text = _train(tmp_path, capsys, blobs_csv, "--epochs", "2", "--resume",
                  str(tmp_path / "m.npz"))
    assert text.startswith("continuing to train")


# -- the saved model, in nn.load and in PyTorch -------------------------------------------------

def test_the_model_loads_with_nn_load_and_with_torch_load(tmp_path, capsys, blobs_csv):
    torch = pytest.importorskip("torch", reason="needs PyTorch: pip install torch")
    _train(tmp_path, capsys, blobs_csv, "--epochs", "3", "--hidden", "8", out="m.pt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blobs.csv", "m.json", "m.pt"]
    state = torch.load(tmp_path / "m.pt", weights_only=True)
    assert state["settings"]["classes"] == ["cat", "dog", "eel"]
    net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    net.load_state_dict({k: v for k, v in state.items() if k[0].isdigit()})
    rows = np.array([[-2.0, 0.1], [2.1, -0.2], [0.0, 2.4]], np.float32)
    logits = net((torch.tensor(rows) - state["input_mean"]) / state["input_std"])
    trained = nn.load_trained(tmp_path / "m.pt")
    np.testing.assert_allclose(logits.detach().numpy(), trained(rows).numpy(), rtol=1e-5,
                               atol=1e-6)
    assert list(trained.predict(rows)) == ["cat", "dog", "eel"]
    # the settings file finds its .pt; nn.load reads both kinds
    assert nn.load_trained(tmp_path / "m.json").features == ["x1", "x2"]
    assert set(nn.load(tmp_path / "m.pt")) == set(state)
    _train(tmp_path, capsys, blobs_csv, "--epochs", "1", "--hidden", "8", out="n.npz")
    state = nn.load(tmp_path / "n.npz")
    assert {"0.weight", "0.bias", "2.weight", "2.bias", "input_mean", "input_std",
            "settings"} == set(state)
    mlp = nn.MLP(2, [8], 3)
    mlp.load_state_dict({k: v for k, v in state.items() if k[0].isdigit()})
    np.testing.assert_array_equal(mlp[0].weight.data, state["0.weight"])


# -- glassgrad graph ------------------------------------------------------------------------

def test_graph_prints_the_value_and_gradients_of_an_expression(tmp_path, capsys):
    x, w, b = 0.7, -1.3, 0.4
    code, out, err = run(["graph", "sigmoid(w*x + b) * log(1 + x**2)", f"x={x}", f"w={w}",
                          f"b={b}", "-o", str(tmp_path / "g.svg")], capsys)
    assert code == 0, err

    def f(x, w, b):
        return 1 / (1 + math.exp(-(w * x + b))) * math.log(1 + x * x)
    value = float(re.search(r"= (\S+)", _lines(out)[0]).group(1))
    assert value == pytest.approx(f(x, w, b), abs=1e-4)
    h = 1e-6
    for name, grad in re.findall(r"d/d(\w+) = (\S+)", out):
        point = {"x": x, "w": w, "b": b}
        up, down = dict(point), dict(point)
        up[name] += h
        down[name] -= h
        assert float(grad) == pytest.approx((f(**up) - f(**down)) / (2 * h), abs=1e-4), name
    assert (tmp_path / "g.svg").read_text().lstrip().startswith(("<?xml", "<svg"))


def test_an_expression_split_by_the_shell_says_to_quote_it(tmp_path, capsys):
    code, out, err = run(["graph", "x**2", "+", "3*x", "x=2", "-o", str(tmp_path / "g.svg")],
                         capsys)
    assert (code, out) == (2, "")
    assert err == ("glassgrad graph: error: expected NAME=VALUE (like x=2.0), got '+': the shell "
                   "splits an expression at its spaces; put it in quotes: glassgrad graph "
                   "'x**2 + 3*x' ...\n")


# -- bad input: one line, exit status 2, never a traceback --------------------------------------

def _bad_inputs(d):
    """(argv, message) for each mistake; files made in the folder `d`."""
    good = write_csv(d / "good.csv", ["x1", "x2", "label"],
                     [(i % 5, (i * 3) % 7, i % 2) for i in range(20)])
    (d / "empty.csv").write_text("")
    (d / "ragged.csv").write_text("a,b,y\n1,2,3\n4,5\n6,7,8\n")
    write_csv(d / "words.csv", ["a", "b", "y"], [(i, i, w) for i, w in
                                                 enumerate(["x", "y", "z", "x", "y", "q"])])
    write_csv(d / "other.csv", ["q", "r"], [(1, 2), (3, 4)])
    np.savez(d / "nan.npz", X=np.array([[1.0, np.nan], [2.0, 3.0]]), y=np.array([0, 1]))
    np.savez(d / "three.npz", a=np.zeros((4, 2)), b=np.zeros((4, 2)), c=np.zeros(4))
    write_idx(d / "lonely-images-idx3-ubyte", np.zeros((4, 2, 2), np.uint8))
    write_csv(d / "empty_column.csv", ["a", "b", "label"], [(i, "NA", i % 2) for i in range(8)])
    # a word far down a column of numbers (the first rows are read as a sample first)
    write_csv(d / "late.csv", ["a", "b", "label"],
              [(i, "three" if i == 250 else i % 7, i % 2) for i in range(300)])
    model = d / "model.npz"
    train = ["train", "--out", str(model), "--data"]
    return [
        (train + [str(d / "missing.csv"), "--target", "y"], f"{d / 'missing.csv'}: no such file"),
        (train + [str(d / "empty.csv"), "--target", "y"],
         f"{d / 'empty.csv'}: the file is empty (expected a header row and data rows)"),
        (train + [str(d / "ragged.csv"), "--target", "y"],
         f"{d / 'ragged.csv'}, line 3: 2 values, the header has 3"),
        (train + [str(good), "--target", "price"],
         f"{good}: no column 'price' (the target); the columns are x1, x2, label"),
        (train + [str(good), "--target", "7"],
         f"{good}: no column '7' (the target); the columns are x1, x2, label"),
        (train + [str(good)], f"{good}: which column is the target? Give --target NAME (or a "
                              f"position: -1 for the last column); the columns are x1, x2, label"),
        (train + [str(d / "words.csv"), "--target", "y", "--task", "regress"],
         f"{d / 'words.csv'}, line 2: --task regress needs a finite number in 'y', found 'x', "
         f"which is not a number"),
        (["predict", "--model", str(model), "--data", str(d / "other.csv")],
         f"{d / 'other.csv'}: no columns 'x1', 'x2' (the model was trained on them); the "
         f"columns are q, r"),
        (["predict", "--model", str(model), "--data", str(d / "nan.npz")],
         f"{d / 'nan.npz'}: the inputs 'X' hold nan (sample 0, value 1); glassgrad does not "
         f"fill in missing values in arrays"),
        (["predict", "--model", str(model), "--data", str(d / "three.npz")],
         f"{d / 'three.npz'}: which array holds the inputs? Besides the target, it holds a "
         f"(4, 2), b (4, 2), c (4,); save them as X: np.savez(path, X=X)"),
        (train + [str(good), "--target", "label", "--epochs", "-3"],
         "argument --epochs: must be at least 1, got -3 (see glassgrad train --help)"),
        (train + [str(good), "--target", "label", "--lr", "0"],
         "argument --lr: must be above 0, got 0 (see glassgrad train --help)"),
        (train + [str(good), "--target", "label", "--batch-size", "17"],
         "--batch-size 17 is more than the 16 training rows; give at most 16 (all of them in "
         "one batch)"),
        (train + [str(good), "--target", "label", "--early-stopping", "2", "--val", "0"],
         "--early-stopping 2 watches the validation loss, but --val 0 keeps no rows to "
         "validate on"),
        (train + [str(good), "--target", "label", "--sep", "ab"],
         "argument --sep: a separator is one character such as , ; | or the word tab, got "
         "'ab'"),
        (train + [str(d / "lonely-images-idx3-ubyte")],
         f"{d / 'lonely-images-idx3-ubyte'}: no labels: expected "
         f"{d / 'lonely-labels-idx1-ubyte'} beside it"),
        (train + [str(d / "lonely-images-idx3-ubyte"), "--target", str(d / "nope")],
         f"--target {d / 'nope'}: no such file (for IDX images, --target names their labels "
         f"file)"),
        (train + [str(d / "empty_column.csv"), "--target", "label"],
         f"{d / 'empty_column.csv'}: the column 'b' has no value in any row (every cell is "
         f"empty or missing); leave it out: --ignore b"),
        (train + [str(d / "late.csv"), "--target", "label"],
         f"{d / 'late.csv'}, line 252, column 'b': 'three' is not a number (the other cells of "
         f"'b' are numbers"),
        (train + [str(good), "--target", "label", "--resume", str(d / "none.npz")],
         f"--resume {d / 'none.npz'}: load_trained: no model at"),
        (["train", "--data", str(good), "--target", "label", "--out", str(d / "no" / "m.npz")],
         f"--out {d / 'no' / 'm.npz'}: the folder {d / 'no'} does not exist"),
    ]


def test_every_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    good = tmp_path / "good.csv"
    for argv, message in _bad_inputs(tmp_path):
        if argv[0] == "predict" and not (tmp_path / "model.npz").exists():
            code, _, err = run(["train", "--data", str(good), "--target", "label", "--epochs",
                                "1", "--no-progress", "--out", str(tmp_path / "model.npz")],
                               capsys)
            assert code == 0, err
        code, out, err = run(argv, capsys)
        assert (code, out) == (2, ""), (argv, out, err)
        assert err.startswith(f"glassgrad {argv[0]}: error: ") and err.count("\n") == 1, err
        assert message in err, (message, err)


@pytest.mark.skipif(not HAS_PROC, reason="needs Linux's /proc")
def test_unwritable_outputs_are_refused_before_any_work(tmp_path, capsys):
    data = write_csv(tmp_path / "d.csv", ["a", "label"], [(i, i % 2) for i in range(8)])
    code, out, err = run(["train", "--data", str(data), "--target", "label", "--out",
                          f"{NO_FILES_HERE}/m.npz"], capsys)
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert f"--out {NO_FILES_HERE}/m.npz: cannot write in the folder {NO_FILES_HERE}" in err
    code, _, err = run(["train", "--data", str(data), "--target", "label", "--epochs", "1",
                        "--no-progress", "--out", str(tmp_path / "m.npz")], capsys)
    assert code == 0, err
    code, out, err = run(["predict", "--model", str(tmp_path / "m.npz"), "--data", str(data),
                          "--out", f"{NO_FILES_HERE}/p.csv"], capsys)
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert "cannot write in the folder" in err


def test_a_bug_is_still_one_line_not_a_traceback(tmp_path, capsys, monkeypatch):
    """Whatever goes wrong inside, the user sees one line (GLASSGRAD_TRACEBACK=1 shows more)."""
    import nn.cli.encoding
    data = write_csv(tmp_path / "d.csv", ["a", "label"], [(i, i % 2) for i in range(8)])

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")
    monkeypatch.setattr(nn.cli.train, "encode", broken)
    code, out, err = run(["train", "--data", str(data), "--target", "label"], capsys)
    assert code == 1 and err == ("glassgrad train: error: unexpected RuntimeError: a bug (set "
                                 "GLASSGRAD_TRACEBACK=1 to see where)\n")
    assert nn.cli.encoding.encode is not broken
