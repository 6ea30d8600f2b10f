"""tinynn.nn.functional: every layer and loss as a function, composed from tinynn.ops.

Split by family into submodules; `import tinynn.nn.functional as F` sees them all."""
from .activation import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .norm import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
