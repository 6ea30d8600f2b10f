"""`tinynn.save` / `tinynn.load`: checkpoints without pickle.

File format: a plain safetensors file (written and read with the `safetensors` package).

- Every tensor and NumPy array of the saved object is one safetensors entry. Its name is the path
  of keys that leads to it, joined by "." (`model.fc.weight`, `optimizer.state.0.exp_avg`), so a
  flat state dict keeps its own keys: `safetensors.torch.load_file(path)` reads a file written by
  `tinynn.save(model.state_dict(), path)` straight into PyTorch.
- The structure around the tensors (dicts, OrderedDicts, lists, tuples, numbers, strings, None,
  bools, ...) is JSON in the header's `__metadata__["tinynn"]`, with references to the entries.
  Loading parses JSON and copies bytes: nothing in a file can make tinynn run code. Objects of
  other types are refused at save time with a TypeError naming where they are.
- `__metadata__["tinynn.crc32"]` is a CRC-32 of the header (without that field) and of the tensor
  data, so a truncated or corrupted file is detected and reported, not loaded as garbage.
- Saving to a path is atomic: the bytes go to a temporary file in the same directory, which is
  flushed, fsync'ed and renamed over the target (then the directory is fsync'ed). A crash or
  SIGKILL mid-save leaves the previous checkpoint intact (and possibly a stray `.<name>.*.tmp`).

`tinynn.load` also reads any plain safetensors file (for example one written by PyTorch's
`safetensors.torch.save_file`), returning a dict of tensors; bfloat16 entries become float32,
since tinynn has no bfloat16. PyTorch's own pickle checkpoints (zip or legacy) are refused with
an explanation, never unpickled.

Differences from torch.save/torch.load: storage sharing between tensors is not preserved (each
tensor is stored by value); `pickle_module`, `pickle_protocol`, `weights_only` and `mmap` are
accepted for compatibility and change nothing.
"""
from __future__ import annotations

import base64
import contextlib
import json
import math
import os
import struct
import tempfile
import zlib
from collections import OrderedDict

import numpy as np
import safetensors
import safetensors.numpy

from ._dtype import dtype as _dtype_cls
from ._dtype import _NAMES as _DTYPE_NAMES
from .backend import as_device, device
from .tensor import Size, Tensor

__all__ = ["save", "load", "save_safetensors", "load_safetensors", "add_safe_globals",
           "get_safe_globals", "clear_safe_globals", "safe_globals", "DEFAULT_PROTOCOL",
           "SourceChangeWarning", "register_package", "get_default_load_endianness",
           "set_default_load_endianness", "default_restore_location"]

DEFAULT_PROTOCOL = 2
_FORMAT_VERSION = 1
_META_KEY = "tinynn"
_CRC_KEY = "tinynn.crc32"


class SourceChangeWarning(Warning):
    """Kept for `torch.serialization` compatibility (tinynn stores no source code)."""


# ---------------------------------------------------------------------------------------------
# torch.serialization names that scripts touch. tinynn never unpickles, so there is no
# allow-list to manage: these accept their arguments and change nothing.
# ---------------------------------------------------------------------------------------------
_safe_globals: list = []


def add_safe_globals(safe_globals) -> None:
    """No-op kept for PyTorch scripts: tinynn's format cannot contain Python objects."""
    _safe_globals.extend(list(safe_globals))


def get_safe_globals() -> list:
    return list(_safe_globals)


def clear_safe_globals() -> None:
    _safe_globals.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):  # noqa: ARG001 - same signature as torch's context manager
    yield


def register_package(priority, tagger, deserializer) -> None:  # noqa: ARG001
    """No-op: tinynn's locations are device strings, mapped with `map_location`."""


def get_default_load_endianness():
    return None


def set_default_load_endianness(endianness) -> None:  # noqa: ARG001
    """No-op: safetensors data is little-endian by definition."""


# ---------------------------------------------------------------------------------------------
# dtypes
# ---------------------------------------------------------------------------------------------
_ST_DTYPES = {"F16": np.float16, "F32": np.float32, "F64": np.float64, "I8": np.int8,
              "I16": np.int16, "I32": np.int32, "I64": np.int64, "U8": np.uint8,
              "U16": np.uint16, "U32": np.uint32, "U64": np.uint64, "BOOL": np.bool_,
              "C64": np.complex64}
