"""Strip what changes at every run from executed notebooks, so their diffs show only real changes.

    python notebooks/clean.py                 # every notebook in this folder, in place
    python notebooks/clean.py --check         # exit 1 (and name them) if any is not clean
    python notebooks/clean.py NN_name.ipynb   # only these

`jupyter execute` records when each cell ran (a cell's `metadata.execution`: the times the
kernel was busy, got the input, replied, went idle). The outputs stay; the timestamps go. And
the kernel sends printed text in pieces, cut wherever its output buffer happened to be flushed
(a busy machine can cut a line in two), so consecutive pieces of one stream are joined into one
output, as Jupyter shows them anyway. The file is written back in Jupyter's own layout
(one-space indent, keys sorted, a final newline), so a clean notebook (no timestamps, no text
in pieces) is left byte for byte as it is.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

FOLDER = pathlib.Path(__file__).resolve().parent
VOLATILE = ("execution",)           # cell metadata written by jupyter execute / nbclient


def joined_streams(outputs: list[dict]) -> list[dict]:
    """`outputs` with each run of consecutive stdout (or stderr) pieces joined into one output."""
    joined: list[dict] = []
    for output in outputs:
        previous = joined[-1] if joined else {}
        if (output.get("output_type") == "stream" == previous.get("output_type")
                and output.get("name") == previous.get("name")):
            text = "".join(previous["text"]) + "".join(output["text"])
            previous["text"] = text.splitlines(keepends=True)     # nbformat's one line per item
        else:
            joined.append(output)
    return joined


def cleaned(text: str) -> str:
    """The notebook JSON `text` without the volatile cell metadata, its streams joined."""
    notebook = json.loads(text)
    for cell in notebook.get("cells", []):
        for key in VOLATILE:
            cell.get("metadata", {}).pop(key, None)
        if "outputs" in cell:
            cell["outputs"] = joined_streams(cell["outputs"])
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python notebooks/clean.py",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=pathlib.Path,
                        help="notebooks (default: every NN_*.ipynb beside this script)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if some notebook is not clean")
    args = parser.parse_args(argv)
    paths = args.paths or sorted(FOLDER.glob("[0-9][0-9]_*.ipynb"))
    dirty = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        clean = cleaned(text)
        if clean != text:
            dirty.append(path)
            if not args.check:
                path.write_text(clean, encoding="utf-8")
    verb = "not clean" if args.check else "cleaned"
    for path in dirty:
        print(f"{verb}: {path}")
    return 1 if args.check and dirty else 0


if __name__ == "__main__":
    sys.exit(main())
