"""glassgrad.nn: modules, losses, optimizers and training on top of `autograd`.

The package arrives with the nn issue; the engine it builds on is `autograd`.
"""
