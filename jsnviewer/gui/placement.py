"""Moved to `jsnviewer.pipeline.placement` (overview.png places its labels with it too); the GUI's imports still work."""

from jsnviewer.pipeline.placement import *  # noqa: F403
from jsnviewer.pipeline.placement import __all__  # noqa: F401
