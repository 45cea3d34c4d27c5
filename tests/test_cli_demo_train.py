"""`glassgrad demo` and `glassgrad train` (nn/cli/demo.py, nn/cli/train.py): outputs, files, exit codes."""

import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from nn import cli
from nn import MLP, load


def run(argv, capsys):
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_demo_trains_and_writes_its_pictures(tmp_path, capsys):
    out_dir = tmp_path / "demo"
    code, out, err = run(["demo", "-o", str(out_dir), "--epochs", "40", "--no-progress"], capsys)
    assert code == 0, err
    test_accuracy = float(re.search(r"test accuracy (\d\.\d+)", out).group(1))
    assert test_accuracy >= 0.9
    assert "confusion matrix" in out
    matrix = [list(map(int, line.split())) for line in out.splitlines()
              if re.fullmatch(r"\s+\d+\s+\d+", line)]
    assert np.sum(matrix) == 100                      # the 100 held-out points
    svg = ET.parse(out_dir / "prediction_graph.svg").getroot()
    assert svg.tag.endswith("svg")
    texts = [t.text for t in svg.iter() if t.tag.endswith("text")]
    assert {"x", "0.weight", "4.bias", "loss"} <= set(texts)       # named weights and the loss
    assert any(t and t.startswith("‖grad‖") for t in texts)         # after backward
    assert (out_dir / "decision_boundary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {out_dir / 'prediction_graph.svg'}" in out
    assert err == ""                                  # --no-progress: no bar


def test_demo_shows_a_progress_bar_by_default(tmp_path, capsys):
    code, out, err = run(["demo", "-o", str(tmp_path), "--epochs", "2"], capsys)
    assert code == 0 and "epoch 2/2" in err


def test_demo_rejects_bad_epochs(tmp_path, capsys):
    code, out, err = run(["demo", "-o", str(tmp_path), "--epochs", "0"], capsys)
    assert code == 2
    assert err == "glassgrad demo: error: --epochs must be at least 1, got 0\n"


def write_csv(path, header, rows):
    path.write_text(",".join(header) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return path


@pytest.fixture
def colours_csv(tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    for i in range(120):
        label = "red" if i % 2 else "blue"
        centre = 2.0 if label == "red" else -2.0
        x1, x2 = rng.normal(centre, 0.7, 2)
        rows.append((f"{x1:.4f}", label, f"{x2:.4f}"))
    return write_csv(tmp_path / "colours.csv", ["x1", "colour", "x2"], rows)


def test_train_classifies_a_csv_and_saves_the_model(colours_csv, tmp_path, capsys):
    out = tmp_path / "model.npz"
    code, text, err = run(["train", "--csv", str(colours_csv), "--target", "colour",
                           "--hidden", "8", "--epochs", "20", "--out", str(out),
                           "--no-progress"], capsys)
    assert code == 0, err
    assert "to classify 'colour' from 2 features (96 rows, 24 for validation)" in text
    assert float(re.search(r"validation accuracy (\d\.\d+)", text).group(1)) >= 0.95
    settings = json.loads((tmp_path / "model.json").read_text())
    assert settings == {"task": "classify", "target": "colour", "features": ["x1", "x2"],
                        "hidden": [8], "classes": ["blue", "red"], "weights": "model.npz"}
    state = load(out)
    assert set(state) == {"0.weight", "0.bias", "2.weight", "2.bias", "input_mean", "input_std"}
    model = MLP(2, [8], 2)
    model.load_state_dict({k: v for k, v in state.items() if not k.startswith("input_")})


def test_train_regresses_a_numeric_target(tmp_path, capsys):
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, (200, 3))
    y = X @ [1.5, -2.0, 0.5] + 3.0
    path = write_csv(tmp_path / "houses.csv", ["a", "b", "c", "price"],
                     [(*np.round(x, 4), round(t, 4)) for x, t in zip(X, y)])
    code, text, err = run(["train", "--csv", str(path), "--target", "price", "--hidden", "",
                           "--lr", "0.05", "--epochs", "60", "--out", str(tmp_path / "m.npz"),
                           "--no-progress"], capsys)
    assert code == 0, err
    assert "to regress 'price'" in text
    assert float(re.search(r"R² (-?\d\.\d+)", text).group(1)) > 0.99


@pytest.mark.parametrize("content, message", [
    ("", "the file is empty"),
    ("a,b,label\n", "only a header row, no data"),
    ("a,b,colour\n1,2,x\n3,4,y\n", "no column 'label'; the columns are a, b, colour"),
    ("a,b,label\n1,2,0\n3,oops,1\n", "line 3, column 'b': 'oops' is not a number"),
    ("a,b,label\n1,2,0\n3,1\n", "line 3: 2 values, the header has 3"),
    ("a,b,label\n1,2,0\n3,4,0\n5,6,0\n7,8,0\n", "the target has a single class '0'"),
    ("a,b,label\n1,nan,0\n3,4,1\n", "the features contain nan or inf"),
])
def test_train_reports_bad_csv_input_with_exit_code_2(tmp_path, capsys, content, message):
    path = tmp_path / "data.csv"
    path.write_text(content)
    code, out, err = run(["train", "--csv", str(path), "--target", "label", "--no-progress",
                          "--out", str(tmp_path / "m.npz")], capsys)
    assert code == 2
    assert err.startswith("glassgrad train: error: ") and message in err
    assert err.count("\n") == 1
    assert not (tmp_path / "m.npz").exists()


def test_train_reports_a_missing_file_and_bad_options(tmp_path, capsys, colours_csv):
    code, _, err = run(["train", "--csv", str(tmp_path / "absent.csv"), "--target", "y"], capsys)
    assert code == 2 and "absent.csv: no such file" in err
    code, _, err = run(["train", "--csv", str(colours_csv), "--target", "colour",
                        "--hidden", "8,x"], capsys)
    assert code == 2 and "--hidden must be sizes like 32,32, got '8,x'" in err
    code, _, err = run(["train", "--csv", str(colours_csv), "--target", "colour",
                        "--val", "1.5"], capsys)
    assert code == 2 and "--val must be a fraction between 0 and 1" in err
    code, _, err = run(["train", "--csv", str(colours_csv), "--target", "colour",
                        "--task", "regress"], capsys)
    assert code == 2 and "--task regress needs a numeric target; found 'blue'" in err
