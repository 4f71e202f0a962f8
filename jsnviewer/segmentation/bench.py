"""Accuracy (Table 6 metrics per bone and overall) and CPU speed of the bone segmenter."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from jsnviewer.device import use_cpu_threads
from jsnviewer.errors import JsnError
from jsnviewer.segmentation.data import find_crops, load_samples, synthetic_samples
from jsnviewer.segmentation.infer import BoneSegmenter
from jsnviewer.segmentation.metrics import MetricsTable
from jsnviewer.weights import resolve_weights

# Phantom seeds for evaluation start here; training uses seeds 0..N-1 with N far below.
SYNTHETIC_EVAL_SEED = 1_000_000
# Overall figures at the top level of the JSON: of --data when given, else of the synthetic crops.
OVERALL_KEYS = ("dsc", "miou", "sensitivity", "specificity", "accuracy")


def accuracy_on(segmenter: BoneSegmenter, samples, progress=None) -> dict[str, Any]:
    table = MetricsTable()
    for s in samples:
        up, lo = segmenter.segment(s.image)
        table.add(up, lo, s.upper, s.lower)
        if progress:
            progress.update(1)
    return {"crops": len(table)} | table.summary()


def speed(segmenter: BoneSegmenter, size: int = 256, repeats: int = 50) -> dict[str, float]:
    """Milliseconds of `segment` on one size×size crop (batch of one), after warm-up.

    ms_per_crop is the median wall time; cpu_ms_per_crop the median CPU time of this process,
    which other people's jobs on a shared machine do not inflate (with one thread it is the
    wall time on an idle CPU). The load average says how busy the machine was.
    """
    crop = np.random.default_rng(0).normal(100, 20, (size, size)).astype(np.float32)
    for _ in range(min(5, repeats)):
        segmenter.segment(crop)
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        segmenter.segment(crop)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return {"ms_per_crop": float(np.median(wall) * 1000), "ms_per_crop_min": float(np.min(wall) * 1000),
            "cpu_ms_per_crop": float(np.median(cpu) * 1000), "load_average_1min": os.getloadavg()[0]}


def bench_segmentation(data: Path | None, weights: Path | None = None, part: str = "all",
                       synthetic: int = 0, threads: int | None = None, repeats: int = 50,
                       show_progress: bool = True) -> dict[str, Any]:
    """`part` of the crops of `data`: "validation" keeps the validation joints the weights list (their training
    held them out), "train" the others, "all" every crop."""
    from tqdm import tqdm

    if threads:
        use_cpu_threads(threads)
    segmenter = BoneSegmenter.load(weights, device="cpu")
    result: dict[str, Any] = {"weights": str(resolve_weights("segmenter", weights)), "threads": torch.get_num_threads(),
                              "input_size": segmenter.input_size}
    if data is not None:
        unmasked: list[str] = []
        records = find_crops(data, unmasked)
        if part != "all":
            held_out = set(segmenter.meta.get("validation_joints", []))
            records = [r for r in records if (r.joint in held_out) == (part == "validation")]
            unmasked = [name for name in unmasked if (name.split("/")[0] in held_out) == (part == "validation")]
            if not records:
                raise JsnError(f"{data}: none of the {part} joints listed in the weights are here (--part all "
                               "measures every crop)")
        samples = load_samples(records)
        with tqdm(total=len(samples), desc="crops", disable=not show_progress) as bar:
            figures = accuracy_on(segmenter, samples, bar)
        result |= {"data_dir": str(data), "part": part, "joints": len({r.joint for r in records}),
                   "crops_without_masks": unmasked}
        result |= {"data": figures} | {k: figures["overall"][k] for k in OVERALL_KEYS}
    if synthetic:
        samples = synthetic_samples(range(SYNTHETIC_EVAL_SEED, SYNTHETIC_EVAL_SEED + synthetic))
        with tqdm(total=len(samples), desc="synthetic crops", disable=not show_progress) as bar:
            result["synthetic"] = accuracy_on(segmenter, samples, bar)
        if data is None:
            result |= {k: result["synthetic"]["overall"][k] for k in OVERALL_KEYS}
    result |= speed(segmenter, repeats=repeats)
    return result

