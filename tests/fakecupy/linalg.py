"""cupy.linalg stand-in: the functions CuPy 13 has (no eig/eigvals)."""
from __future__ import annotations

import numpy as _np

from . import _func

for _name in ("norm", "det", "slogdet", "inv", "pinv", "solve", "lstsq", "qr", "svd", "cholesky", "eigh",
              "eigvalsh", "matrix_power", "matrix_rank", "tensorinv", "tensorsolve"):
    globals()[_name] = _func(_name, getattr(_np.linalg, _name))

LinAlgError = _np.linalg.LinAlgError
