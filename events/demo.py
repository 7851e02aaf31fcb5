"""The demo city's events (placeholder: being built)."""
