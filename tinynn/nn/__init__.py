"""tinynn.nn: Module, Parameter, containers, layers, losses; `functional` and `init`."""
from . import functional, init, parallel, utils  # noqa: F401
from .modules import *  # noqa: F401,F403
from .parameter import *  # noqa: F401,F403
