"""Helpers for the tests of the `glassgrad` command (tests/test_cli*.py)."""

from nn import cli


def run(argv, capsys):
    """Run `glassgrad ARGV` in this process: (exit status, stdout, stderr)."""
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def write_csv(path, header, rows):
    """A CSV file with a header row; returns its path."""
    path.write_text(",".join(header) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return path
