"""Synthetic hand radiographs with exact ground truth, and joint crops and pairs for training.

`generate_study` makes a baseline and a follow-up radiograph of one hand with every joint's box,
findings, bone masks, bone motions and true JSN change; `make_joint_crop` and `make_joint_pair`
make upright joint crops for segmentation and registration training. See docs/phantom.md.
"""

from .crops import JointCrop, JointPair, make_joint_crop, make_joint_pair
from .study import DEMO_SEED, PhantomStudy, demo_study, generate_study, write_study
from .truth import JointChangeTruth, JointTruth, StudyTruth, TruthError, VisitTruth, jsn_from_transforms, load_truth

__all__ = [
    "DEMO_SEED",
    "JointChangeTruth",
    "JointCrop",
    "JointPair",
    "JointTruth",
    "PhantomStudy",
    "StudyTruth",
    "TruthError",
    "VisitTruth",
    "demo_study",
    "generate_study",
    "jsn_from_transforms",
    "load_truth",
    "make_joint_crop",
    "make_joint_pair",
    "write_study",
]
