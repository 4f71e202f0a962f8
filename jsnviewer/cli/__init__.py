"""The command line: a thin layer over the library. Each subcommand lives in its own module."""

from pathlib import Path

# ../shared/data/real beside the repository: the real training data on development machines and
# in CI (never bundled; absent in the packaged program, where trainers need --data).
SHARED_REAL_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
