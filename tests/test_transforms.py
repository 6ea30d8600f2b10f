"""tinynn.transforms: torchvision's image transforms on PIL images, NumPy arrays and tensors."""
from __future__ import annotations

import numpy as np
import pytest

import tinynn
from tinynn import transforms as T
from tinynn.transforms import functional as F


def _pil():
    return pytest.importorskip("PIL.Image", reason="Pillow is not installed (PIL image inputs)")


# --------------------------------------------------------------------------- ToTensor & co
def test_to_tensor_arrays():
    a = np.arange(12, dtype=np.uint8).reshape(3, 4)
    t = T.ToTensor()(a)
    assert t.shape == (1, 3, 4) and t.dtype == tinynn.float32
    np.testing.assert_array_equal(t.numpy()[0], (a.astype(np.float32) / 255))
    rgb = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    t = T.ToTensor()(rgb)
    assert t.shape == (3, 2, 4)
    np.testing.assert_array_equal(t.numpy(), rgb.transpose(2, 0, 1).astype(np.float32) / 255)
    f = np.linspace(0, 3, 6).reshape(2, 3)  # non-uint8 data keeps its dtype and values
    t = T.ToTensor()(f)
    assert t.dtype == tinynn.float64 and t.numpy()[0].tolist() == f.tolist()


def test_to_tensor_errors():
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 1 dimensions."):
        T.ToTensor()(np.zeros(3, np.uint8))
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        T.ToTensor()(tinynn.zeros(1, 2, 2))


