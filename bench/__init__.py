"""The portal's benchmark, run as ``python -m bench`` (``make bench``); see ``__main__``."""
