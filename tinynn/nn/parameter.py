"""Parameter: a Tensor that a Module registers as trainable."""
__all__ = []
