"""The op library: one `Function` per primitive, plus the functions `tinynn.<name>` and the Tensor
methods call. Submodules by kind: elementwise, reduce, shape, index, linalg, creation, random,
inplace; and the primitives nn.functional needs: activation, nn (softmax, losses), conv, norm."""
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
