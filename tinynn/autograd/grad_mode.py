"""Grad modes: a thread-local flag, switched by context managers that also work as decorators."""
from __future__ import annotations

import functools
import inspect
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled"]


class _State(threading.local):
    def __init__(self):
        self.enabled = True
        self.inference = False


_state = _State()


def is_grad_enabled() -> bool:
    return _state.enabled


def is_inference_mode_enabled() -> bool:
    return _state.inference


class _GradModeBase:
    """Context manager and decorator; `@no_grad` and `@no_grad()` both work."""

    def __new__(cls, orig_func=None, *args, **kwargs):
        if cls is not set_grad_enabled and callable(orig_func) and not args and not kwargs:
            return cls()(orig_func)
        return super().__new__(cls)

    def __call__(self, func):
        if inspect.isclass(func):
            raise TypeError("tinynn grad modes cannot decorate a class")
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def gen_wrapper(*args, **kwargs):
                gen = func(*args, **kwargs)
                with self.clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        gen.close()
                        raise
                    except BaseException as e:  # forward thrown exceptions
                        with self.clone():
                            response = gen.throw(e)
                    else:
                        with self.clone():
                            try:
                                response = gen.send(request)
                            except StopIteration as stop:
                                return stop.value
            return gen_wrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()


class no_grad(_GradModeBase):
    """Disable gradient recording: results of ops have requires_grad=False."""

    def __init__(self, orig_func=None):
        self.prev = True

    def __enter__(self):
        self.prev = _state.enabled
        _state.enabled = False

    def __exit__(self, *exc):
        _state.enabled = self.prev
        return False


class enable_grad(_GradModeBase):
    """Enable gradient recording (inside a no_grad region)."""

    def __init__(self, orig_func=None):
        self.prev = False

    def __enter__(self):
        self.prev = _state.enabled
        _state.enabled = True

    def __exit__(self, *exc):
        _state.enabled = self.prev
        return False


class set_grad_enabled(_GradModeBase):
    """Set grad mode now; used as a context manager it restores the previous mode on exit."""

    def __init__(self, mode: bool):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'mode' must be bool, not {type(mode).__name__}")
        self.prev = _state.enabled
        self.mode = mode
        _state.enabled = mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _state.enabled = self.prev
        return False

    def __call__(self, func):
        _state.enabled = self.prev  # as a decorator, the call above must not change the mode
        return super().__call__(func)

    def clone(self):
        return self.__class__(self.mode)


class inference_mode(_GradModeBase):
    """Like no_grad (tinynn has no separate inference tensors); `inference_mode(False)` is a no-op."""

    def __init__(self, mode=True):
        if callable(mode):  # bare decorator handled by __new__
            mode = True
        self.mode = bool(mode)
        self.prev = True
        self.prev_inf = False

    def __enter__(self):
        self.prev, self.prev_inf = _state.enabled, _state.inference
        if self.mode:
            _state.enabled = False
            _state.inference = True

    def __exit__(self, *exc):
        _state.enabled, _state.inference = self.prev, self.prev_inf
        return False

    def clone(self):
        return self.__class__(self.mode)
