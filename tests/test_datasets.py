"""tinynn.datasets: MNIST and Fashion-MNIST from the real IDX files in ../shared/data/."""
from __future__ import annotations

import functools
import gzip
import http.server
import os
import shutil
import socket
import threading
import time

import numpy as np
import pytest

import tinynn
from tinynn import datasets
from tinynn import transforms as T
from tinynn.utils.data import DataLoader, Subset

SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
MNIST_DIR = os.path.join(SHARED, "mnist")
FASHION_DIR = os.path.join(SHARED, "fashion-mnist")
FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz"]

needs_mnist = pytest.mark.skipif(not os.path.isdir(MNIST_DIR),
                                 reason=f"real MNIST files not found in {MNIST_DIR}")
needs_fashion = pytest.mark.skipif(not os.path.isdir(FASHION_DIR),
                                   reason=f"real Fashion-MNIST files not found in {FASHION_DIR}")
NORM = T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])


def _have_pil():
    try:
        import PIL.Image  # noqa: F401
        return True
    except ImportError:
        return False


# --------------------------------------------------------------------------- real data
@needs_mnist
def test_mnist_train_matches_the_published_statistics():
    ds = datasets.MNIST(MNIST_DIR, train=True)
    assert len(ds) == 60000
    assert ds.data.shape == (60000, 28, 28) and ds.data.dtype == tinynn.uint8
    assert ds.targets.shape == (60000,) and ds.targets.dtype == tinynn.int64
    counts = np.bincount(ds.targets.numpy(), minlength=10).tolist()
    assert counts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]  # README
    assert abs(ds.data.numpy().mean() - 33.318) < 1e-3
    img, target = ds[0]
    assert target == 5 and type(target) is int
    if _have_pil():
        assert type(img).__name__ == "Image" and img.mode == "L" and img.size == (28, 28)
    else:
        assert isinstance(img, np.ndarray) and img.shape == (28, 28) and img.dtype == np.uint8
    assert ds.classes[5] == "5 - five" and ds.class_to_idx["5 - five"] == 5
    assert "Split: Train" in repr(ds) and "Number of datapoints: 60000" in repr(ds)


@needs_mnist
def test_mnist_test_split_with_transforms():
    ds = datasets.MNIST(MNIST_DIR, train=False, transform=T.ToTensor(),
                        target_transform=lambda y: y * 10)
    assert len(ds) == 10000
    counts = np.bincount(ds.targets.numpy(), minlength=10).tolist()
    assert counts == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert abs(ds.data.numpy().mean() - 33.791) < 1e-3
    x, y = ds[0]
    assert x.shape == (1, 28, 28) and x.dtype == tinynn.float32 and y == 70
    assert 0.0 <= x.min().item() and x.max().item() == 1.0
    np.testing.assert_array_equal(x.numpy()[0], ds.data[0].numpy().astype(np.float32) / 255)


@needs_fashion
def test_fashion_mnist():
    train = datasets.FashionMNIST(FASHION_DIR, train=True)
    test = datasets.FashionMNIST(FASHION_DIR, train=False)
    assert len(train) == 60000 and len(test) == 10000
    assert np.bincount(train.targets.numpy()).tolist() == [6000] * 10
    assert np.bincount(test.targets.numpy()).tolist() == [1000] * 10
    assert abs(train.data.numpy().mean() - 72.940) < 1e-3
    assert abs(test.data.numpy().mean() - 73.147) < 1e-3
    assert train.classes[9] == "Ankle boot"


# --------------------------------------------------------------------------- file layouts
def _link(src_dir, dst_dir, names, gunzip=False):
    os.makedirs(dst_dir, exist_ok=True)
    for n in names:
        if gunzip:
            with gzip.open(os.path.join(src_dir, n)) as f, open(os.path.join(dst_dir, n[:-3]), "wb") as o:
                shutil.copyfileobj(f, o)
        else:
            os.symlink(os.path.abspath(os.path.join(src_dir, n)), os.path.join(dst_dir, n))


@needs_mnist
def test_torchvision_layout_and_plain_root(tmp_path):
    _link(MNIST_DIR, tmp_path / "tv" / "MNIST" / "raw", FILES[2:])
    ds = datasets.MNIST(tmp_path / "tv", train=False)  # root/MNIST/raw/, as torchvision
    assert len(ds) == 10000 and ds.raw_folder == os.path.join(str(tmp_path / "tv"), "MNIST", "raw")
    _link(MNIST_DIR, tmp_path / "flat", FILES[2:])
    assert len(datasets.MNIST(str(tmp_path / "flat"), train=False)) == 10000  # files in root


@needs_mnist
def test_uncompressed_files_are_read_and_checked(tmp_path):
    _link(MNIST_DIR, tmp_path, FILES[2:], gunzip=True)
    ds = datasets.MNIST(tmp_path, train=False)
    assert ds.targets[:5].tolist() == [7, 2, 1, 0, 4]
    raw = tmp_path / "t10k-labels-idx1-ubyte"
    data = bytearray(raw.read_bytes())
    data[100] ^= 1
    raw.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="t10k-labels-idx1-ubyte: MD5 .* does not match"):
        datasets.MNIST(tmp_path, train=False)


@needs_mnist
def test_corrupted_gz_is_detected(tmp_path):
    _link(MNIST_DIR, tmp_path, FILES[2:3])
    blob = bytearray(open(os.path.join(MNIST_DIR, FILES[3]), "rb").read())
    blob[-20] ^= 0xFF
    (tmp_path / FILES[3]).write_bytes(bytes(blob))
    with pytest.raises(RuntimeError, match="t10k-labels-idx1-ubyte.gz"):
        datasets.MNIST(tmp_path, train=False)
    (tmp_path / FILES[3]).write_bytes(bytes(blob[:1000]))  # truncated
    with pytest.raises(RuntimeError, match="t10k-labels-idx1-ubyte.gz"):
        datasets.MNIST(tmp_path, train=False)


