"""glassgrad's benchmarks: a timing report, never a test (nothing here asserts on time).

Run `python benchmarks/run.py` from anywhere (or `python -m benchmarks.run` from the repository
root); `--help` lists the options. The modules:

    run.py          the command line: plans the runs and prints the table
    harness.py      runs each engine's chunk in its own subprocess, alternates them, medians
    workloads.py    the timed code of every workload (what each subprocess executes)
    scalar_mlp.py   micrograd's MLP, written once for any micrograd-compatible Value class
    mnist.py        a small IDX reader for MNIST, a random stand-in, and the shared init
"""
