"""The parts of autograd and nn that most scripts never use load on first use (autograd's
`_LAZY`, PEP 562's module __getattr__; imports inside the few functions that need a heavy
standard module): whatever `import autograd, nn` loads stays alive for the whole process, and
every full garbage collection walks it, about once a step in a scalar model's training.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import autograd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: loaded only when used: (module, what loads it)
HEAVY = [
    ("autograd.distributions", "autograd.distributions"),
    ("autograd.fft", "autograd.fft, stft, ComplexTensor, autograd.complex"),
    ("autograd.special", "autograd.special"),
    ("autograd.viz", "draw_graph, draw_backprop, draw_dot"),
    ("autograd.compiler", "autograd.compile"),
    ("numpy.polynomial", "polygamma's reflection"),
    ("fractions", "no one: ops/special.py keeps its Bernoulli numbers as pairs of ints"),
    ("ctypes.util", "keep_freed_memory()"),
    ("urllib.request", "load_mnist's download"),
    ("multiprocessing", "DataLoader(num_workers=N)"),
    ("pickletools", "nn.load's refusal of a pickle"),
]


def loaded_after(code: str) -> set[str]:
    """The modules that `code` loads in a fresh Python, beyond numpy's own."""
    script = ("import sys, numpy\nbefore = set(sys.modules)\n" + code +
              "\nprint('\\n'.join(sorted(set(sys.modules) - before)))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


def test_import_autograd_and_nn_leaves_the_rarely_used_parts_unloaded():
    loaded = loaded_after("import autograd, nn")
    assert "autograd.tensor" in loaded and "nn.module" in loaded      # (the check works)
    early = [f"{name} (for {user})" for name, user in HEAVY if name in loaded]
    assert not early, f"`import autograd, nn` loads {early}: import them where they are used"


def test_the_pytorch_named_functions_are_made_at_the_first_one_asked_for():
    """torch.exp(t), torch.minimum(a, b), ...: 300 forwarding functions, made when a script
    first asks for one (`import autograd as torch`), not by `import autograd, nn`."""
    code = ("import autograd, nn\nprint(len(autograd._PYTORCH_NAMES))\n"
            "autograd.exp\nprint(len(autograd._PYTORCH_NAMES))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    before, after = map(int, done.stdout.split())
    assert before == 0 and after > 250


def test_the_lazy_names_load_and_stay():
    loaded = loaded_after("import autograd\nautograd.distributions.Normal(0.0, 1.0)\n"
                          "from autograd import stft, draw_dot\nautograd.special.i0")
    assert {"autograd.distributions", "autograd.fft", "autograd.viz",
            "autograd.special"} <= loaded
    assert "autograd.compiler" not in loaded


@pytest.mark.parametrize("name", sorted(autograd._LAZY))
def test_every_lazy_name_is_the_module_s_own(name):
    module, attribute = autograd._LAZY[name]
    found = getattr(autograd, name)
    target = sys.modules["autograd" + module]
    assert found is (target if attribute is None else getattr(target, attribute))
    assert name in dir(autograd) and name in vars(autograd)        # a global once loaded


@pytest.mark.parametrize("name", sorted(autograd._LAZY_PYTORCH_NAMES))
def test_the_complex_number_names_are_attributes_never_globals(name):
    """torch.complex, torch.real, ...: autograd.fft's functions, and no module globals
    (`complex` would hide Python's own)."""
    own = autograd.fft.complex_ if name == "complex" else getattr(autograd.fft.complex_pair, name)
    assert getattr(autograd, name) is own
    assert name in dir(autograd) and name not in vars(autograd)


def test_all_and_star_import_still_give_every_name():
    namespace: dict = {}
    exec("from autograd import *", namespace)
    assert set(autograd.__all__) <= set(namespace)
    assert namespace["distributions"] is autograd.distributions
    assert "complex" not in namespace and "compile" not in namespace
