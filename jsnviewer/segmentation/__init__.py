"""Bone segmentation of joint crops: U-Net++ (registration paper §2.1).

Torch is imported by the submodules; `from jsnviewer.segmentation.infer import BoneSegmenter`.
"""

PARTS = ("validation", "train", "all")  # which joint folders of a crops folder a benchmark measures
