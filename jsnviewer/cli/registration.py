"""`jsnviewer train registration` and `jsnviewer bench registration`."""

from __future__ import annotations

import argparse
from pathlib import Path

from jsnviewer.cli import SHARED_REAL_DATA, add_device_option, print_unmasked, starting_weights, training_device
from jsnviewer.cli.options import SEED, above, at_least
from jsnviewer.device import use_cpu_threads
from jsnviewer.registration.methods import METHODS
from jsnviewer.segmentation import PARTS
from jsnviewer.words import counted

DEFAULT_REAL = SHARED_REAL_DATA / "joint_crops"


def register(train_subparsers, bench_subparsers) -> None:
    p = train_subparsers.add_parser("registration", help="train the bone registration network (JSN)",
                                    description="Train the network that moves each follow-up bone of a joint onto its "
                                                "baseline position (the shifts JSN is measured from), on repeat visits of "
                                                "real joints, self-pairs with known motion and synthetic joint pairs.",
                                    formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data", type=Path, default=DEFAULT_REAL if DEFAULT_REAL.is_dir() else None,
                   help="joint_crops-style folder or annotation dataset folder (split by joint folder)")
    p.add_argument("--synthetic", type=at_least(0), default=0, help="size of the pool of phantom pairs (jsnviewer.phantom.make_joint_pair) drawn from in every epoch")
    p.add_argument("--epochs", type=at_least(1), default=30, help="passes over the training pairs")
    p.add_argument("--batch-size", type=at_least(1), default=32, help="joint pairs per training step")
    p.add_argument("--lr", type=above(0), default=1e-3, help="learning rate: how far each step moves the weights")
    p.add_argument("--config", choices=["small", "paper"], default="small", help="network size")
    p.add_argument("--max-minutes", type=above(0), help="stop after the epoch that passes this time")
    p.add_argument("--seed", type=SEED, default=0, help="seed of the training's random numbers (the same seed repeats the same choices)")
    p.add_argument("--supervised-weight", type=at_least(0, kind=float), default=0.1,
                   help="weight of the smooth-L1 term on the known parameters of self-pairs and phantom pairs")
    p.add_argument("--self-pairs", type=at_least(0), default=800, help="self-pairs (known per-bone transforms) per epoch, besides up to 1200 repeat-visit pairs")
    p.add_argument("--init", type=Path, help="start from these weights; default: the shipped network when --data is "
                   "an annotation dataset, else random weights")
    p.add_argument("--threads", type=at_least(1), default=1, help="CPU threads for torch")
    add_device_option(p)
    p.add_argument("--out", type=Path, required=True, help="weights file to write (checkpointed every better epoch)")
    p.set_defaults(func=_train)

    b = bench_subparsers.add_parser("registration",
                                    help="how consistent the JSN of real joints is (σ, σ', mismatching ratio), the image "
                                         "mismatch before and after, ms per pair (and the JSN error on synthetic pairs)",
                                    description="Register baseline and follow-up joint crops (real repeat visits, or "
                                                "synthetic pairs with a known JSN change) and report how consistent "
                                                "the JSN is: its spread between a direct and a roundabout measurement "
                                                "through a third visit (σ), its spread when the follow-up is shifted by a "
                                                "few pixels (σ') and the share of shifted trials off from the others by "
                                                "more than half a pixel (mismatching ratio); the image mismatch (loss) "
                                                "before and after, the time per pair and, on synthetic pairs, the JSN "
                                                "error.",
                                    formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    b.add_argument("--data", type=Path, help="joint_crops-style folder or annotation dataset folder")
    b.add_argument("--part", choices=PARTS,
                   help="which joint folders of --data (default: validation when the weights were trained on this "
                        "folder, as the shipped ones on ../shared/data/real/joint_crops; else all)")
    b.add_argument("--synthetic", type=at_least(0), default=0, help="run on N phantom pairs instead of --data")
    b.add_argument("--method", choices=list(METHODS), action="append",
                   help="a method to measure; give the option again for more (default: refined, deep, poc; the first one's figures are also at the top level of the JSON)")
    b.add_argument("--pixel-size", type=above(0), default=0.175, help="mm per pixel of the crops in --data")
    b.add_argument("--weights", type=Path, help="registration weights (default: the shipped models/registration.pt)")
    b.add_argument("--seed", type=SEED, default=0, help="seed of the random shifts (σ') and of the synthetic pairs")
    b.add_argument("--threads", type=at_least(1), default=1, help="CPU threads for torch")
    b.add_argument("--json", type=Path, help="write the figures here")
    b.set_defaults(func=_bench)


def _train(args) -> int:
    from jsnviewer.dataset import joint_crops_folder
    from jsnviewer.errors import DatasetError, WeightsError
    from jsnviewer.registration.data import load_joint_folders
    from jsnviewer.registration.model import MODEL_NAME, save_model
    from jsnviewer.registration.train import TrainSettings, train
    from jsnviewer.weights import load_weights, write_model_card

    use_cpu_threads(args.threads)
    if args.data is None:
        raise DatasetError("no --data folder given and ../shared/data/real/joint_crops is not present")
    root = joint_crops_folder(args.data)
    left_out: list[str] = []
    train_crops = load_joint_folders(root, "train", left_out=left_out)
    val_crops = load_joint_folders(root, "validation", left_out=left_out)
    for why in left_out:
        print(f"left out a crop: {why}", flush=True)
    if not val_crops or not train_crops:
        raise DatasetError(f"{root}: needs joints on both sides of the train/validation split")
    settings = TrainSettings(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                             config=args.config, synthetic=args.synthetic, max_minutes=args.max_minutes,
                             self_pairs_per_epoch=args.self_pairs, supervised_weight=args.supervised_weight)
    init = None
    init_path = starting_weights(args.init, MODEL_NAME, [args.data])
    if init_path:
        print(f"fine-tuning from {init_path}", flush=True)
        w = load_weights(init_path, expected_model=MODEL_NAME)
        if w.config.get("widths") is None:
            raise WeightsError(init_path, "has no network configuration")
        init = w.state_dict
    source = None
    if args.synthetic:
        from jsnviewer.registration.data import PhantomSource

        from tqdm import tqdm

        bar = tqdm(total=args.synthetic, desc="phantom pairs", unit="pair")
        source = PhantomSource(args.synthetic, seed=args.seed, progress=lambda k, n: bar.update(1))
        bar.close()
    print(f"joints: {len(train_crops)} train, {len(val_crops)} validation", flush=True)

    def on_epoch(model, row, best):
        print("  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()) + ("  *" if best else ""), flush=True)
        if best:
            save_model(args.out, model, {"training": vars(settings), "epoch": row["epoch"], "validation": row,
                                         "data": str(root), "command": args.command_line})

    device = training_device(args.device)
    _, report = train(train_crops, val_crops, settings, init_state=init, synthetic_source=source, on_epoch=on_epoch, device=device)
    print(f"best epoch {report.best_epoch}, saved {args.out}")
    best = report.history[report.best_epoch - 1]
    data = [f"repeat visits of each joint in {root}" + (f", and a pool of {args.synthetic} phantom pairs" if args.synthetic else ""),
            f"split by joint folder (20 % validation): {len(train_crops)} training joints "
            f"({sum(map(len, train_crops))} crops), {len(val_crops)} validation joints ({sum(map(len, val_crops))} crops)",
            f"{counted(len(report.history), 'epoch')}, best {report.best_epoch}; batch {args.batch_size}, lr {args.lr}, "
            f"{args.self_pairs} self-pairs per epoch"]
    figures = {k: v for k, v in best.items() if k.startswith("val_")}
    card = write_model_card(args.out, "Registration network", args.command_line, init_path, data, figures,
                            f"jsnviewer bench registration --weights {args.out} --synthetic 20")
    print(f"model card {card}")
    return 0


def _bench(args) -> int:
    from jsnviewer.atomic import atomic_write_json
    from jsnviewer.dataset import joint_crops_folder
    from jsnviewer.errors import DatasetError
    from jsnviewer.registration.bench import bench_real, bench_synthetic, format_table
    from jsnviewer.registration.model import load_model, trained_on
    from jsnviewer.segmentation.data import default_part

    use_cpu_threads(args.threads)
    methods = args.method or list(METHODS)
    model = load_model(args.weights) if any(m != "poc" for m in methods) else None
    if args.synthetic:
        results = bench_synthetic(args.synthetic, methods, model, seed=args.seed)
    else:
        if args.data is None:
            raise DatasetError("give --data FOLDER (laid out like joint_crops/) or --synthetic N")
        root = joint_crops_folder(args.data)
        part = args.part or default_part(root, [SHARED_REAL_DATA / "joint_crops", trained_on(args.weights)])
        print({"validation": "measuring the validation joints of the split by joint folder (the weights were trained "
                             "on the others; --part all for every joint)",
               "all": "measuring every joint of the folder", "train": "measuring the training joints"}[part], flush=True)
        results = bench_real(root, methods, model, part=part, pixel_size_mm=args.pixel_size, seed=args.seed)
    print(format_table(results))
    print_unmasked(results.get("crops_without_masks", []))
    if args.json:
        atomic_write_json(args.json, results)
        print(f"wrote {args.json}")
    return 0
