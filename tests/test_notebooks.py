"""The notebooks run top to bottom, so their asserted numbers hold (they never rot).

Each is executed in a fresh kernel from the notebooks folder; a failing cell fails its test with
the cell's traceback. A notebook that calls `load_mnist(` needs the real digits: it runs when
GLASSGRAD_MNIST_DIR names a folder with them (CI points it at ../shared/data/mnist) and is
skipped otherwise, the reason saying how to enable it (never a download from the suite; with
GLASSGRAD_REQUIRE_MNIST=1, as in CI, the skip is a failure).
"""

import importlib.util
import json
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import real_mnist_dir

FOLDER = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("[0-9][0-9]_*.ipynb"))
_spec = importlib.util.spec_from_file_location("notebooks_clean", FOLDER / "clean.py")
clean = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(clean)


def test_the_eleven_walkthroughs_are_there_and_indexed():
    assert [path.name[:2] for path in NOTEBOOKS] == [f"{i:02d}" for i in range(1, 12)]
    index = (FOLDER / "README.md").read_text()
    for path in NOTEBOOKS:
        assert path.name in index, f"{path.name} is missing from notebooks/README.md"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_committed_notebooks_show_their_outputs_and_stay_small(path):
    notebook = json.loads(path.read_text())
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code and all(cell["execution_count"] is not None for cell in code), \
        f"{path.name} is not committed executed (run it top to bottom, then save)"
    assert path.stat().st_size < 1_000_000, f"{path.name} is {path.stat().st_size:,} bytes"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_committed_notebooks_are_clean(path):
    text = path.read_text(encoding="utf-8")
    assert clean.cleaned(text) == text, \
        f"{path.name} has execution timestamps or printed text in pieces: " \
        "run python notebooks/clean.py"


def test_notebook_3_states_the_rule_logistic_regression_predicts_by():
    """It said "predict class 1 when σ(z) ≥ 0.5, that is when z ≥ 0", but `predict` (and
    `evaluate`, for logits) give class 1 only for z > 0: the untrained model, z = 0, is class 0."""
    from nn import LogisticRegression
    notebook = json.loads((FOLDER / "03_logistic_regression_and_evaluation.ipynb").read_text())
    text = "".join("".join(cell["source"]) for cell in notebook["cells"]
                   if cell["cell_type"] == "markdown")
    assert "predict class 1 when $\\sigma(z) > 0.5$, that is when $z > 0$" in text
    assert "\\ge 0.5$, that is when $z \\ge 0$" not in text
    assert LogisticRegression(2).predict([[1.0, 2.0], [-3.0, 0.5]]).tolist() == [0, 0]


def markdown_of(name: str) -> str:
    """The text of a notebook's markdown cells, joined."""
    notebook = json.loads((FOLDER / name).read_text(encoding="utf-8"))
    return "".join("".join(cell["source"]) for cell in notebook["cells"]
                   if cell["cell_type"] == "markdown")


def test_notebook_10_says_how_each_lenet_layer_convolves(monkeypatch):
    """Notebook 10 said every layer copies its columns one cache-sized tile at a time; since
    the convolutions by image rows, LeNet's second layer (16 input channels, stride 1) copies no
    columns at all. It now says which layer does which: checked here on the kernels it names."""
    import numpy as np

    from autograd import Tensor, no_grad
    from autograd.ops import conv
    from nn import Conv2d

    calls = []

    def counted(name):
        original = getattr(conv, name)

        def run(*args, **kwargs):
            calls.append(name)
            return original(*args, **kwargs)
        return run

    for name in ("rows_forward", "column_tiles"):
        monkeypatch.setattr(conv, name, counted(name))
    with no_grad():
        Conv2d(1, 16, 5, padding=2)(Tensor(np.zeros((2, 1, 28, 28), np.float32)))
        first, calls[:] = calls[:], []
        Conv2d(16, 32, 5, padding=2)(Tensor(np.zeros((2, 16, 14, 14), np.float32)))
    assert first == ["column_tiles"] and calls == ["rows_forward"]
    text = markdown_of("10_convolutional_networks.ipynb")
    assert "LeNet's first layer below (one input channel) copies one cache-sized tile" in text
    assert "Its second layer (16 input channels, stride 1) copies\nno columns at all" in text


