"""`glassgrad predict` (nn/cli/predict.py): a model from `glassgrad train` labels new rows."""

import csv
import signal
import sys

import numpy as np
import pytest

from cli_helpers import HAS_PROC, refuse_files_in, run, write_csv
from nn import cli, load_trained


@pytest.fixture
def trained(tmp_path, capsys):
    """A classifier of colour from (x1, x2) whose x1 sits around 100: without the saved
    standardisation the predictions would be nonsense."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(160):
        label = "red" if i % 2 else "blue"
        x1, x2 = rng.normal(2.0 if label == "red" else -2.0, 0.7, 2)
        rows.append((f"{x1 + 100:.4f}", label, f"{x2:.4f}"))
    data = write_csv(tmp_path / "colours.csv", ["x1", "colour", "x2"], rows)
    code, _, err = run(["train", "--csv", str(data), "--target", "colour", "--hidden", "8",
                        "--epochs", "20", "--out", str(tmp_path / "model.npz")], capsys)
    assert code == 0, err
    return tmp_path / "model.npz"


def test_predict_writes_the_rows_with_a_predicted_column(trained, tmp_path, capsys):
    new = write_csv(tmp_path / "new.csv", ["id", "x2", "x1"],                # other order, extra
                    [(1, 2.1, 102.0), (2, -1.9, 98.1), (3, 1.7, 101.5)])
    out = tmp_path / "predictions.csv"
    code, text, err = run(["predict", "--model", str(trained), "--csv", str(new),
                           "--out", str(out)], capsys)
    assert code == 0, err
    assert text == f"wrote 3 predictions of 'colour' to {out}\n"
    with open(out, newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [["id", "x2", "x1", "predicted_colour"], ["1", "2.1", "102.0", "red"],
                    ["2", "-1.9", "98.1", "blue"], ["3", "1.7", "101.5", "red"]]


def test_predict_prints_to_stdout_and_accepts_the_settings_file(trained, tmp_path, capsys):
    new = write_csv(tmp_path / "new.csv", ["x1", "x2"], [(102.0, 2.1)])
    code, text, err = run(["predict", "--model", str(trained.with_suffix(".json")),
                           "--csv", str(new)], capsys)
    assert code == 0 and err == ""
    assert text == "x1,x2,predicted_colour\n102.0,2.1,red\n"


def test_predict_a_regression(tmp_path, capsys):
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, (200, 2))
    y = X @ [2.0, -1.0] + 3.0
    data = write_csv(tmp_path / "d.csv", ["a", "b", "y"],
                     [(*np.round(x, 4), round(t, 4)) for x, t in zip(X, y)])
    code, _, err = run(["train", "--csv", str(data), "--target", "y", "--hidden", "",
                        "--lr", "0.05", "--epochs", "80", "--out", str(tmp_path / "m")], capsys)
    assert code == 0, err
    new = write_csv(tmp_path / "new.csv", ["a", "b"], [(0.5, 0.5)])
    code, text, err = run(["predict", "--model", str(tmp_path / "m.npz"), "--csv", str(new)],
                          capsys)
    assert code == 0, err
    assert float(text.splitlines()[1].split(",")[-1]) == pytest.approx(3.5, abs=0.1)


@pytest.mark.parametrize("make, argv_tail, message", [
    (lambda d: write_csv(d / "new.csv", ["x1"], [(1.0,)]), [],
     "no column 'x2' (the model was trained on it); the columns are x1"),
    # a model for other columns: "no column 'a', 'b' (the model was trained on it)"
    (lambda d: write_csv(d / "new.csv", ["a", "b"], [(1.0, 2.0)]), [],
     "new.csv: no columns 'x1', 'x2' (the model was trained on them); the columns are a, b\n"),
    # the model cannot leave out a column it was trained on: not "or remove the column"
    (lambda d: write_csv(d / "new.csv", ["x1", "x2"], [(1.0, "north"), (2.0, "south")]), [],
     "new.csv, line 2, column 'x2': 'north' is not a number (the model was trained on numbers "
     "in 'x2')\n"),
    (lambda d: write_csv(d / "new.csv", ["x1", "x2"], [(1.0, 2.0), (3.0, "2.5.1"), (1, 2)]), [],
     "new.csv, line 3, column 'x2': '2.5.1' is not a number (the other cells of 'x2' are "
     "numbers: write this one as a number or remove the row)\n"),
    (lambda d: write_csv(d / "new.csv", ["x1", "x2"], [('"1,100.25"', 2.0)]), [],
     "new.csv, line 2, column 'x1': '1,100.25' is a number written with a thousands separator; "
     "write it without separators (1100.25)\n"),
    # (a missing value is filled in with the training median: tests/test_cli_trial.py)
    # a repeated name found only its first column: answers unlike load_trained(...).predict
    (lambda d: write_csv(d / "new.csv", ["x1", "x2", "x1"], [(100.0, 2.0, 1.0)]), [],
     "new.csv: the header names 'x1' more than once; give each column its own name"),
    # a second predicted_colour column was added
    (lambda d: write_csv(d / "new.csv", ["x1", "x2", "predicted_colour"], [(1.0, 2.0, "red")]),
     [], "new.csv: already has a column 'predicted_colour', the one predict adds; rename or "
         "remove it"),
    (lambda d: write_csv(d / "new.csv", ["x1", "x2"], [(1.0, 2.0)]), ["--out", "no/p.csv"],
     "--out no/p.csv: the folder no does not exist"),
    # "" was an unexpected ValueError; "out/" wrote a file named "out"
    (lambda d: write_csv(d / "new.csv", ["x1", "x2"], [(1.0, 2.0)]), ["--out", ""],
     "--out '': no file name; give one"),
    (lambda d: write_csv(d / "new.csv", ["x1", "x2"], [(1.0, 2.0)]), ["--out", "out/"],
     "--out 'out/': no file name; give one"),
])
def test_bad_input_is_one_line_and_exit_2(trained, tmp_path, capsys, monkeypatch, make,
                                          argv_tail, message):
    monkeypatch.chdir(tmp_path)
    new = make(tmp_path)
    code, out, err = run(["predict", "--model", str(trained), "--csv", str(new), *argv_tail],
                         capsys)
    assert code == 2 and out == ""
    assert err.startswith("glassgrad predict: error: ") and message in err, err
    assert err.count("\n") == 1


def test_a_missing_or_broken_model_is_one_line_and_exit_2(trained, tmp_path, capsys):
    new = write_csv(tmp_path / "new.csv", ["x1", "x2"], [(1.0, 2.0)])
    code, _, err = run(["predict", "--model", str(tmp_path / "other.npz"), "--csv", str(new)],
                       capsys)
    assert code == 2 and "no model at" in err and err.count("\n") == 1
    assert err.endswith(f"; train one first: glassgrad train --csv DATA.csv --target COLUMN "
                        f"--out {tmp_path / 'other.npz'}\n")          # predict before train
    trained.with_suffix(".json").write_text("{not json")
    code, _, err = run(["predict", "--model", str(trained), "--csv", str(new)], capsys)
    assert code == 2 and "is not a settings file" in err and err.count("\n") == 1


def test_a_copy_of_the_model_predicts_as_the_model_it_copied(trained, tmp_path, capsys):
    """cp model.npz best.npz, cp model.json best.json, train again: predict --model best.npz
    used the new model.npz (the name best.json records), with a warning about the settings."""
    new = write_csv(tmp_path / "new.csv", ["x1", "x2"], [(102.0, 2.1), (98.1, -1.9)])
    before = run(["predict", "--model", str(trained), "--csv", str(new)], capsys)
    for suffix in (".npz", ".json"):
        (tmp_path / f"best{suffix}").write_bytes(trained.with_suffix(suffix).read_bytes())
    code, _, err = run(["train", "--csv", str(tmp_path / "colours.csv"), "--target", "colour",
                        "--hidden", "3", "--lr", "1e-6", "--epochs", "1", "--out", str(trained)],
                       capsys)
    assert code == 0, err
    assert run(["predict", "--model", str(tmp_path / "best.npz"), "--csv", str(new)],
               capsys) == before == (0, "x1,x2,predicted_colour\n102.0,2.1,red\n98.1,-1.9,blue\n",
                                     "")


@pytest.mark.parametrize("name", ["model.npz", "model.json", "new.csv"])
def test_out_naming_the_models_or_the_inputs_own_file_is_refused(trained, tmp_path, capsys, name):
    new = write_csv(tmp_path / "new.csv", ["x1", "x2"], [(102.0, 2.1)])
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    code, out, err = run(["predict", "--model", str(trained), "--csv", str(new),
                          "--out", str(tmp_path / name)], capsys)
    assert code == 2 and out == ""
    assert err == (f"glassgrad predict: error: --out {tmp_path / name}: that is the model's or "
                   f"the input's own file; write the predictions to another name\n")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM cannot be sent to a process there")
def test_a_train_stopped_between_its_two_files_leaves_a_model_predict_uses(trained, tmp_path,
                                                                        capsys, monkeypatch):
    """SIGTERM after the new weights, before the new settings: the old settings do not belong
    to the new weights, so predict uses the settings saved in the weights, and says so."""
    import nn.trained

    def sigterm(*args, **kwargs):
        signal.raise_signal(signal.SIGTERM)
    monkeypatch.setattr(nn.trained, "atomic_open", sigterm)
    code, _, err = run(["train", "--csv", str(tmp_path / "colours.csv"), "--target", "colour",
                        "--hidden", "3", "--epochs", "5", "--no-progress", "--out", str(trained)],
                       capsys)
    assert (code, err) == (143, "glassgrad train: error: terminated (SIGTERM)\n")
    monkeypatch.undo()
    new = write_csv(tmp_path / "new.csv", ["x1", "x2"], [(102.0, 2.1)])
    code, out, err = run(["predict", "--model", str(trained), "--csv", str(new)], capsys)
    assert code == 0 and out.splitlines()[1] in ("102.0,2.1,red", "102.0,2.1,blue")
    assert err.startswith(f"glassgrad predict: warning: --model {trained}: load_trained: ")
    assert "does not belong to" in err and err.count("\n") == 1
    with pytest.warns(UserWarning, match="does not belong to"):
        assert load_trained(trained).hidden == [3]              # the new model


def test_csv_dash_reads_standard_input(trained, capsys):
    rows = b"\xef\xbb\xbfx1,x2\r\n102.0,2.1\r\n98.1,-1.9\r\n"      # a BOM and Windows line ends
    code, out, err = run(["predict", "--model", str(trained), "--csv", "-"], capsys, stdin=rows)
    assert (code, err) == (0, "")
    assert out == "x1,x2,predicted_colour\n102.0,2.1,red\n98.1,-1.9,blue\n"
    code, text, _ = run(["predict", "--help"], capsys)
    assert "- reads them from standard input" in " ".join(text.split())


def test_out_dash_writes_to_standard_output(trained, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rows = b"x1,x2\n102.0,2.1\n"
    code, out, err = run(["predict", "--model", str(trained), "--csv", "-", "--out", "-"], capsys,
                         stdin=rows)
    assert (code, err, out) == (0, "", "x1,x2,predicted_colour\n102.0,2.1,red\n")
    assert not (tmp_path / "-").exists()                 # no file named "-"


def test_predictions_on_stdout_are_utf8_whatever_the_console_encoding(trained, tmp_path,
                                                                       capsys, monkeypatch):
    """On Windows, redirected output is in the locale's code page (cp1252): a cell it cannot
    hold (李) made predict fail, and é came out as a byte that no UTF-8 reader reads."""
    from cli_helpers import windows_stdout
    new = tmp_path / "new.csv"
    new.write_text("name,x1,x2\n李,102.0,2.1\nJosé,98.1,-1.9\n", encoding="utf-8")
    written = windows_stdout(monkeypatch)
    assert cli.main(["predict", "--model", str(trained), "--csv", str(new)]) == 0
    assert written.getvalue().decode("utf-8") == ("name,x1,x2,predicted_colour\n"
                                                  "李,102.0,2.1,red\nJosé,98.1,-1.9,blue\n")


def test_csv_dash_reads_a_pipe(trained):
    """In a real process standard input is bytes underneath (sys.stdin.buffer)."""
    import os
    import subprocess
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-m", "nn.cli", "predict", "--model", str(trained),
                           "--csv", "-"], input=b"x1,x2\n102.0,2.1\n", capture_output=True,
                          cwd=root, env={**os.environ, "PYTHONPATH": root}, timeout=120)
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout == b"x1,x2,predicted_colour\n102.0,2.1,red\n"


@pytest.mark.parametrize("damage, message", [
    (lambda state: state.update(input_mean={"x1": 1.0}), "'input_mean' holds a dict"),
    (lambda state: state.update(epochs=[1, 2, 3]), "'epochs' holds a list"),
])
def test_a_model_file_of_the_wrong_kind_is_bad_input_not_a_crash(trained, tmp_path, capsys,
                                                                  damage, message):
    """Such files gave "unexpected TypeError" and exit 1."""
    from nn import load, save
    state = load(trained)
    damage(state)
    save(state, trained)
    trained.with_suffix(".json").unlink()
    new = write_csv(tmp_path / "new.csv", ["x1", "x2"], [(1.0, 2.0)])
    code, _, err = run(["predict", "--model", str(trained), "--csv", str(new)], capsys)
    assert code == 2 and message in err and err.count("\n") == 1, err


def test_a_damaged_model_file_is_bad_input_not_a_crash(trained, tmp_path, capsys):
    """One flipped "version needed to extract" byte: "unexpected NotImplementedError", exit 1."""
    raw = bytearray(trained.read_bytes())
    raw[raw.index(b"PK\x01\x02") + 6] ^= 0xFF
    trained.write_bytes(bytes(raw))
    new = write_csv(tmp_path / "new.csv", ["x1", "x2"], [(1.0, 2.0)])
    code, _, err = run(["predict", "--model", str(trained), "--csv", str(new)], capsys)
    assert code == 2 and err.count("\n") == 1, err
    assert f"{str(trained)!r} is not a glassgrad checkpoint" in err and "damaged" in err


def test_out_where_no_file_can_be_made_is_refused_before_reading(trained, tmp_path, capsys,
                                                                 monkeypatch):
    """`--out /proc/p.csv` predicted every row, then failed with exit 1."""
    new = write_csv(tmp_path / "new.csv", ["x1", "x2"], [(100.0, 2.0)])
    odd = tmp_path / "odd"
    odd.mkdir()
    refuse_files_in(monkeypatch, odd, 13, "Permission denied")
    code, out, err = run(["predict", "--model", str(trained), "--csv", str(new),
                          "--out", str(odd / "p.csv")], capsys)
    assert code == 2 and out == ""
    assert err == (f"glassgrad predict: error: --out {odd / 'p.csv'}: cannot write in the folder "
                   f"{odd} (making a file there fails: Permission denied)\n")
    if HAS_PROC:
        code, out, err = run(["predict", "--model", str(trained), "--csv", str(new),
                              "--out", "/proc/p.csv"], capsys)
        assert code == 2 and out == "" and err.startswith(
            "glassgrad predict: error: --out /proc/p.csv: cannot write in the folder /proc (")


def test_predict_writes_a_regression_exactly_as_the_model_gives_it(tmp_path, capsys):
    # a target in the millions: six significant digits wrote 1.23457e+06 and lost the rest
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, (40, 2))
    y = 1_234_567.0 + 1000 * X[:, 0]
    data = write_csv(tmp_path / "d.csv", ["a", "b", "y"],
                     [(*np.round(x, 4), round(t, 2)) for x, t in zip(X, y)])
    code, _, err = run(["train", "--csv", str(data), "--target", "y", "--hidden", "",
                        "--epochs", "2", "--out", str(tmp_path / "m")], capsys)
    assert code == 0, err
    code, text, err = run(["predict", "--model", str(tmp_path / "m.npz"), "--csv", str(data)],
                          capsys)
    assert code == 0, err
    written = [row[-1] for row in csv.reader(text.splitlines()[1:])]
    expected = load_trained(tmp_path / "m.npz").predict(X.round(4))
    assert "e+" not in "".join(written)
    np.testing.assert_array_equal(np.array(written, dtype=expected.dtype), expected)
