"""Joint detection: the SSD ensemble of Izumi et al. 2024 with joint identities (see docs/detection.md)."""

from jsnviewer.detection.detector import Detection, JointDetector, detect_joints
from jsnviewer.detection.scan import Thresholds

__all__ = ["Detection", "JointDetector", "Thresholds", "detect_joints"]