@needs_mnist
def test_regzipped_file_is_accepted_by_its_content(tmp_path):
    """A .gz with another gzip header (as Debian's Fashion-MNIST) has another MD5 but the same
    data: it is accepted after checking the MD5 of the decompressed bytes."""
    _link(MNIST_DIR, tmp_path, FILES[2:3])
    data = gzip.decompress(open(os.path.join(MNIST_DIR, FILES[3]), "rb").read())
    (tmp_path / FILES[3]).write_bytes(gzip.compress(data, mtime=0))
    assert datasets.MNIST(tmp_path, train=False).targets[0].item() == 7


def test_missing_files_error_says_what_and_where(tmp_path):
    t = time.time()
    with pytest.raises(RuntimeError) as info:
        datasets.MNIST(tmp_path / "data", train=True)
    msg = str(info.value)
    assert time.time() - t < 1.0
    assert "train-images-idx3-ubyte.gz" in msg and "train-labels-idx1-ubyte.gz" in msg
    assert os.path.join(str(tmp_path / "data"), "MNIST", "raw") in msg and "download=True" in msg


# --------------------------------------------------------------------------- download
class _Server:
    """A loopback HTTP server over a folder (the only network the tests use)."""

    def __init__(self, folder):
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _closed_port_url():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/"


@needs_mnist
def test_download_from_a_mirror(tmp_path, monkeypatch, capsys):
    with _Server(MNIST_DIR) as server:
        monkeypatch.setattr(datasets.MNIST, "mirrors", [_closed_port_url(), server.url])
        ds = datasets.MNIST(tmp_path, train=False, download=True)
    assert len(ds) == 10000
    assert sorted(os.listdir(tmp_path / "MNIST" / "raw")) == sorted(FILES)
    assert "Downloading" in capsys.readouterr().err
    datasets.MNIST(tmp_path, train=True, download=True)  # present now: nothing to fetch


def test_download_without_network_fails_fast_and_clearly(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets.MNIST, "mirrors", [_closed_port_url()])
    t = time.time()
    with pytest.raises(RuntimeError) as info:
        datasets.MNIST(tmp_path, download=True)
    assert time.time() - t < 5.0
    msg = str(info.value)
    assert all(f in msg for f in FILES) and "Download failed" in msg
    assert not any(f.endswith(".part") for _, _, fs in os.walk(tmp_path) for f in fs)


@needs_mnist
def test_download_with_wrong_content_is_rejected(tmp_path, monkeypatch):
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in FILES:
        (bad / f).write_bytes(b"not mnist")
    with _Server(bad) as server:
        monkeypatch.setattr(datasets.MNIST, "mirrors", [server.url])
        with pytest.raises(RuntimeError, match="MD5"):
            datasets.MNIST(tmp_path / "root", download=True)
    assert not os.path.exists(tmp_path / "root" / "MNIST" / "raw" / FILES[0])


# --------------------------------------------------------------------------- loading fast
class _PerItemMNIST(datasets.MNIST):
    def __getitem__(self, index):  # an override: the DataLoader takes the per-item path
        return super().__getitem__(index)


def _as_lists(batches):
    return [(x.dtype, x.shape, x.numpy().tobytes(), y.dtype, y.tolist()) for x, y in batches]


@needs_mnist
def test_batched_loading_equals_per_item_loading():
    fast = datasets.MNIST(MNIST_DIR, train=False, transform=NORM)
    slow = _PerItemMNIST(MNIST_DIR, train=False, transform=NORM)
    assert fast._batch_fetcher() is not None and slow._batch_fetcher() is None
    for mk in (lambda d: d, lambda d: Subset(d, list(range(0, 10000, 7)))):
        tinynn.manual_seed(11)
        a = [b for _, b in zip(range(4), DataLoader(mk(fast), batch_size=32, shuffle=True))]
        tinynn.manual_seed(11)
        b = [b for _, b in zip(range(4), DataLoader(mk(slow), batch_size=32, shuffle=True))]
        assert _as_lists(a) == _as_lists(b)  # bit for bit
    x, y = a[0]
    assert x.shape == (32, 1, 28, 28) and x.dtype == tinynn.float32 and y.dtype == tinynn.int64


@needs_mnist
def test_no_fast_path_for_random_or_user_transforms():
    aug = datasets.MNIST(MNIST_DIR, train=False, transform=T.Compose([T.RandomCrop(28, 2), T.ToTensor()]))
    assert aug._batch_fetcher() is None
    lam = datasets.MNIST(MNIST_DIR, train=False, transform=T.Lambda(lambda i: i))
    assert lam._batch_fetcher() is None
    tt = datasets.MNIST(MNIST_DIR, train=False, transform=T.ToTensor(), target_transform=int)
    assert tt._batch_fetcher() is None
    x, y = next(iter(DataLoader(aug, batch_size=8)))
    assert x.shape == (8, 1, 28, 28)


@needs_mnist
def test_workers_and_epoch_over_mnist():
    ds = datasets.MNIST(MNIST_DIR, train=False, transform=NORM)
    tinynn.manual_seed(2)
    ref = _as_lists(DataLoader(ds, batch_size=500, shuffle=True))
    tinynn.manual_seed(2)
    assert _as_lists(DataLoader(ds, batch_size=500, shuffle=True, num_workers=2)) == ref
    assert sum(len(r[4]) for r in ref) == 10000
