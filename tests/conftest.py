"""Test configuration. The `device` fixture gives the device tests should create tensors on."""
from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture
def device():
    """The device under test: 'cpu' (the GPU issue adds the CuPy stand-in run)."""
    return "cpu"
