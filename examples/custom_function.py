"""Custom autograd Functions, written exactly as in PyTorch.

1. The study notes' `line` Function (w * x + b, with ctx.save_for_backward and a hand-written
   backward), checked against the gradient autograd computes for the same expression and with
   `tinynn.autograd.gradcheck` (finite differences in float64).
2. `SortWithIndices`: a Function with a non-differentiable output, marked with
   `ctx.mark_non_differentiable`.
3. `NumpyCube`: a Function whose backward leaves autograd (plain NumPy), marked with
   `@once_differentiable`.

    python examples/custom_function.py
"""
from __future__ import annotations

import argparse

import numpy as np

import tinynn as torch
from tinynn.autograd import Function, gradcheck, gradgradcheck
from tinynn.autograd.function import once_differentiable


# ----------------------------------------------------------------------------- 1. line
class line(torch.autograd.Function):  # noqa: N801 - the notes' name
    @staticmethod
    def forward(ctx, w, x, b):
        ctx.save_for_backward(w, x, b)
        return w * x + b

    @staticmethod
    def backward(ctx, grad_out):
        w, x, b = ctx.saved_tensors
        grad_w = grad_out * x
        grad_x = grad_out * w
        grad_b = grad_out
        return grad_w, grad_x, grad_b


def check_line(device="cpu") -> dict:
    """The notes' snippet, then the same gradients from autograd and a float64 gradcheck."""
    w = torch.rand(2, 2, requires_grad=True, device=device)
    x = torch.rand(2, 2, requires_grad=True, device=device)
    b = torch.rand(2, 2, requires_grad=True, device=device)
    out = line.apply(w, x, b)
    out.backward(torch.ones(2, 2, device=device))
    print("line.apply(w, x, b) =", out.detach(), sep="\n")
    print("w.grad (= x):", w.grad, "x.grad (= w):", x.grad, "b.grad (= 1):", b.grad, sep="\n")

    # The same expression through autograd's own ops must give the same gradients.
    w2, x2, b2 = (t.detach().clone().requires_grad_() for t in (w, x, b))
    (w2 * x2 + b2).backward(torch.ones(2, 2, device=device))
    same = all(torch.allclose(t.grad, t2.grad) for t, t2 in ((w, w2), (x, x2), (b, b2)))
    print("same gradients as autograd's w * x + b:", same)

    # gradcheck compares the hand-written backward with central finite differences; it needs
    # float64 inputs (float32 rounding would swamp eps = 1e-6).
    inputs = tuple(torch.rand(3, 4, dtype=torch.float64, requires_grad=True, device=device)
                   for _ in range(3))
    passed = gradcheck(line.apply, inputs)
    print("gradcheck(line.apply, float64 inputs):", passed)
    # Its backward is written with tinynn ops, so it is differentiable itself (second order).
    passed2 = gradgradcheck(line.apply, inputs)
    print("gradgradcheck(line.apply, float64 inputs):", passed2)
    return {"same_as_autograd": same, "gradcheck": passed, "gradgradcheck": passed2}


# ----------------------------------------------------------------------------- 2. mark_non_differentiable
class SortWithIndices(Function):
    """Sort the last dimension: returns (values, indices), like tinynn.sort.

    ctx.mark_non_differentiable is for outputs that are not a differentiable function of the
    inputs: integer indices, boolean masks, argmax results. Autograd then gives them
    requires_grad=False, never asks backward for their gradient (it arrives as zeros or None),
    and users cannot accidentally backpropagate through them. The float `values` output stays
    differentiable as usual.
    """

    @staticmethod
    def forward(ctx, x):
        values, indices = torch.sort(x, dim=-1)
        ctx.mark_non_differentiable(indices)
        ctx.save_for_backward(indices)
        ctx.input_shape = x.shape
        return values, indices

    @staticmethod
    def backward(ctx, grad_values, grad_indices):
        # grad_indices is never meaningful: indices were marked non-differentiable.
        (indices,) = ctx.saved_tensors
        # values[..., j] = x[..., indices[..., j]]  =>  scatter the gradient back to those places.
        grad_x = torch.zeros(ctx.input_shape, dtype=grad_values.dtype, device=grad_values.device)
        return grad_x.scatter(-1, indices, grad_values)


