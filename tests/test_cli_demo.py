"""`glassgrad demo` (nn/cli/demo.py): its numbers, its two pictures, its bad input."""

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from cli_helpers import HAS_PROC, refuse_files_in, run


def test_demo_trains_and_writes_its_two_pictures(tmp_path, capsys):
    out_dir = tmp_path / "demo"
    code, out, err = run(["demo", "-o", str(out_dir), "--epochs", "40"], capsys)
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
    assert f"wrote {out_dir / 'decision_boundary.png'}: the regions" in out
    assert f"wrote {out_dir / 'prediction_graph.svg'}: one test point's loss" in out
    assert "matplotlib" not in out
    assert err == ""                      # not a terminal: no progress bar by default


def test_progress_forces_the_bar_and_no_progress_silences_it(tmp_path, capsys):
    code, _, err = run(["demo", "-o", str(tmp_path), "--epochs", "2", "--progress"], capsys)
    assert code == 0 and "epoch 2/2" in err
    code, _, err = run(["demo", "-o", str(tmp_path), "--epochs", "2", "--no-progress"], capsys)
    assert code == 0 and err == ""


def test_bad_epochs_and_seed_are_usage_errors(tmp_path, capsys):
    code, out, err = run(["demo", "-o", str(tmp_path), "--epochs", "0"], capsys)
    assert code == 2 and out == ""
    assert err == ("glassgrad demo: error: argument --epochs: must be at least 1, got 0 "
                   "(see glassgrad demo --help)\n")
    code, out, err = run(["demo", "-o", str(tmp_path), "--seed", "-1"], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "argument --seed: a seed is an integer from 0 to 4294967295, got -1" in err


def test_an_existing_file_as_the_output_folder_is_a_usage_error(tmp_path, capsys):
    taken = tmp_path / "notes.txt"
    taken.write_text("keep me")
    code, out, err = run(["demo", "-o", str(taken), "--epochs", "1"], capsys)
    assert code == 2 and out == ""
    assert err == f"glassgrad demo: error: -o {taken}: is a file; give a folder for the pictures\n"
    assert taken.read_text() == "keep me"


def test_a_folder_where_a_picture_goes_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "decision_boundary.png").mkdir()
    code, out, err = run(["demo", "-o", str(tmp_path), "--epochs", "1"], capsys)
    assert code == 2 and out == ""
    assert err == (f"glassgrad demo: error: -o {tmp_path}: it writes "
                   f"{tmp_path / 'decision_boundary.png'}, which is a folder; give another name\n")


def test_an_output_folder_that_cannot_be_made_is_refused_before_training(tmp_path, capsys):
    taken = tmp_path / "notes.txt"
    taken.write_text("keep me")
    # both trained first, then failed: "No such file or directory", "Not a directory", exit 1
    for folder, message in [("", "-o '': no folder name; give one"),
                            (str(taken / "pictures"), f"-o {taken / 'pictures'}: {taken} is a "
                                                      f"file, not a folder")]:
        code, out, err = run(["demo", "-o", folder, "--epochs", "1"], capsys)
        assert code == 2 and out == ""
        assert err == f"glassgrad demo: error: {message}\n"
    assert taken.read_text() == "keep me"


@pytest.mark.skipif(not HAS_PROC, reason="needs Linux's /proc")
def test_a_folder_in_proc_is_refused_before_training(capsys):
    """`-o /proc/nope` trained for the whole run, then failed with exit 1 (as root, /proc's
    permissions say "writable")."""
    code, out, err = run(["demo", "-o", "/proc/glassgrad-nope", "--epochs", "1"], capsys)
    assert code == 2 and out == ""
    assert err.startswith("glassgrad demo: error: -o /proc/glassgrad-nope: the folder cannot be "
                          "made in /proc (") and err.count("\n") == 1


def test_a_folder_that_cannot_be_made_or_written_in_is_refused_before_training(
        tmp_path, capsys, monkeypatch):
    import os
    locked, made = tmp_path / "locked", os.mkdir

    def mkdir(path, *args, **kwargs):
        if os.path.dirname(os.path.abspath(path)) == str(locked):
            raise PermissionError(13, "Permission denied")
        return made(path, *args, **kwargs)
    locked.mkdir()
    monkeypatch.setattr(os, "mkdir", mkdir)
    code, out, err = run(["demo", "-o", str(locked / "pictures"), "--epochs", "1"], capsys)
    assert code == 2 and out == ""
    assert err == (f"glassgrad demo: error: -o {locked / 'pictures'}: the folder cannot be made "
                   f"in {locked} (Permission denied)\n")
    odd = tmp_path / "odd"                   # a folder that exists, where no file can be made
    odd.mkdir()
    refuse_files_in(monkeypatch, odd)
    code, out, err = run(["demo", "-o", str(odd), "--epochs", "1"], capsys)
    assert code == 2 and out == ""
    assert err == (f"glassgrad demo: error: -o {odd}: cannot write in the folder {odd} (making "
                   f"a file there fails: No such file or directory)\n")
    assert list(locked.iterdir()) == [] and list(odd.iterdir()) == []


def test_the_folder_is_made_only_once_the_training_is_done(tmp_path, capsys, monkeypatch):
    """The check makes the folder and removes it: a run stopped while training leaves none."""
    from nn.cli import demo

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(demo, "fit", stopped)
    code, _, err = run(["demo", "-o", str(tmp_path / "pictures"), "--epochs", "1"], capsys)
    assert code == 130 and err == "glassgrad demo: error: interrupted\n"
    assert list(tmp_path.iterdir()) == []


def test_the_output_folder_is_made_but_not_its_parents(tmp_path, capsys, monkeypatch):
    """As train, predict and graph refuse an output whose folder is missing, demo makes the
    folder -o names, not the folders above it (it made them all, as `mkdir -p`)."""
    monkeypatch.chdir(tmp_path)
    for folder, missing in ((str(tmp_path / "nowhere" / "pictures"), str(tmp_path / "nowhere")),
                            ("a/b/", "a")):
        code, out, err = run(["demo", "-o", folder, "--epochs", "1"], capsys)
        assert code == 2 and out == ""
        assert err == f"glassgrad demo: error: -o {folder}: the folder {missing} does not exist\n"
    assert list(tmp_path.iterdir()) == []


def test_help_names_the_options_as_the_readme_does(capsys):
    code, out, _ = run(["demo", "--help"], capsys)   # README: demo [-o FOLDER] [--epochs N] [--seed N]
    assert code == 0 and out.startswith("usage: glassgrad demo [-h] [-o FOLDER] [--epochs N] "
                                        "[--seed SEED]")


def test_the_demo_leaves_the_plotting_backend_as_it_was(tmp_path, capsys, monkeypatch):
    """main(["demo"]) run in a notebook or an interactive session switched matplotlib to Agg
    for the whole process: that session's plots stopped showing."""
    import matplotlib
    switched = []
    monkeypatch.setattr(matplotlib, "use", lambda *args, **kwargs: switched.append(args))
    code, _, err = run(["demo", "-o", str(tmp_path), "--epochs", "1"], capsys)
    assert code == 0, err
    assert switched == []
    assert (tmp_path / "decision_boundary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