_ST_ITEMSIZE = {"BF16": 2, "F8_E4M3": 1, "F8_E5M2": 1}


def _to_storable(arr: np.ndarray):
    """A little-endian C-contiguous array safetensors can store, and whether it was a
    complex128 array stored as float64 pairs."""
    if arr.dtype.kind == "O" or arr.dtype.kind in "USV":
        raise TypeError(f"arrays of dtype {arr.dtype} cannot be saved (only numeric and bool)")
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    pairs = arr.dtype == np.complex128
    if not arr.flags.c_contiguous:  # (not np.ascontiguousarray: it makes 0-dim arrays 1-dim)
        arr = arr.copy(order="C")
    if pairs:
        arr = arr.reshape(arr.shape + (1,)).view(np.float64)  # (..., 2): real, imag
    return arr, pairs


# ---------------------------------------------------------------------------------------------
# encoding: Python object -> JSON structure + named arrays
# ---------------------------------------------------------------------------------------------
class _Encoder:
    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}

    def _name(self, path: list) -> str:
        base = ".".join(str(p) for p in path) or "tensor"
        name, n = base, 1
        while name in self.arrays or name == "__metadata__":
            name = f"{base}#{n}"
            n += 1
        return name

    def _store(self, arr: np.ndarray, path: list) -> tuple[str, bool]:
        arr, pairs = _to_storable(arr)
        name = self._name(path)
        self.arrays[name] = arr
        return name, pairs

    def encode(self, obj, path: list):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, Tensor):
            return self._tensor(obj, path)
        if isinstance(obj, np.ndarray):
            name, pairs = self._store(obj, path)
            node = {"$": "ndarray", "name": name, "dtype": obj.dtype.str}
            return node
        if isinstance(obj, np.generic):
            if isinstance(obj, (np.str_, np.bytes_, np.void)) or obj.dtype.kind == "O":
                return self._unsupported(obj, path)
            name, _ = self._store(np.asarray(obj), path)
            return {"$": "npscalar", "name": name, "dtype": obj.dtype.str}
        if isinstance(obj, int):
            return obj if type(obj) is int else int(obj)
        if isinstance(obj, float):
            return _enc_float(float(obj))
        if isinstance(obj, complex):
            return {"$": "complex", "re": _enc_float(obj.real), "im": _enc_float(obj.imag)}
        if isinstance(obj, (bytes, bytearray)):
            return {"$": "bytes" if isinstance(obj, bytes) else "bytearray",
                    "b64": base64.b64encode(bytes(obj)).decode("ascii")}
        if isinstance(obj, Size):
            return {"$": "size", "items": [int(s) for s in obj]}
        if isinstance(obj, _dtype_cls):
            return {"$": "dtype", "name": obj.name}
        if isinstance(obj, device):
            return {"$": "device", "str": str(obj)}
        if isinstance(obj, dict):  # dict subclasses (defaultdict, ...) load as dict/OrderedDict
            items = [[self.encode(k, path + ["<key>"]), self.encode(v, path + [k])]
                     for k, v in obj.items()]
            node = {"$": "odict" if isinstance(obj, OrderedDict) else "dict", "items": items}
            meta = getattr(obj, "_metadata", None)
            if isinstance(meta, dict):  # nn.Module.state_dict() keeps per-module versions here
                node["_metadata"] = self.encode(meta, path + ["_metadata"])
            return node
        if isinstance(obj, tuple):
            if hasattr(obj, "_fields"):  # a namedtuple would need its class: store a tuple
                return self._unsupported(obj, path)
            return {"$": "tuple", "items": [self.encode(v, path + [i]) for i, v in enumerate(obj)]}
        if isinstance(obj, list):
            return [self.encode(v, path + [i]) for i, v in enumerate(obj)]
        if isinstance(obj, (set, frozenset)):
            return {"$": type(obj).__name__,
                    "items": [self.encode(v, path + [i]) for i, v in enumerate(obj)]}
        if isinstance(obj, range):
            return {"$": "range", "args": [obj.start, obj.stop, obj.step]}
        if isinstance(obj, slice):
            return {"$": "slice", "args": [self.encode(v, path) for v in
                                           (obj.start, obj.stop, obj.step)]}
        return self._unsupported(obj, path)

    def _tensor(self, t: Tensor, path: list):
        dev = t.device
        arr = t.detach().cpu().numpy()
        name, pairs = self._store(arr, path)
        node = {"$": "tensor", "name": name, "dtype": t.dtype.name}
        if dev.type != "cpu":
            node["device"] = str(dev)
        if t.requires_grad:
            node["requires_grad"] = True
        if type(t).__name__ == "Parameter":
            node["parameter"] = True
        return node

    @staticmethod
    def _unsupported(obj, path):
        where = "obj" + "".join(f"[{p!r}]" for p in path)
        raise TypeError(
            f"tinynn.save cannot store an object of type {type(obj).__module__}."
            f"{type(obj).__qualname__} (at {where}): tinynn's format has no pickle, so it stores "
            "only tensors, NumPy arrays, numbers, strings, bytes, None, and dicts, lists, tuples "
            "and sets of those. Save a state_dict() instead of a module or optimizer object.")


