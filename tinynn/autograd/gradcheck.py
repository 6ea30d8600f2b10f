"""gradcheck / gradgradcheck: analytic gradients against central finite differences (float64)."""
from __future__ import annotations

import warnings

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the analytic and numerical Jacobians differ."""


def _tensors(x):
    from ..tensor import Tensor  # noqa: PLC0415
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _outputs(func, inputs):
    from ..tensor import Tensor  # noqa: PLC0415
    out = func(*inputs)
    if isinstance(out, Tensor):
        return (out,)
    return tuple(o for o in out if isinstance(o, Tensor))


def _numerical_jacobian(func, inputs, i, out_idx, eps):
    """Columns d out / d inputs[i][j] by central differences, perturbing the data in place."""
    x = inputs[i]
    flat = x._data.reshape(-1)  # a view: the perturbation is seen by func
    if flat.base is None and x._data.size > 0 and not x._data.flags.c_contiguous:
        raise ValueError("gradcheck needs contiguous inputs")
    cols = []
    for j in range(flat.size):
        orig = flat[j].item()
        flat[j] = orig + eps
        plus = _outputs(func, inputs)[out_idx]._data.astype("float64").reshape(-1)
        flat[j] = orig - eps
        minus = _outputs(func, inputs)[out_idx]._data.astype("float64").reshape(-1)
        flat[j] = orig
        cols.append((plus - minus) / (2 * eps))
    xp = _xp(x)
    if not cols:  # an empty input: no columns, one row per output element
        return xp.zeros((_outputs(func, inputs)[out_idx]._data.size, 0))
    return xp.stack(cols, axis=1)  # (n_out, n_in)


def _xp(t):
    from ..backend import get_array_module  # noqa: PLC0415
    return get_array_module(t._data)


def _analytical_jacobian(func, inputs, i, out_idx):
    """Rows d out[k] / d inputs[i] from one backward pass per output element."""
    from . import grad  # noqa: PLC0415
    from ..tensor import Tensor  # noqa: PLC0415
    out = _outputs(func, inputs)[out_idx]
    xp = _xp(out)
    n_out = out._data.size
    n_in = inputs[i]._data.size
    jac = xp.zeros((n_out, n_in))
    if not out._requires_grad:
        return jac
    for k in range(n_out):
        go = xp.zeros(out._data.shape, dtype=out._data.dtype)
        go.reshape(-1)[k] = 1
        (g,) = grad(out, inputs[i], grad_outputs=Tensor._make(go), retain_graph=True, allow_unused=True)
        if g is not None:
            if g._data.shape != inputs[i]._data.shape:
                raise GradcheckError(f"Gradient for input {i} has shape {list(g.shape)}, expected "
                                     f"{list(inputs[i].shape)}")
            jac[k] = g._data.reshape(-1)
    return jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              fast_mode=False):
    """True when every input's analytic Jacobian matches the numerical one (else raise or False)."""
    inputs = _tensors(inputs)
    diff = [k for k, t in enumerate(inputs) if hasattr(t, "_data") and t.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of "
                         "the them have requires_grad=True.")
    for k in diff:
        if inputs[k]._data.dtype.name != "float64":
            warnings.warn(f"Input #{k} requires gradient and is not a double precision floating point. "
                          "This check will likely fail if all the inputs are not of double precision "
                          "floating point.", stacklevel=2)
    n_outputs = len(_outputs(func, inputs))
    for o in range(n_outputs):
        for k in diff:
            num = _numerical_jacobian(func, inputs, k, o, eps)
            ana = _analytical_jacobian(func, inputs, k, o)
            xp = _xp(inputs[k])
            if num.shape != ana.shape:
                msg = f"Jacobian shape mismatch for output {o} with respect to input {k}"
            else:
                bad = xp.abs(ana - num) > atol + rtol * xp.abs(num)
                if not bool(bad.any()):
                    continue
                err = xp.abs(ana - num) - (atol + rtol * xp.abs(num))
                r, c = divmod(int(err.argmax()), max(num.shape[1], 1))
                msg = (f"Jacobian mismatch for output {o} with respect to input {k},\n"
                       f"numerical:{num}\nanalytical:{ana}\n"
                       f"worst element: d output[{r}] / d input[{c}]: numerical {float(num[r, c]):.6g}, "
                       f"analytical {float(ana[r, c]):.6g}\n")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  fast_mode=False):
    """gradcheck of the gradient: checks second derivatives via double backward."""
    from . import grad  # noqa: PLC0415
    from ..tensor import Tensor  # noqa: PLC0415
    inputs = _tensors(inputs)
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        import numpy as np  # noqa: PLC0415  (host RNG for the random cotangents, then moved)
        rng = np.random.default_rng(0)
        grad_outputs = []
        for o in outs:
            g = Tensor._make(_xp(o).asarray(rng.standard_normal(o._data.shape)).astype(o._data.dtype))
            g.requires_grad_(True)
            grad_outputs.append(g)
    grad_outputs = _tensors(grad_outputs)
    n_in = len(inputs)
    diff = [k for k, t in enumerate(inputs) if hasattr(t, "_data") and t.requires_grad]

    def first_grads(*args):
        xs, gos = args[:n_in], args[n_in:]
        ys = _outputs(func, xs)
        pairs = [(y, g) for y, g in zip(ys, gos) if y.requires_grad]
        gs = grad([p[0] for p in pairs], [xs[k] for k in diff], [p[1] for p in pairs],
                  create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grads, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
