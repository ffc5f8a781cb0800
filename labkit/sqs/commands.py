"""Placeholder: filled in by the part that owns these subcommands."""

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the `labkit` parser."""
