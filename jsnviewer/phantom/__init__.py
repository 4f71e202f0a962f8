"""Synthetic hand radiographs with exact ground truth, and joint crops and pairs for training."""

from .crops import JointCrop, JointPair, make_joint_crop, make_joint_pair

__all__ = ["JointCrop", "JointPair", "make_joint_crop", "make_joint_pair"]
