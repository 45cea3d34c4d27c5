"""The notebooks run top to bottom, so their asserted numbers hold (they never rot).

Each is executed in a fresh kernel from the notebooks folder; a failing cell fails its test with
the cell's traceback. The MNIST notebooks read GLASSGRAD_MNIST_DIR (CI points it at the real
t10k files) or downloads.
"""

import json
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

FOLDER = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("[0-9][0-9]_*.ipynb"))


def test_the_ten_walkthroughs_are_there_and_indexed():
    assert [path.name[:2] for path in NOTEBOOKS] == [f"{i:02d}" for i in range(1, 11)]
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
def test_notebook_executes(path, monkeypatch):
    # one BLAS thread in the kernel: on 2 shared cores OpenBLAS's spinning threads can make
    # small matrix products ten times slower when anything else runs
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(name, "1")
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(FOLDER)}}).execute()