def test_clean_strips_the_timestamps_and_nothing_else(tmp_path):
    cell = {"cell_type": "code", "execution_count": 1, "id": "a1", "outputs": [],
            "source": ["print(1)"], "metadata": {"tags": ["keep"], "execution": {
                "iopub.execute_input": "2026-12-05T03:03:52.469470Z",
                "shell.execute_reply": "2026-12-05T03:03:52.474147Z"}}}
    notebook = {"cells": [cell], "metadata": {"kernelspec": {"name": "python3"}},
                "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "01_x.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    assert clean.main(["--check", str(path)]) == 1
    assert clean.main([str(path)]) == 0
    again = json.loads(path.read_text(encoding="utf-8"))
    assert again["cells"][0]["metadata"] == {"tags": ["keep"]}
    del cell["metadata"]["execution"]
    assert again == notebook
    assert clean.main(["--check", str(path)]) == 0


def test_clean_joins_printed_text_the_kernel_sent_in_pieces():
    # print() writes its text, then its newline: a flush in between cut a line of notebook 1 in
    # two in one run and not in the next, so the saved outputs differed
    def stream(name, text):
        return {"name": name, "output_type": "stream", "text": text}
    cell = {"cell_type": "code", "execution_count": 1, "id": "a1", "metadata": {},
            "source": ["print(1)"],
            "outputs": [stream("stdout", ["loss: 0.29"]), stream("stdout", ["1\n", "done\n"]),
                        stream("stderr", ["warning\n"]), stream("stdout", ["later\n"])]}
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    outputs = json.loads(clean.cleaned(json.dumps(notebook)))["cells"][0]["outputs"]
    assert outputs == [stream("stdout", ["loss: 0.291\n", "done\n"]),
                       stream("stderr", ["warning\n"]), stream("stdout", ["later\n"])]


@pytest.mark.parametrize("path", NOTEBOOKS[1:], ids=lambda path: path.stem)
def test_notebooks_that_train_tensors_use_one_blas_thread(path):
    # a learner's Jupyter has numpy's default threads: on a busy 2-core machine notebook 8 took
    # 365 s with them against 43 s with one (notebooks/README.md), and sums in another order
    # would not reproduce the committed outputs
    first = next(cell for cell in nbformat.read(path, as_version=4).cells
                 if cell.cell_type == "code")
    assert "\nset_num_threads(1)" in first.source, \
        f"{path.name}: its first code cell should call set_num_threads(1)"


def reads_mnist(notebook) -> bool:
    """Whether a notebook loads the MNIST digits (any code cell calling `load_mnist(`)."""
    return any(cell.cell_type == "code" and "load_mnist(" in cell.source
               for cell in notebook.cells)


def test_the_mnist_notebooks_are_recognised():
    readers = [path.name[:2] for path in NOTEBOOKS
               if reads_mnist(nbformat.read(path, as_version=4))]
    assert "06" in readers and "01" not in readers


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_executes(path, monkeypatch):
    # one BLAS thread in the kernel: on 2 shared cores OpenBLAS's spinning threads can make
    # small matrix products ten times slower when anything else runs
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(name, "1")
    notebook = nbformat.read(path, as_version=4)
    if reads_mnist(notebook):
        real_mnist_dir()                      # skips (or, in CI, fails) without the digits
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(FOLDER)}}).execute()


# (notebook, the cells to run: those before its first training cell, which is not meant to be
# run twice). A learner runs a cell again; a cell that inspects gradients must then show the same
# numbers, so it zeroes the leaves' .grad, which otherwise add up over backward() calls.
RERUNNABLE = [("01_backprop_by_hand_and_by_graph.ipynb", None),
              ("05_mlp_on_the_moons.ipynb", 12)]


@pytest.mark.parametrize("name, stop", RERUNNABLE, ids=[name[:2] for name, _ in RERUNNABLE])
def test_cells_that_inspect_gradients_can_be_run_twice(name, stop, monkeypatch):
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(variable, "1")
    notebook = nbformat.read(FOLDER / name, as_version=4)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(FOLDER)}})
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells[:stop]):
            if cell.cell_type == "code":
                client.execute_cell(cell, index)
                client.execute_cell(cell, index)        # raises with the cell's traceback
