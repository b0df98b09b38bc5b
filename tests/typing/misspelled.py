"""Must NOT type-check (tests/test_typing.py): a misspelled keyword, methd= for method=."""

import numpy as np

import fdcore

fdcore.gradient(lambda x: float(x @ x), np.ones(3), methd="central")