def test_to_tensor_pil():
    Image = _pil()
    a = np.array([[0, 51, 255], [102, 153, 204]], np.uint8)
    t = T.ToTensor()(Image.fromarray(a))
    assert t.shape == (1, 2, 3) and t.dtype == tinynn.float32
    np.testing.assert_allclose(t.numpy()[0], a / 255, rtol=1e-6)
    rgb = Image.fromarray(np.dstack([a, a // 2, a // 3]))
    assert T.ToTensor()(rgb).shape == (3, 2, 3)
    p = T.PILToTensor()(Image.fromarray(a))
    assert p.dtype == tinynn.uint8 and p.tolist() == [a.tolist()]
    back = T.ToPILImage()(T.ToTensor()(Image.fromarray(a)))
    assert back.mode == "L" and np.asarray(back).tolist() == a.tolist()


def test_normalize(device):
    x = tinynn.tensor([[[0.0, 0.5]], [[1.0, 0.25]]], device=device)  # (2, 1, 2)
    n = T.Normalize((0.5, 0.25), (0.5, 0.25))
    out = n(x)
    assert out.tolist() == [[[-1.0, 0.0]], [[3.0, 0.0]]]
    assert x.tolist() == [[[0.0, 0.5]], [[1.0, 0.25]]]  # not in place by default
    batch = tinynn.stack([x, x])
    assert n(batch).tolist() == [out.tolist()] * 2  # (B, C, H, W) works too
    y = x.clone()
    assert T.Normalize((0.5, 0.25), (0.5, 0.25), inplace=True)(y) is y
    assert y.tolist() == out.tolist()
    assert repr(n) == "Normalize(mean=(0.5, 0.25), std=(0.5, 0.25))"


def test_normalize_errors():
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got tinynn.uint8."):
        T.Normalize(0.5, 0.5)(tinynn.zeros(1, 2, 2, dtype=tinynn.uint8))
    with pytest.raises(ValueError, match=r"Expected tensor to be a tensor image of size \(..., C, H, W\)"):
        T.Normalize(0.5, 0.5)(tinynn.zeros(2, 2))
    with pytest.raises(ValueError, match="std evaluated to zero after conversion to tinynn.float32"):
        T.Normalize(0.5, 0.0)(tinynn.zeros(1, 2, 2))
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        T.Normalize(0.5, 0.5)(np.zeros((1, 2, 2)))


def test_compose_lambda_repr():
    c = T.Compose([T.ToTensor(), T.Lambda(lambda t: t * 2), T.Normalize((0.1307,), (0.3081,))])
    assert repr(c) == ("Compose(\n    ToTensor()\n    Lambda()\n"
                       "    Normalize(mean=(0.1307,), std=(0.3081,))\n)")
    out = c(np.full((2, 2), 255, np.uint8))
    np.testing.assert_allclose(out.numpy(), np.full((1, 2, 2), (2 - 0.1307) / 0.3081), rtol=1e-6)
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        T.Lambda(3)


# --------------------------------------------------------------------------- geometry
def _kinds(a):
    """The same image as a NumPy array, a tensor (1, H, W) and (with Pillow) a PIL image."""
    kinds = [("array", a, lambda x: x), ("tensor", tinynn.from_numpy(a.copy())[None],
                                         lambda x: x.numpy()[0])]
    try:
        from PIL import Image
        kinds.append(("pil", Image.fromarray(a), lambda x: np.asarray(x)))
    except ImportError:
        pass
    return kinds


IMG = np.arange(1, 21, dtype=np.uint8).reshape(4, 5)


@pytest.mark.parametrize("kind", ["array", "tensor", "pil"])
def test_flips(kind):
    found = [k for k in _kinds(IMG) if k[0] == kind]
    if not found:
        pytest.skip("Pillow is not installed (PIL image inputs)")
    _, img, back = found[0]
    assert back(T.RandomHorizontalFlip(1.0)(img)).tolist() == IMG[:, ::-1].tolist()
    assert back(T.RandomVerticalFlip(1.0)(img)).tolist() == IMG[::-1].tolist()
    assert back(T.RandomHorizontalFlip(0.0)(img)).tolist() == IMG.tolist()


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_pad_modes_match_numpy(mode):
    want = np.pad(IMG, ((2, 3), (1, 2)), mode=mode) if mode != "constant" else \
        np.pad(IMG, ((2, 3), (1, 2)), constant_values=7)
    for name, img, back in _kinds(IMG):
        out = back(T.Pad((1, 2, 2, 3), fill=7, padding_mode=mode)(img))
        assert out.tolist() == want.tolist(), name


def test_pad_errors():
    with pytest.raises(ValueError, match="Padding mode should be either constant, edge, reflect or symmetric"):
        T.Pad(1, padding_mode="wrap")
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4 element tuple, not a 3 element tuple"):
        T.Pad((1, 2, 3))


def test_crops():
    for name, img, back in _kinds(IMG):
        assert back(T.CenterCrop(2)(img)).tolist() == IMG[1:3, 2:4].tolist(), name  # round(1.5) = 2
        assert back(T.CenterCrop((4, 3))(img)).tolist() == IMG[:, 1:4].tolist(), name
        big = back(T.CenterCrop(6)(img))  # larger than the image: zero padding, as torchvision
        assert big.shape == (6, 6) and big[1:5, 0:5].tolist() == IMG.tolist() and big[0].sum() == 0
        assert back(F.crop(img, 1, 2, 2, 2)).tolist() == IMG[1:3, 2:4].tolist(), name


def test_random_crop_is_a_window_of_the_padded_image():
    padded = np.pad(IMG, 1)
    windows = {tuple(map(tuple, padded[i:i + 3, j:j + 3])) for i in range(4) for j in range(5)}
    for name, img, back in _kinds(IMG):
        seen = set()
        for _ in range(40):
            out = back(T.RandomCrop(3, padding=1)(img))
            assert out.shape == (3, 3)
            seen.add(tuple(map(tuple, out)))
        assert seen <= windows and len(seen) > 3, name


def test_random_crop_reproducible_and_errors():
    crop = T.RandomCrop((2, 3))
    x = tinynn.arange(30).view(1, 5, 6)
    tinynn.manual_seed(0)
    a = [crop(x).tolist() for _ in range(5)]
    tinynn.manual_seed(0)
    assert [crop(x).tolist() for _ in range(5)] == a
    with pytest.raises(ValueError, match=r"Required crop size \(5, 5\) is larger than input image size \(4, 5\)"):
        T.RandomCrop(5)(IMG)
    out = T.RandomCrop(6, pad_if_needed=True)(IMG)
    assert out.shape == (6, 6)
    assert T.RandomCrop((4, 5))(IMG).tolist() == IMG.tolist()  # the whole image: no draw


def test_random_flip_rate():
    tinynn.manual_seed(1)
    flip = T.RandomHorizontalFlip()
    x = tinynn.tensor([[[0.0, 1.0]]])
    flips = sum(flip(x)[0, 0, 0].item() == 1.0 for _ in range(400))
    assert 150 < flips < 250


def test_resize():
    Image = _pil()
    img = Image.fromarray(np.zeros((10, 20), np.uint8))
    assert T.Resize((5, 8))(img).size == (8, 5)
    assert T.Resize(5)(img).size == (10, 5)  # the smaller edge becomes 5
    assert T.Resize(5)(np.zeros((10, 20), np.uint8)).shape == (5, 10)
    assert repr(T.Resize(5)) == "Resize(size=5, interpolation=bilinear, max_size=None, antialias=True)"
    with pytest.raises(ValueError, match="If size is a sequence, it should have 1 or 2 values"):
        T.Resize((1, 2, 3))


def test_random_transforms_inside_dataloader_are_reproducible():
    from tinynn.utils.data import DataLoader, Dataset

    class Aug(Dataset):
        def __len__(self):
            return 16

        def __getitem__(self, i):
            return T.RandomCrop(2, padding=1)(tinynn.full((1, 3, 3), float(i)))
    tinynn.manual_seed(7)
    a = [b.tolist() for b in DataLoader(Aug(), batch_size=4)]
    tinynn.manual_seed(7)
    b = [b.tolist() for b in DataLoader(Aug(), batch_size=4, num_workers=2)]
    assert a == b
    tinynn.manual_seed(8)
    assert [b.tolist() for b in DataLoader(Aug(), batch_size=4)] != a
