"""Builds the rules' C speedups (rules/_accel.c) in place: ``python setup.py -q build_ext --inplace``.

``make`` runs it. Where it cannot build (no C compiler), the rules run on their Python code,
which decides the same (tests/test_rules_accel.py), about twice as slowly; the worker logs which.
Nothing here is a package to install: the project runs from its checkout.
"""

from setuptools import Extension, setup

setup(
    name="critical-incident-middleware",
    packages=[],
    py_modules=[],
    # -ffp-contract=off: no fused multiply-adds, so the models' log-odds (linear_logits) are the
    # Python code's to the last bit on any machine.
    ext_modules=[Extension("rules._accel", ["rules/_accel.c"], optional=True,
                           extra_compile_args=["-O2", "-Wall", "-Werror=implicit-function-declaration",
                                               "-ffp-contract=off"])],
)
