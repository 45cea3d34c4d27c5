"""`python -m autograd` (autograd/__main__.py), the README's quick start for the engine."""

import re
import subprocess
import sys


def test_the_quick_start_runs_to_the_end_and_learns():
    done = subprocess.run([sys.executable, "-m", "autograd"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "o = 0.7071" in out and "do/dw1 = +1.0000" in out
    assert "g = 24.7041, dg/da = 138.8338, dg/db = 645.5773" in out     # micrograd's README
    accuracies = [float(a) for a in re.findall(r"accuracy (\d\.\d\d)", out)]
    assert len(accuracies) == 4 and accuracies[-1] >= 0.9
    assert "gradient check against finite differences: passed" in out
    assert done.stderr == ""
