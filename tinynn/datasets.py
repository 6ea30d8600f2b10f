"""Datasets, as `torchvision.datasets`: `MNIST` and `FashionMNIST`.

The standard IDX files (`train-images-idx3-ubyte.gz`, ...; gzipped or not) are looked for in
`root/<Name>/raw/` (torchvision's layout), `root/<Name>/` and `root` itself. Their MD5 checksums
are verified (torchvision's values for the .gz files; for a .gz whose gzip header differs, such
as Debian's Fashion-MNIST, the MD5 of the decompressed data is checked instead).

Items are `(image, target)` with `target` an int. Without a transform the image is a PIL image
('L' mode, as torchvision) when Pillow is installed, else a uint8 HxW NumPy array; both go through
`transforms.ToTensor()` to a 1x28x28 float32 tensor. `.data` is a uint8 tensor N x 28 x 28 and
`.targets` an int64 tensor.

The whole set lives in memory as arrays. A DataLoader with the default collate function over a
dataset whose transform is made of ToTensor / PILToTensor / Normalize (and no target_transform)
builds each batch with one gather and a few array ops instead of per-item transforms: an epoch of
MNIST train (batch 64, shuffled, ToTensor + Normalize) takes about 0.1 s of loading instead of
about 3.2 s item by item (measured on this 2-core machine; tests/test_datasets.py checks that both
paths give the same batches).

`download=True` fetches missing files from the class's `mirrors` with a tqdm progress bar (short
network timeouts); without network it fails fast with a RuntimeError naming the missing files and
the folders where they can be put by hand.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import sys
import tempfile
import threading
import urllib.error
import urllib.request

import numpy as np

import tinynn
from tinynn.utils.data import Dataset

__all__ = ["VisionDataset", "MNIST", "FashionMNIST", "StandardTransform"]


class StandardTransform:
    def __init__(self, transform=None, target_transform=None):
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, input, target):
        if self.transform is not None:
            input = self.transform(input)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return input, target

    def __repr__(self):
        body = [repr(self.__class__.__name__)]
        for name, t in (("Transform", self.transform), ("Target transform", self.target_transform)):
            if t is not None:
                lines = repr(t).splitlines()
                body.append(f"{name}: {lines[0]}")
                body.extend(" " * (len(name) + 2) + line for line in lines[1:])
        return "\n".join(body[1:]) if len(body) > 1 else "StandardTransform()"


class VisionDataset(Dataset):
    """Base class of the image datasets (torchvision's `VisionDataset`)."""

    _repr_indent = 4

    def __init__(self, root=None, transforms=None, transform=None, target_transform=None):
        if isinstance(root, (str, bytes, os.PathLike)):
            root = os.path.expanduser(os.fsdecode(root))
        self.root = root
        has_transforms = transforms is not None
        has_separate = transform is not None or target_transform is not None
        if has_transforms and has_separate:
            raise ValueError("Only transforms or transform/target_transform can be passed as "
                             "argument")
        self.transform = transform
        self.target_transform = target_transform
        if has_separate:
            transforms = StandardTransform(transform, target_transform)
        self.transforms = transforms

    def __len__(self):
        raise NotImplementedError

    def extra_repr(self) -> str:
        return ""

    def __repr__(self):
        head = "Dataset " + self.__class__.__name__
        body = [f"Number of datapoints: {self.__len__()}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if self.transforms is not None:
            body += repr(self.transforms).splitlines()
        lines = [head] + [" " * self._repr_indent + line for line in body]
        return "\n".join(lines)


# ------------------------------------------------------------------------------- IDX files
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_cache: dict = {}
_cache_lock = threading.Lock()


def _md5(data) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _parse_idx(raw: bytes, path: str, expect_magic: int) -> np.ndarray:
    """An IDX file's payload as an array (torchvision's read_sn3_pascalvincent_tensor)."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise RuntimeError(f"{path}: not an IDX file (bad magic bytes {raw[:4]!r})")
    magic = int.from_bytes(raw[:4], "big")
    if magic != expect_magic:
        raise RuntimeError(f"{path}: IDX magic number {magic}, expected {expect_magic} "
                           f"({'images' if expect_magic == 2051 else 'labels'})")
    code, nd = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        raise RuntimeError(f"{path}: unknown IDX data type 0x{code:02x}")
    if len(raw) < 4 + 4 * nd:
        raise RuntimeError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(nd))
    dt = np.dtype(_IDX_DTYPES[code])
    count = int(np.prod(shape))
    payload = memoryview(raw)[4 + 4 * nd:]
    if len(payload) != count * dt.itemsize:
        raise RuntimeError(f"{path}: IDX payload has {len(payload)} bytes, expected "
                           f"{count * dt.itemsize} for shape {shape} (truncated or corrupted file)")
    return np.frombuffer(payload, dtype=dt).reshape(shape).astype(dt.newbyteorder("="))


def _read_verified(path: str, md5_gz: str | None, md5_raw: str | None, magic: int) -> np.ndarray:
    """Read (and gunzip) an IDX file, check its MD5 and parse it; cached per file version."""
    st = os.stat(path)
    key = (os.path.realpath(path), st.st_size, st.st_mtime_ns)
    with _cache_lock:
        arr = _cache.get(key)
    if arr is not None:
        return arr
    with open(path, "rb") as fh:
        blob = fh.read()
    is_gz = blob[:2] == b"\x1f\x8b"
    if is_gz:
        gz_ok = md5_gz is None or _md5(blob) == md5_gz
        try:
            raw = gzip.decompress(blob)
        except (OSError, EOFError, gzip.BadGzipFile) as e:
            raise RuntimeError(f"{path}: cannot decompress ({e}): the file is truncated or "
                               "corrupted; delete it and download it again") from None
        if not gz_ok and md5_raw is not None and _md5(raw) != md5_raw:
            raise RuntimeError(f"{path}: MD5 {_md5(blob)} does not match the expected "
                               f"{md5_gz} (nor does its decompressed content match "
                               f"{md5_raw}): the file is corrupted or not the canonical one; "
                               "delete it and download it again")
        if not gz_ok and md5_raw is None:
            raise RuntimeError(f"{path}: MD5 {_md5(blob)} does not match the expected {md5_gz}")
    else:
        raw = blob
        if md5_raw is not None and _md5(raw) != md5_raw:
            raise RuntimeError(f"{path}: MD5 {_md5(raw)} does not match the expected {md5_raw} "
                               "of the decompressed file: the file is corrupted or not the "
                               "canonical one; delete it and download it again")
    arr = _parse_idx(raw, path, magic)
    with _cache_lock:
        if len(_cache) >= 8:
            _cache.pop(next(iter(_cache)))
        _cache[key] = arr
    return arr


# ------------------------------------------------------------------------------- download
_TIMEOUT = 5.0  # seconds per connection attempt; an unreachable mirror is not retried per file


def _download(url: str, dest: str, md5: str | None) -> None:
    """Fetch `url` to `dest` (atomically) with a tqdm progress bar; check the MD5."""
    from tqdm.auto import tqdm  # noqa: PLC0415
    req = urllib.request.Request(url, headers={"User-Agent": "tinynn"})
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest), suffix=".part")
    try:
        h = hashlib.md5(usedforsecurity=False)
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(req, timeout=_TIMEOUT) as resp:
            total = int(resp.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=os.path.basename(dest),
                      file=sys.stderr, leave=False) as bar:
                while True:
                    chunk = resp.read(1 << 16)
                    if not chunk:
                        break
                    out.write(chunk)
                    h.update(chunk)
                    bar.update(len(chunk))
        if md5 is not None and h.hexdigest() != md5:
            raise RuntimeError(f"downloaded {url} has MD5 {h.hexdigest()}, expected {md5}")
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# ------------------------------------------------------------------------------- MNIST
class MNIST(VisionDataset):
    """MNIST: 60,000 training and 10,000 test images of handwritten digits, 28 x 28."""

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/"]
    # (file, MD5 of the .gz (torchvision's), MD5 of the decompressed file)
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873",
         "6bbc9ace898e44ae57da46a324031adb"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432",
         "a25bea736e30d166cdddb491f175f624"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3",
         "2646ac647ad5339dbf082846283269ea"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c",
         "27ae3e4e09519cfbb04c329615203637"),
    ]
    training_file = "training.pt"
    test_file = "test.pt"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        images, labels = self._load_data()
        self.data = tinynn.from_numpy(images)
        self.targets = tinynn.from_numpy(labels.astype(np.int64))

    # -- files
    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "raw")

    def _search_dirs(self) -> list:
        return [self.raw_folder, os.path.join(self.root, self.__class__.__name__), self.root]

    def _split_files(self) -> list:
        prefix = "train" if self.train else "t10k"
        return [r for r in self.resources if r[0].startswith(prefix)]

    def _find(self, gz_name: str) -> str | None:
        for d in self._search_dirs():
            for name in (gz_name, gz_name[:-3]):
                p = os.path.join(d, name)
                if os.path.isfile(p):
                    return p
        return None

    def _check_exists(self) -> bool:
        return all(self._find(r[0]) is not None for r in self.resources)

    def _missing_error(self, names, errors=()) -> RuntimeError:
        where = ", ".join(self._search_dirs())
        msg = (f"{self.__class__.__name__}: dataset files not found: {', '.join(names)}. "
               f"Looked in: {where}. Put the standard IDX files there (gzipped or not; for "
               f"example in {self.raw_folder}), or pass download=True to fetch them from "
               f"{', '.join(self.mirrors)}.")
        if errors:
            msg += " Download failed: " + "; ".join(errors)
        return RuntimeError(msg)

    def _load_data(self):
        paths = []
        missing = [r[0] for r in self._split_files() if self._find(r[0]) is None]
        if missing:
            raise self._missing_error(missing)
        for name, md5_gz, md5_raw in self._split_files():
            paths.append((self._find(name), md5_gz, md5_raw))
        (img_path, img_gz, img_raw), (lbl_path, lbl_gz, lbl_raw) = paths
        images = _read_verified(img_path, img_gz if img_path.endswith(".gz") else None,
                                img_raw, 2051)
        labels = _read_verified(lbl_path, lbl_gz if lbl_path.endswith(".gz") else None,
                                lbl_raw, 2049)
        if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
            raise RuntimeError(f"{img_path} and {lbl_path} do not match: images {images.shape}, "
                               f"labels {labels.shape}")
        return images, labels

    def download(self) -> None:
        """Fetch the files not already present into `raw_folder` (MD5-checked)."""
        missing = [r for r in self.resources if self._find(r[0]) is None]
        if not missing:
            return
        errors, still, dead = [], [], set()
        for name, md5_gz, _ in missing:
            for mirror in self.mirrors:
                if mirror in dead:
                    continue
                url = mirror + name
                try:
                    print(f"Downloading {url}", file=sys.stderr)
                    _download(url, os.path.join(self.raw_folder, name), md5_gz)
                    break
                except urllib.error.HTTPError as e:  # the server answered: try the next file too
                    errors.append(f"{url}: HTTP {e.code} {e.reason}")
                except (urllib.error.URLError, OSError) as e:  # unreachable: skip this mirror
                    dead.add(mirror)
                    errors.append(f"{url}: {getattr(e, 'reason', e)}")
                except (RuntimeError, ValueError) as e:
                    errors.append(f"{url}: {e}")
            else:
                still.append(name)
        if still:
            raise self._missing_error(still, errors)

    # -- items
    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        img = _numpy(self.data)[index]
        target = int(_numpy(self.targets)[index])
        img = _to_image(img)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def _batch_fetcher(self):
        """Whole-batch fetch for the DataLoader (see the module docstring)."""
        if type(self).__getitem__ is not MNIST.__getitem__ or self.target_transform is not None:
            return None
        from tinynn.transforms import _batch_plan  # noqa: PLC0415
        plan = _batch_plan(self.transform)
        if plan is None:
            return None
        data, targets = _numpy(self.data), _numpy(self.targets)
        if data.ndim != 3 or data.dtype != np.uint8:
            return None

        def fetch(indices):
            idx = np.asarray(indices, dtype=np.int64)
            # targets as default_collate makes them from ints (on the default device)
            return [plan(data[idx]), tinynn.as_tensor(targets[idx].astype(np.int64))]
        return fetch

    # -- torchvision's extras
    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    @property
    def train_labels(self):
        return self.targets

    @property
    def test_labels(self):
        return self.targets

    @property
    def train_data(self):
        return self.data

    @property
    def test_data(self):
        return self.data

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"


def _numpy(x) -> np.ndarray:
    return x.numpy() if isinstance(x, tinynn.Tensor) else np.asarray(x)


def _to_image(arr: np.ndarray):
    """A PIL 'L' image when Pillow is installed (as torchvision), else the uint8 array."""
    from tinynn.transforms.functional import _PIL  # noqa: PLC0415
    Image = _PIL()
    if Image is None:
        return arr
    return Image.fromarray(arr)  # a 2-D uint8 array gives an 'L' image


class FashionMNIST(MNIST):
    """Fashion-MNIST: 28 x 28 grayscale images of 10 kinds of clothing (Zalando, MIT license)."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
         "f4a8712d7a061bf5bd6d2ca38dc4d50a"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe",
         "9018921c3c673c538a1fc5bad174d6f9"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79",
         "8181f5470baa50b63fa0f6fddb340f0a"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310",
         "15d484375f8d13e6eb1aabb0c3f46965"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