def _enc_float(x: float):
    if math.isfinite(x):
        return x
    return {"$": "float", "v": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}


# ---------------------------------------------------------------------------------------------
# save
# ---------------------------------------------------------------------------------------------
def _canonical(header: dict) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


def _serialize(obj) -> tuple[bytes, memoryview]:
    """The file as (header bytes incl. its 8-byte length, tensor data)."""
    enc = _Encoder()
    structure = enc.encode(obj, [])
    meta = {"format": "pt", _META_KEY: json.dumps({"version": _FORMAT_VERSION,
                                                   "object": structure},
                                                  separators=(",", ":"), allow_nan=False)}
    return _finish(safetensors.numpy.save(enc.arrays, metadata=meta))


def _finish(raw: bytes) -> tuple[bytes, memoryview]:
    """Add the CRC of header and data to a serialized safetensors file."""
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    data = memoryview(raw)[8 + n:]
    crc = zlib.crc32(data, zlib.crc32(_canonical(header)))
    header.setdefault("__metadata__", {})[_CRC_KEY] = f"{crc:08x}"
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * (-len(hb) % 8)  # safetensors pads the header to 8-byte alignment
    return struct.pack("<Q", len(hb)) + hb, data


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _atomic_write(path, chunks) -> None:
    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(f"[Errno 21] Is a directory: '{path}'")
    fd, tmp = tempfile.mkstemp(dir=d, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            for c in chunks:
                fh.write(c)
            fh.flush()
            os.fsync(fh.fileno())
        try:  # the permissions a plain open() would give (mkstemp makes 0600)
            mode = os.stat(path).st_mode & 0o777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(d)


def save(obj, f, pickle_module=None, pickle_protocol=DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization=True, _disable_byteorder_record=False) -> None:
    """Save `obj` (tensors, state dicts, numbers, ... nested in dicts/lists/tuples) to `f`, a path
    (written atomically) or a binary file-like object."""
    head, data = _serialize(obj)
    if isinstance(f, (str, bytes, os.PathLike)):
        _atomic_write(os.fsdecode(f), (head, data))
    elif hasattr(f, "write"):
        f.write(head)
        f.write(data)
        if hasattr(f, "flush"):
            f.flush()
    else:
        raise AttributeError(f"'{type(f).__name__}' object has no attribute 'write'")


def save_safetensors(tensors: dict, path, metadata: dict | None = None) -> None:
    """Write a plain safetensors file of a flat `{name: tensor}` dict (atomically), readable by
    `safetensors.torch.load_file`; the same as `tinynn.save` for a flat state dict, minus tinynn's
    structure record."""
    arrays = {}
    for k, v in tensors.items():
        if not isinstance(k, str):
            raise TypeError(f"save_safetensors: keys must be str, got {type(k).__name__}")
        if not isinstance(v, Tensor):
            raise TypeError(f"save_safetensors: '{k}' is a {type(v).__name__}, not a Tensor")
        arrays[k], pairs = _to_storable(v.detach().cpu().numpy())
        if pairs:
            raise TypeError("save_safetensors: complex128 tensors have no safetensors dtype")
    head, data = _finish(safetensors.numpy.save(arrays, metadata=metadata))
    _atomic_write(os.fsdecode(path), (head, data))


def load_safetensors(path, device="cpu") -> dict:
    """Read a safetensors file into a `{name: tensor}` dict on `device`."""
    obj = load(path, map_location=device)
    if not isinstance(obj, dict) or not all(isinstance(v, Tensor) for v in obj.values()):
        raise RuntimeError(f"{os.fsdecode(path)}: not a flat dict of tensors")
    return obj


# ---------------------------------------------------------------------------------------------
# load
# ---------------------------------------------------------------------------------------------
class _Corrupt(Exception):
    pass


def _foreign_kind(buf: bytes) -> str | None:
    """A description of well-known non-safetensors formats, from their first bytes."""
    if buf[:4] == b"PK\x03\x04":
        return ("a zip archive: this is how torch.save writes its pickle-based checkpoints. "
                "tinynn never unpickles files, because unpickling runs code stored in the file. "
                "Convert it once with PyTorch: `from safetensors.torch import save_file; "
                "save_file(torch.load(PATH, weights_only=True), 'model.safetensors')` (for a "
                "flat state dict), then tinynn.load('model.safetensors')")
    if len(buf) >= 2 and buf[0] == 0x80 and 2 <= buf[1] <= 5:
        return ("a Python pickle (for example a legacy torch.save file). tinynn never unpickles "
                "files, because unpickling runs code stored in the file. Re-save the tensors "
                "with safetensors (safetensors.torch.save_file) and load that")
    if buf[:6] == b"\x93NUMPY":
        return "a NumPy .npy file: read it with numpy.load, then tinynn.from_numpy"
    if buf[:2] == b"\x1f\x8b":
        return "a gzip file: decompress it first"
    if buf[:8] == b"\x89HDF\r\n\x1a\n":
        return "an HDF5 file (for example a Keras checkpoint)"
    return None


def _parse(buf: bytes):
    """Validate and parse a safetensors file: (header dict, tensor entries)."""
    if len(buf) < 8:
        foreign = _foreign_kind(buf)
        raise _Corrupt(f"it is {foreign}" if foreign else
                       f"it is {len(buf)} bytes long, too short for a safetensors file "
                       "(truncated or empty)")
    (n,) = struct.unpack("<Q", buf[:8])
    if n + 8 > len(buf) or n < 2 or buf[8:9] != b"{":
        foreign = _foreign_kind(buf)
        if foreign:
            raise _Corrupt(f"it is {foreign}")
        if n + 8 > len(buf) and buf[8:9] == b"{":
            raise _Corrupt(f"it is truncated or its first bytes are corrupted: its header length "
                           f"field says {n} bytes but the file has {len(buf)} bytes in all")
        raise _Corrupt("it is not a safetensors file (no valid header: wrong format or the "
                       "first bytes were overwritten)")
    try:
        header = json.loads(bytes(buf[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise _Corrupt(f"its header is not valid JSON ({e}): the file is corrupted") from None
    if not isinstance(header, dict):
        raise _Corrupt("its header is not a JSON object: the file is corrupted")
    meta = header.get("__metadata__") or {}
    if not isinstance(meta, dict):
        raise _Corrupt("its header's __metadata__ is not a JSON object: the file is corrupted")
    data = memoryview(buf)[8 + n:]
    try:
        end = max([int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"],
                  default=0)
    except (TypeError, KeyError, IndexError, ValueError):
        raise _Corrupt("its header has malformed tensor entries: the file is corrupted") from None
    if end > len(data):
        raise _Corrupt(f"it is truncated: the tensors need {end} bytes of data but only "
                       f"{len(data)} follow the header")
    crc = meta.get(_CRC_KEY)
    if crc is not None:
        h = {k: (dict(v) if k == "__metadata__" else v) for k, v in header.items()}
        del h["__metadata__"][_CRC_KEY]
        if not h["__metadata__"]:
            del h["__metadata__"]
        actual = zlib.crc32(data, zlib.crc32(_canonical(h)))
        if f"{actual:08x}" != crc:
            if end < len(data):
                raise _Corrupt(f"it has {len(data) - end} unexpected bytes after the tensor data")
            raise _Corrupt(f"its checksum does not match (stored {crc}, computed {actual:08x}): "
                           "the file was corrupted or modified after it was written")
    try:
        entries = safetensors.deserialize(buf)
    except Exception as e:  # SafetensorError and friends
        raise _Corrupt(f"safetensors could not read it: {e}") from None
    return header, meta, entries


def _entry_array(name: str, info: dict) -> np.ndarray:
    st = info["dtype"]
    raw = info["data"]
    shape = tuple(info["shape"])
    if st == "BF16":  # no bfloat16 in NumPy/tinynn: widen to float32 exactly
        u16 = np.frombuffer(raw, dtype="<u2").reshape(shape)
        return (u16.astype(np.uint32) << 16).view(np.float32)
    npdt = _ST_DTYPES.get(st)
    if npdt is None:
        raise _Corrupt(f"tensor '{name}' has dtype {st}, which tinynn cannot represent")
    arr = np.frombuffer(raw, dtype=np.dtype(npdt).newbyteorder("<")).reshape(shape)
    if arr.dtype.byteorder == ">" or (arr.dtype.byteorder == "<" and not np.little_endian):
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if not arr.flags.writeable:
        arr = arr.copy()
    if arr.dtype.kind == "u" and arr.dtype.itemsize > 1:  # no uint16/32/64 tensors in tinynn
        arr = arr.astype(np.int32 if arr.dtype.itemsize == 2 else np.int64)
    return arr


def _dtype_by_name(name):
    d = _DTYPE_NAMES.get(name)
    if d is None:
        raise _Corrupt(f"its structure names an unknown dtype {name!r}")
    return d


def _resolve_location(map_location, loc: str):
    """The target device string for a tensor saved on `loc` (None: call map_location later)."""
    if map_location is None:
        return loc
    if isinstance(map_location, (str, device)):
        return str(as_device(map_location))
    if isinstance(map_location, dict):
        target = map_location.get(loc, loc)
        return str(as_device(target))
    return None


def default_restore_location(t: Tensor, location: str) -> Tensor:
    """Move `t` to `location` ('cpu', 'cuda', 'cuda:1'), as torch's default restore."""
    dev = as_device(location)
    if dev.type == "cuda":
        from .backend import cuda_available  # noqa: PLC0415
        if not cuda_available():
            raise RuntimeError("Attempting to deserialize object on a CUDA device but "
                               "tinynn.cuda.is_available() is False. If you are running on a "
                               "CPU-only machine, please use tinynn.load with "
                               "map_location=tinynn.device('cpu') to map your storages to the CPU.")
    return t.to(dev)


class _Decoder:
    def __init__(self, arrays: dict, map_location):
        self.arrays = arrays
        self.map_location = map_location

    def array(self, node) -> np.ndarray:
        name = node.get("name")
        if name not in self.arrays:
            raise _Corrupt(f"its structure refers to a tensor '{name}' that is not in the file")
        return self.arrays[name]

    def decode(self, node):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict) or "$" not in node:
            raise _Corrupt(f"its structure has an unknown node {str(node)[:80]!r}")
        tag = node["$"]
        if tag == "tensor":
            return self._tensor(node)
        if tag == "ndarray":
            arr = self.array(node)
            want = np.dtype(node.get("dtype", arr.dtype.str))
            if want == np.complex128 and arr.dtype == np.float64:
                arr = arr.view(np.complex128).reshape(arr.shape[:-1])
            return arr.astype(want, copy=False)
        if tag == "npscalar":
            return self.array(node).astype(np.dtype(node["dtype"]), copy=False)[()]
        if tag == "float":
            return float(node["v"])
        if tag == "complex":
            return complex(self.decode(node["re"]), self.decode(node["im"]))
        if tag in ("bytes", "bytearray"):
            b = base64.b64decode(node["b64"])
            return b if tag == "bytes" else bytearray(b)
        if tag in ("dict", "odict"):
            d = OrderedDict() if tag == "odict" else {}
            for k, v in node["items"]:
                d[self.decode(k)] = self.decode(v)
            if "_metadata" in node:
                d._metadata = self.decode(node["_metadata"])  # type: ignore[attr-defined]
            return d
        if tag == "tuple":
            return tuple(self.decode(v) for v in node["items"])
        if tag == "set":
            return {self.decode(v) for v in node["items"]}
        if tag == "frozenset":
            return frozenset(self.decode(v) for v in node["items"])
        if tag == "size":
            return Size(int(v) for v in node["items"])
        if tag == "dtype":
            return _dtype_by_name(node["name"])
        if tag == "device":
            return device(node["str"])
        if tag == "range":
            return range(*node["args"])
        if tag == "slice":
            return slice(*(self.decode(v) for v in node["args"]))
        raise _Corrupt(f"its structure has an unknown node type {tag!r}")

    def _tensor(self, node) -> Tensor:
        from .ops.creation import from_numpy  # noqa: PLC0415
        arr = self.array(node)
        if node.get("dtype") == "complex128" and arr.dtype == np.float64:
            arr = arr.view(np.complex128).reshape(arr.shape[:-1])
        t = from_numpy(arr)
        want = _dtype_by_name(node["dtype"]) if "dtype" in node else t.dtype
        if t.dtype != want:
            t = t.to(want)
        t = self.place(t, node.get("device", "cpu"))
        if node.get("parameter"):
            from .nn.parameter import Parameter  # noqa: PLC0415
            return Parameter(t, requires_grad=bool(node.get("requires_grad", False)))
        if node.get("requires_grad"):
            t.requires_grad_(True)
        return t

    def place(self, t: Tensor, loc: str) -> Tensor:
        target = _resolve_location(self.map_location, loc)
        if target is not None:
            return default_restore_location(t, target)
        result = self.map_location(t, loc)  # callable(storage, location), as in torch
        if result is None:
            return default_restore_location(t, loc)
        if not isinstance(result, Tensor):
            raise TypeError(f"map_location should return a Tensor (or None), got "
                            f"{type(result).__name__}")
        return result


def _read_all(f) -> tuple[bytes, str]:
    if isinstance(f, (str, bytes, os.PathLike)):
        path = os.fsdecode(f)
        with open(path, "rb") as fh:
            return fh.read(), path
    if hasattr(f, "read"):
        name = getattr(f, "name", None)
        data = f.read()
        if isinstance(data, str):
            raise TypeError("tinynn.load needs a binary file object (open the file with 'rb')")
        return bytes(data), f"'{name}'" if isinstance(name, str) else f"<{type(f).__name__}>"
    raise TypeError(f"tinynn.load expects a path or a binary file object, got {type(f).__name__}")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Load an object saved with `tinynn.save` (or a plain safetensors file -> dict of tensors).

    map_location: None (where it was saved), a device or string ('cpu', 'cuda:0'), a dict
    {'cuda:0': 'cpu'}, or a callable `(tensor, location) -> tensor or None`."""
    if map_location is not None and not isinstance(map_location, (str, device, dict)) \
            and not callable(map_location):
        raise TypeError(f"map_location must be a str, device, dict or callable, got "
                        f"{type(map_location).__name__}")
    buf, name = _read_all(f)
    try:
        header, meta, entries = _parse(buf)
        arrays = {k: _entry_array(k, info) for k, info in entries}
        decoder = _Decoder(arrays, map_location)
        spec = meta.get(_META_KEY)
        if spec is None:  # a plain safetensors file: {name: tensor} in data order
            order = sorted(arrays, key=lambda k: header[k]["data_offsets"][0])
            out = {}
            for k in order:
                out[k] = decoder.place(_from_numpy(arrays[k]), "cpu")
            return out
        try:
            doc = json.loads(spec)
            version = doc["version"]
            structure = doc["object"]
        except (ValueError, KeyError, TypeError):
            raise _Corrupt("its tinynn structure record is not valid JSON") from None
        if not isinstance(version, int) or version > _FORMAT_VERSION:
            raise _Corrupt(f"it was written by a newer tinynn (format version {version}; this "
                           f"tinynn reads up to {_FORMAT_VERSION})")
        return decoder.decode(structure)
    except _Corrupt as e:
        raise RuntimeError(f"tinynn.load: cannot load {name}: {e}") from None


def _from_numpy(arr):
    from .ops.creation import from_numpy  # noqa: PLC0415
    return from_numpy(arr)
