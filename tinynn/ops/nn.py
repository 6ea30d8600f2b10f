"""nn ops (to be filled)."""
__all__ = []
