"""What every subcommand module shares: settings from the arguments, JSON output, the ``add`` hook."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ledger.settings import Settings, from_env

# add(name, func, help) returns the subparser to give arguments to.
Add = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings from the environment, with ``--home`` applied when given."""
    settings = from_env()
    if getattr(args, "home", None):
        settings = settings.with_home(Path(args.home))
    return settings


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))
