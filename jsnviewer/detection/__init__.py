"""Joint detection: the SSD ensemble of Izumi et al. 2024 with joint identities (see docs/detection.md)."""

from jsnviewer.detection.thresholds import Thresholds

__all__ = ["Detection", "JointDetector", "Thresholds", "detect_joints"]


def __getattr__(name: str):
    # The detector loads torch: only when asked for, so that reading the settings (detection.thresholds) does not.
    if name in ("Detection", "JointDetector", "detect_joints"):
        from jsnviewer.detection import detector

        return getattr(detector, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
