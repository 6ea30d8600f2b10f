"""The op library: one `Function` per primitive, plus the functions `tinynn.<name>` and the Tensor
methods call. Submodules by kind: elementwise, reduce, shape, index, linalg, creation, random,
inplace; and the primitives nn.functional needs: activation, nn (softmax, losses), conv, norm."""
import sys as _sys

from ._util import canonical_dim  # noqa: F401
from .creation import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .index import *  # noqa: F401,F403
from .inplace import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .random import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .activation import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .nn import *  # noqa: F401,F403
from .norm import *  # noqa: F401,F403

# `__all__` is the union of the submodules' exports, so `from tinynn.ops import *` (in tinynn's
# __init__) exports functions only, never the submodules themselves (`tinynn.nn` must be the nn
# package). A submodule whose name equals a function (ops/norm.py vs `norm`) replaced that function
# as an attribute of this package when it was imported: bind the function again.
__all__ = []
for _name in ("creation", "elementwise", "index", "inplace", "linalg", "random", "reduce", "shape",
              "activation", "conv", "nn", "norm"):
    _mod = _sys.modules[f"{__name__}.{_name}"]
    for _fn in getattr(_mod, "__all__", ()):
        globals()[_fn] = getattr(_mod, _fn)
        __all__.append(_fn)
__all__ = list(dict.fromkeys(__all__))
del _name, _mod, _fn
