"""activation ops (to be filled)."""
__all__ = []
