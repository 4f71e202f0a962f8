"""`jsnviewer train segmenter` and `jsnviewer bench segmentation`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jsnviewer.cli import SHARED_REAL_DATA, add_device_option, print_unmasked, starting_weights, training_device
from jsnviewer.cli.options import SEED, OptionError, above, at_least
from jsnviewer.device import use_cpu_threads
from jsnviewer.segmentation import PARTS
from jsnviewer.words import counted

DEFAULT_REAL = SHARED_REAL_DATA / "joint_crops"


def register(train_subparsers, bench_subparsers) -> None:
    p = train_subparsers.add_parser("segmenter", help="train the U-Net++ bone segmenter",
                                    description="Train the U-Net++ that splits each joint crop into its upper (distal) "
                                                "and lower (proximal) bone, on real joint crops with bone masks, "
                                                "annotation datasets and/or synthetic crops.",
                                    formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--real", type=Path, default=DEFAULT_REAL if DEFAULT_REAL.is_dir() else None,
                   help="real joint_crops folder (split by joint into train/validation)")
    p.add_argument("--no-real", action="store_true", help="do not use the real crops")
    p.add_argument("--data", type=Path, action="append", default=[],
                   help="annotation dataset folder (with dataset.json) or joint_crops-style folder; repeatable")
    p.add_argument("--synthetic", type=at_least(0), default=0, help="number of phantom crops to add (seeds 0..N-1)")
    p.add_argument("--epochs", type=at_least(1), default=30, help="passes over the training crops")
    p.add_argument("--stop-after", type=at_least(1), help="end after this many epochs (the schedule stays --epochs long)")
    p.add_argument("--batch-size", type=at_least(1), default=16, help="joint crops per training step")
    p.add_argument("--lr", type=above(0), default=3e-3, help="learning rate: how far each step moves the weights")
    p.add_argument("--optimizer", choices=["adamw", "rmsprop"], default="adamw",
                   help="how the weights are updated: AdamW or RMSprop")
    p.add_argument("--loss", choices=["bce+dice", "bce"], default="bce+dice",
                   help="what training minimises: per-pixel error (binary cross-entropy), with or without the masks' "
                        "overlap (Dice)")
    p.add_argument("--width", type=at_least(1), default=8, help="channels of the first level (doubles per level)")
    p.add_argument("--depth", type=at_least(2), default=4, help="levels of the U-Net++")
    p.add_argument("--input-size", type=at_least(4), default=128, help="crops are resized to this for the network")
    p.add_argument("--seed", type=SEED, default=0, help="seed of the training's random numbers (the same seed repeats the same choices)")
    p.add_argument("--split-seed", type=SEED, default=0, help="seed of the train/validation split by joint")
    p.add_argument("--init", type=Path, help="fine-tune from these weights (their network size is kept); "
                   "default: the shipped segmenter when --data is an annotation dataset, else random weights")
    p.add_argument("--threads", type=at_least(1), default=1, help="CPU threads for torch")
    add_device_option(p)
    p.add_argument("--out", type=Path, required=True, help="weights file to write (never the shipped one by default: retraining must not overwrite it)")
    p.set_defaults(func=_train)

    b = bench_subparsers.add_parser("segmentation", help="how well each bone's outline matches the known mask (Dice, mean IoU) and CPU ms per crop",
                                    description="Segment joint crops whose bone masks are known and report, per bone, "
                                                "how well the outline found overlaps the known one (Dice similarity "
                                                "coefficient and mean IoU, as Wang 2023, Table 6) and the CPU time per "
                                                "crop.",
                                    formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    b.add_argument("--data", type=Path, help="folder laid out like joint_crops/ (or a dataset folder)")
    b.add_argument("--part", choices=PARTS,
                   help="which joint folders of --data (default: the validation joints listed in the weights when they "
                        "were trained on this folder, as the shipped ones on ../shared/data/real/joint_crops; else all)")
    b.add_argument("--synthetic", type=at_least(0), default=0, help="also N held-out phantom crops")
    b.add_argument("--weights", type=Path, help="weights file (default: the shipped models/segmenter.pt)")
    b.add_argument("--threads", type=at_least(1), default=1, help="CPU threads for torch")
    b.add_argument("--repeats", type=at_least(1), default=50, help="timed runs for ms per crop")
    b.add_argument("--json", type=Path, help="write the figures here")
    b.set_defaults(func=_bench)


def _check_network_size(depth: int, input_size: int) -> None:
    """--depth and --input-size must suit each other (their ranges alone cannot say it): the U-Net++ halves
    its input depth - 1 times and upsamples back, so the size must divide by 2**(depth - 1), and its
    deepest level must stay 2×2 or more (batch normalisation of a 1×1 level fails on a batch of one crop)."""
    deepest = input_size.bit_length() - 1  # the most levels with input_size >= 2**depth
    if depth > deepest:
        raise OptionError(f"--depth must be at most {deepest} for --input-size {input_size} (the U-Net++ halves it "
                          f"down to 2×2 or more), not {depth}")
    step = 2 ** (depth - 1)
    if input_size % step:
        raise OptionError(f"--input-size must be a multiple of {step} for --depth {depth}, not {input_size}")


def _train(args) -> int:
    from jsnviewer.dataset import joint_crops_folder
    from jsnviewer.segmentation.infer import MODEL_NAME
    from jsnviewer.segmentation.train import TrainConfig, train_segmenter
    from jsnviewer.weights import load_weights, write_model_card

    _check_network_size(args.depth, args.input_size)
    use_cpu_threads(args.threads)
    dirs = ([] if args.no_real or args.real is None else [args.real]) + [joint_crops_folder(d) for d in args.data]
    init = starting_weights(args.init, MODEL_NAME, args.data)
    if init is not None:
        print(f"fine-tuning from {init}", flush=True)
    config = TrainConfig(crop_dirs=dirs, synthetic=args.synthetic, epochs=args.epochs, batch_size=args.batch_size,
                         lr=args.lr, optimizer=args.optimizer, loss=args.loss, width=args.width, depth=args.depth,
                         input_size=args.input_size, seed=args.seed, split_seed=args.split_seed, init=init,
                         stop_after=args.stop_after)
    result = train_segmenter(config, args.out, progress=lambda line: print(line, flush=True),
                             progress_bar=sys.stderr.isatty(), device=training_device(args.device))
    print(f"saved {result.path}")
    if result.validation:
        for part, m in result.validation.items():
            print(f"validation {part}: DSC {m['dsc']:.4f}  mIoU {m['miou']:.4f}")
    meta = load_weights(result.path).meta
    data = [f"joint crops from {', '.join(str(d) for d in dirs) or 'no folder'}"
            + (f" and {args.synthetic} phantom crops (seeds 0..{args.synthetic - 1}, training only)" if args.synthetic else ""),
            f"split by joint folder (seed {args.split_seed}, 20 % validation): {meta['train_crops']} training crops, "
            f"{meta['validation_crops']} validation crops of {len(result.validation_joints)} joints",
            f"{counted(meta['epochs_done'], 'epoch')} of {args.epochs}, batch {args.batch_size}, lr {args.lr}, {args.optimizer}, {args.loss}"]
    figures = {f"validation {part} {k}": v for part, m in (result.validation or {}).items() for k, v in m.items()
               if k in ("dsc", "miou")}
    card = write_model_card(result.path, "Bone segmenter (U-Net++)", args.command_line, init, data, figures,
                            f"jsnviewer bench segmentation --weights {result.path} --data DIR")
    print(f"model card {card}")
    return 0


def _bench(args) -> int:
    from jsnviewer.atomic import atomic_write_json
    from jsnviewer.dataset import joint_crops_folder
    from jsnviewer.errors import JsnError
    from jsnviewer.segmentation.bench import bench_segmentation
    from jsnviewer.segmentation.data import default_part
    from jsnviewer.segmentation.infer import trained_on

    if args.data is None and not args.synthetic:
        raise JsnError("bench segmentation needs --data DIR and/or --synthetic N")
    root = joint_crops_folder(args.data) if args.data else None
    part = "all"
    if root is not None:
        part = args.part or default_part(root, [DEFAULT_REAL, *trained_on(args.weights)])
        print({"validation": "measuring the validation joints listed in the weights (they were trained on the others; "
                             "--part all for every crop)",
               "all": "measuring every crop of the folder", "train": "measuring the training joints"}[part], flush=True)
    result = bench_segmentation(root, args.weights, part, args.synthetic, args.threads, args.repeats)
    for name in ("data", "synthetic"):
        for part, m in result.get(name, {}).items():
            if isinstance(m, dict):
                print(f"{name:9s} {part:7s} " + "  ".join(f"{k} {v:.4f}" for k, v in m.items()))
    print(f"ms per 256×256 crop (batch of one, {counted(result['threads'], 'thread')}): {result['ms_per_crop']:.1f} wall (median), "
          f"{result['ms_per_crop_min']:.1f} wall (min), {result['cpu_ms_per_crop']:.1f} CPU; "
          f"load average {result['load_average_1min']:.1f}")
    print_unmasked(result.get("crops_without_masks", []))
    if args.json:
        atomic_write_json(args.json, result)
    return 0