def check_sort(device="cpu") -> dict:
    x = torch.tensor([[3.0, 1.0, 2.0], [0.5, -1.0, 4.0]], requires_grad=True, device=device)
    values, indices = SortWithIndices.apply(x)
    print("values:", values, "indices:", indices, sep="\n")
    print("indices.requires_grad:", indices.requires_grad)   # False: marked non-differentiable
    weights = torch.tensor([1.0, 10.0, 100.0], device=device)
    (values * weights).sum().backward()                       # x.grad[i] = weight of i's rank
    print("x.grad (the weight each element was sorted onto):", x.grad, sep="\n")
    x64 = torch.randn(4, 5, dtype=torch.float64, requires_grad=True, device=device)
    passed = gradcheck(lambda t: SortWithIndices.apply(t)[0], (x64,))
    print("gradcheck(SortWithIndices values):", passed)
    expected = [[100.0, 1.0, 10.0], [10.0, 1.0, 100.0]]
    return {"indices_requires_grad": indices.requires_grad,
            "grad_ok": x.grad.tolist() == expected, "gradcheck": passed}


# ----------------------------------------------------------------------------- 3. once_differentiable
class NumpyCube(Function):
    """x ** 3, with forward and backward computed in plain NumPy.

    @once_differentiable is for a backward that autograd cannot record: here it leaves tinynn for
    NumPy (the same goes for a call into another library or a hand-written kernel). Such a
    backward gives correct first derivatives, but a second derivative through it would silently be
    zero. The decorator runs backward with grad mode off and, when someone asks for a higher
    derivative (create_graph=True), makes that fail with a clear RuntimeError instead.
    When backward is written with tinynn ops (as in `line` above), leave it undecorated: it is then
    differentiable itself and double backward just works.
    """

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        x_np = x.detach().cpu().numpy()
        return torch.from_numpy(x_np ** 3).to(x.device)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        x_np, g_np = x.cpu().numpy(), grad_output.cpu().numpy()
        return torch.from_numpy(3 * x_np ** 2 * g_np).to(x.device)


def check_cube(device="cpu") -> dict:
    x = torch.tensor([1.0, 2.0, -3.0], requires_grad=True, device=device)
    NumpyCube.apply(x).sum().backward()
    print("d/dx sum(x**3) at [1, 2, -3]:", x.grad)            # 3x^2 = [3, 12, 27]
    x64 = torch.randn(5, dtype=torch.float64, requires_grad=True, device=device)
    passed = gradcheck(NumpyCube.apply, (x64,))
    print("gradcheck(NumpyCube):", passed)
    try:
        # d/dx of (x**3)**2 with create_graph=True: the gradient reaching NumpyCube's backward
        # (2 * x**3) itself requires grad, so the result is wired to an error node, which raises
        # when the second backward reaches it (as in PyTorch).
        (g,) = torch.autograd.grad((NumpyCube.apply(x64) ** 2).sum(), x64, create_graph=True)
        g.sum().backward()
        second_order_error = None
    except RuntimeError as e:
        second_order_error = str(e)
    print("second derivative through @once_differentiable:", f"RuntimeError: {second_order_error}"
          if second_order_error else "no error")
    return {"grad": x.grad.tolist(), "gradcheck": passed,
            "second_order_error": second_order_error}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("--device cuda: no usable GPU (tinynn.cuda.is_available() is False)")
    torch.manual_seed(args.seed)
    np.set_printoptions(precision=4)
    print("== 1. the notes' line Function ==")
    results = {"line": check_line(args.device)}
    print("\n== 2. ctx.mark_non_differentiable ==")
    results["sort"] = check_sort(args.device)
    print("\n== 3. @once_differentiable ==")
    results["cube"] = check_cube(args.device)
    return results


if __name__ == "__main__":
    main()
