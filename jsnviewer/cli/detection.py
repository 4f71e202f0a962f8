"""`jsnviewer train detector` and `jsnviewer bench detection`: the joint detectors (SSD ensemble)."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from jsnviewer.cli import add_device_option, training_device
from jsnviewer.cli.options import SEED, above, at_least, between
from jsnviewer.detection.thresholds import Thresholds
from jsnviewer.device import use_cpu_threads
from jsnviewer.joints import FINDINGS, SIDES
from jsnviewer.errors import JsnError
from jsnviewer.words import counted



def _thresholds(parser: argparse.ArgumentParser) -> None:
    t = Thresholds()
    g = parser.add_argument_group("inference settings (the paper's defaults)")
    g.add_argument("--conf", type=between(0, 1), default=t.conf, help=f"keep a box as a joint when the detector is at least this sure of it (the paper's t_conf; {t.conf})")
    g.add_argument("--iou1", type=between(0, 1), default=t.iou1, help="of one detector's boxes overlapping by this share or more (intersection over union), keep only the "
                                                               f"surest (the paper's t_IoU1; {t.iou1})")
    g.add_argument("--m1", type=at_least(1), default=t.m1, help="the most boxes per hand the ankylosis detector keeps, and the most joints per hand "
                                                           f"once both detectors' boxes are merged (the paper's M1; {t.m1})")
    g.add_argument("--m2", type=at_least(1), default=t.m2, help=f"the most boxes per hand the subluxation detector keeps (the paper's M2; {t.m2})")
    g.add_argument("--iou2", type=between(0, 1), default=t.iou2, help="a box of each detector overlapping by more than this share is one joint (the "
                                                               f"paper's t_IoU2; {t.iou2})")


def register(train_subparsers, bench_subparsers) -> None:
    t = train_subparsers.add_parser("detector", help="train a joint detector (SSD300) for one finding",
                                    description="Train the ankylosis or the subluxation joint detector on synthetic "
                                                "hands, landmarked real hands and/or an annotation dataset.")
    t.add_argument("--finding", required=True, choices=FINDINGS, help="the finding whose detector is trained")
    t.add_argument("--synthetic", type=at_least(0), default=200, metavar="N", help="synthetic studies (2 hands each) to train on (200; 0 for none)")
    t.add_argument("--real", type=Path, metavar="DIR", help="landmarked real hands (e.g. ../shared/data/real)")
    t.add_argument("--exclude-real", action="append", default=[], metavar="NAME", help="leave out real hands whose file name contains NAME")
    t.add_argument("--data", type=Path, metavar="DIR", help="a jsnviewer annotation dataset")
    t.add_argument("--cache", type=Path, metavar="DIR", help="keep generated synthetic hands here and reuse them")
    t.add_argument("--out", type=Path, required=True, help="weights file to write (never the shipped one by default: retraining must not overwrite it)")
    t.add_argument("--init", type=Path, metavar="PT", help="start from these weights (continue a run, or fine-tune on your data); "
                   "default: the shipped detector of the finding when --data is given, else random weights")
    t.add_argument("--width", type=above(0), default=None, help="channel width of VGG16 (1 = the paper's network; default 1/16)")
    t.add_argument("--steps", type=at_least(0), default=3000,
                   help="training steps, one batch of windows each (3000; 0 with --init: only --calibrate)")
    t.add_argument("--batch", type=at_least(1), default=8, help="300 × 300 px windows per training step (8)")
    t.add_argument("--lr", type=above(0), default=1e-3, help="learning rate: how far each step moves the weights (0.001)")
    t.add_argument("--minutes", type=above(0), default=None, help="stop after this many minutes")
    t.add_argument("--seed", type=SEED, default=0, help="seed of the training's random numbers (the same seed repeats the same choices) (0)")
    t.add_argument("--positive-share", type=between(0, 1), default=0.25, help="share of windows centred on a joint with the finding (0.25)")
    t.add_argument("--present-weight", type=at_least(0, kind=float), default=1.0, help="loss weight of joints with the finding (1: Eq. 3 as written)")
    t.add_argument("--real-share", type=between(0, 1), default=None, metavar="P",
                   help="share of training windows cut from radiograph files (--real, --data) beside synthetic hands "
                        "(default: in proportion to the number of hands)")
    t.add_argument("--threads", type=at_least(1), default=1, help="CPU threads for torch (1)")
    add_device_option(t)
    t.add_argument("--calibrate", type=at_least(0), default=0, metavar="N",
                   help="then choose the finding's decision threshold on N synthetic validation studies (0: argmax)")
    t.set_defaults(func=train_command)

    c = train_subparsers.add_parser("findings", help="train the joint finding classifier (ankylosis, subluxation per joint)",
                                    description="Train the classifier that decides each detected joint's findings from a "
                                                "full-resolution patch, on synthetic hands, landmarked real hands and/or an "
                                                "annotation dataset; the decision thresholds are chosen on synthetic "
                                                "validation studies (seeds 2,000,000+, not the benchmark's).")
    c.add_argument("--synthetic", type=at_least(0), default=600, metavar="N", help="synthetic studies (2 hands each) to train on (600; 0 for none)")
    c.add_argument("--findings-rate", type=between(0, 1), default=0.4, help="chance of a finding per synthetic joint (0.4; the phantom's default is 0.15)")
    c.add_argument("--real", type=Path, metavar="DIR", help="landmarked real hands (their joints with known findings)")
    c.add_argument("--exclude-real", action="append", default=[], metavar="NAME", help="leave out real hands whose file name contains NAME")
    c.add_argument("--data", type=Path, metavar="DIR", help="a jsnviewer annotation dataset")
    c.add_argument("--cache", type=Path, metavar="DIR",
                   help="keep the synthetic patches here and reuse them (the Retrain dialog: its run folder, where the "
                        "comparison after it reuses the validation studies' patches; a run folder of a dataset's "
                        "retrained/ also reuses those the dataset's other runs kept)")
    c.add_argument("--validation", type=at_least(1), default=60, metavar="N", help="synthetic validation studies for the thresholds (60)")
    c.add_argument("--out", type=Path, required=True, help="weights file to write")
    c.add_argument("--init", type=Path, metavar="PT", help="start from these weights; default: the shipped classifier when --data is given")
    c.add_argument("--steps", type=at_least(1), default=2000, help="training steps, one batch of joint patches each (2000)")
    c.add_argument("--batch", type=at_least(1), default=48, help="joint patches per training step (48)")
    c.add_argument("--lr", type=above(0), default=2e-3, help="learning rate: how far each step moves the weights (0.002)")
    c.add_argument("--real-share", type=between(0, 1), default=0.15, help="share of each batch from radiograph files (--real, --data)")
    c.add_argument("--minutes", type=above(0), default=None, help="stop after this many minutes")
    c.add_argument("--seed", type=SEED, default=0, help="seed of the training's random numbers (the same seed repeats the same choices) (0)")
    c.add_argument("--threads", type=at_least(1), default=1, help="CPU threads for torch (1)")
    add_device_option(c)
    c.set_defaults(func=train_findings_command)

    b = bench_subparsers.add_parser("detection", help="detection rate, identities, findings and speed of the joint detectors",
                                    description="Run both detectors and their merge (the paper's Algorithm 1) over "
                                                "radiographs whose joints are known, and report the share of joints "
                                                "found, their names, their findings and the time per radiograph.")
    src = b.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", type=Path, metavar="DIR", help="an annotation dataset (its reviewed radiographs), a folder "
                     "of synthetic studies (truth.json) or landmarked radiographs")
    src.add_argument("--synthetic", type=at_least(1), metavar="N", help="generate N synthetic hands (seeds unseen in training)")
    b.add_argument("--json", type=Path, metavar="OUT", help="write the figures here")
    b.add_argument("--ankylosis", type=Path, metavar="PT", help="ankylosis detector weights (default: shipped)")
    b.add_argument("--subluxation", type=Path, metavar="PT", help="subluxation detector weights (default: shipped)")
    b.add_argument("--findings", type=Path, metavar="PT", help="joint finding classifier weights (default: shipped)")
    b.add_argument("--ssd-findings", action="store_true",
                   help="decide findings by the two SSDs' class probabilities, as the paper (no finding classifier)")
    b.add_argument("--scale", type=above(0), default=None,
                   help="resize before scanning (default: to 0.35 mm/px when the pixel size is known, else to the "
                        "size of the training hands, found by probing at 0.5 and 1; 0.5 is the paper's halving)")
    b.add_argument("--include", action="append", default=[], metavar="NAME",
                   help="only the radiographs whose name contains NAME (repeatable), e.g. a held-out fold")
    b.add_argument("--threads", type=at_least(1), default=None, help="CPU threads for torch (default: torch's choice)")
    _thresholds(b)
    b.set_defaults(func=bench_command)


def train_command(args) -> int:
    import torch
    from tqdm import tqdm

    from jsnviewer.cli import settings_of, starting_weights
    from jsnviewer.detection.model import SSDConfig
    from jsnviewer.detection.train import gather_hands, train_detector
    from jsnviewer.weights import load_weights, write_model_card

    use_cpu_threads(args.threads)
    out = args.out
    recalibrate_only = args.steps == 0 and args.init is not None
    if not recalibrate_only and not args.synthetic and args.real is None and args.data is None:
        raise JsnError("nothing to train on: give --synthetic N, --real DIR and/or --data DIR")
    hands, desc = [], {}
    if not recalibrate_only:
        bar = tqdm(total=args.synthetic, desc="synthetic hands", unit="study", disable=not args.synthetic)
        hands, desc = gather_hands(args.finding, args.synthetic, args.real, args.data, args.cache, args.exclude_real, bar.update)
        bar.close()
        if args.data is not None:
            print(_dataset_line(args.data, desc["annotated_images"], desc["left_out"]), flush=True)
        if not hands:
            raise JsnError("no training radiographs were found")
    config = SSDConfig() if args.width is None else SSDConfig(width=args.width)
    args.init = starting_weights(args.init, f"detector_{args.finding}", [args.data])
    init = None
    if args.init is not None:
        print(f"starting from {args.init}", flush=True)
        from jsnviewer.detection.detector import load_ssd

        init = load_ssd(args.init, args.finding)
    meta = {"finding": args.finding, "data": desc, "batch": args.batch, "lr": args.lr, "seed": args.seed,
            "command": args.command_line, "settings": settings_of(args)}
    if args.init is not None:  # keep how the starting weights were made
        meta["previous"] = load_weights(args.init).meta
    device = training_device(args.device)
    # closed however the training ends: an error (weights the full disk refused) then starts a line of its own; glued
    # to the bar's last redraw, the Retrain dialog took it for the bar's and never said why
    with tqdm(total=args.steps, desc=f"training {args.finding}", unit="step") as bar:

        def progress(step: int, stats: dict) -> None:
            bar.update(1)
            if step % 20 == 0:
                bar.set_postfix(loss=f"{stats['loss']:.3f}", loc=f"{stats['loc']:.3f}", conf=f"{stats['conf']:.3f}")

        train_detector(args.finding, hands, out, config, steps=args.steps, batch=args.batch, lr=args.lr,
                       minutes=args.minutes, seed=args.seed, meta=meta, progress=progress, init=init,
                       positive_share=args.positive_share, present_weight=args.present_weight,
                       real_share=args.real_share, device=device)
    if args.calibrate:
        from jsnviewer.detection.detector import load_ssd, save_ssd
        from jsnviewer.detection.train import calibrate_finding_threshold

        bar = tqdm(total=args.calibrate, desc="calibrating", unit="study")
        model = load_ssd(out, args.finding).to(device)
        measured = calibrate_finding_threshold(model, args.finding, args.calibrate, progress=bar.update)
        bar.close()
        save_ssd(out, model, args.finding, {**load_weights(out).meta, "calibration": measured})
        print(f"{args.finding}: decision threshold {measured['finding_threshold']} "
              f"(F1 {measured['validation_f1']} on {measured['validation_joints']} validation joints)")
    print(f"saved {out}")
    meta = load_weights(out).meta
    data = [f"{k.replace('_', ' ')}: {v if not isinstance(v, list) else ', '.join(v)}" for k, v in desc.items()]
    data.append(f"no validation split: all of it trains; {counted(meta['steps'], 'step')} of batch {args.batch}, lr {args.lr}, "
                f"{meta.get('minutes', 0)} min")
    figures = {f"last training step: {k}": float(v) for k, v in (meta.get("last_loss") or {}).items()}
    figures |= {f"calibration {k}": v for k, v in (meta.get("calibration") or {}).items()}
    card = write_model_card(out, f"Joint detector ({args.finding})", args.command_line, args.init, data, figures,
                            f"jsnviewer bench detection --{args.finding} {out} --synthetic 10")
    print(f"model card {card}")
    return 0


def _dataset_line(folder: Path, reviewed: int, left_out: str) -> str:
    """What a trainer says it took from an annotation dataset (`left_out`: a jsnviewer.dataset.LeftOut's text)."""
    return f"annotation dataset {folder}: {counted(reviewed, 'reviewed image')} with the user's boxes; left out {left_out}"


def train_findings_command(args) -> int:
    import torch
    from tqdm import tqdm

    from jsnviewer.cli import starting_weights
    from jsnviewer.detection.data import load_annotations, load_real
    from jsnviewer.detection.findings import load_finding_net
    from jsnviewer.detection.findings_train import (VALIDATION_FINDINGS_RATE, JointPatches, file_patches,
                                                    kept_phantom_patches_in, phantom_patches, phantom_patches_file,
                                                    save_phantom_patches, train_finding_net, validation_seeds)
    from jsnviewer.retraining import other_runs
    from jsnviewer.weights import load_weights, write_model_card

    use_cpu_threads(args.threads)
    if not args.synthetic and args.real is None and args.data is None:
        raise JsnError("nothing to train on: give --synthetic N, --real DIR and/or --data DIR")

    def synthetic(name: str, seeds: range, rate: float) -> JointPatches:
        kept = phantom_patches_file(args.cache, name, seeds, rate) if args.cache else None
        # kept there, or by an earlier run of the dataset's retrained/ (the Retrain dialog's), where the comparison
        # after the training reads them too
        if kept is not None and (patches := kept_phantom_patches_in([args.cache, *other_runs(args.cache)], name, seeds,
                                                                    rate)) is not None:
            return patches
        bar = tqdm(total=len(seeds), desc=f"{name} studies", unit="study")
        patches = phantom_patches(seeds, rate, lambda k: bar.update(1))
        bar.close()
        if kept is not None:
            try:
                save_phantom_patches(kept, patches, seeds, rate)
            except OSError as exc:  # only time lost: made again next time
                print(f"the {name} studies' patches could not be kept in {args.cache} ({exc.strerror or exc}); "
                      "the training goes on", flush=True)
        return patches

    # the files first: a dataset that is not there is said before minutes of synthetic studies are made
    parts, data = [], []
    if args.synthetic:
        data.append(f"{args.synthetic} synthetic studies (seeds 10,000+, findings rate {args.findings_rate}), both visits")
    if args.real is not None:
        real = [s for s in load_real(args.real) if s.findings_known is not None and s.findings_known.any()
                and not any(e in s.path for e in args.exclude_real)]
        parts.append(file_patches(real))
        data.append(f"{len(real)} landmarked real hands under {args.real} (joints with known findings)"
                    + (f", leaving out {', '.join(args.exclude_real)}" if args.exclude_real else ""))
    if args.data is not None:
        annotated, left_out = load_annotations(args.data)
        damaged: list[str] = []
        parts.append(file_patches(annotated, damaged))
        data.append(_dataset_line(args.data, len(annotated) - len(damaged), str(replace(left_out, damaged=tuple(damaged)))))
        print(data[-1], flush=True)
    if args.synthetic:  # first among the patches, as before: a seed repeats a run
        parts.insert(0, synthetic("synthetic", range(10_000, 10_000 + args.synthetic), args.findings_rate))
    train = JointPatches.concat(parts)
    if not train.known.any():
        raise JsnError("no joints with known findings were found to train on")
    validation = synthetic("validation", validation_seeds(args.validation), VALIDATION_FINDINGS_RATE)
    args.init = starting_weights(args.init, "joint_findings", [args.data])
    start = None
    if args.init is not None:
        print(f"starting from {args.init}", flush=True)
        start = load_finding_net(args.init)
    meta = {"data": data, "command": args.command_line, "validation_studies": args.validation}  # for the comparison
    if args.init is not None:
        meta["previous"] = load_weights(args.init).meta
    device = training_device(args.device)
    with tqdm(total=args.steps, desc="training", unit="step") as bar:  # closed on an error too, as the detector's

        def progress(step: int, loss: float) -> None:
            bar.update(1)
            if step % 20 == 0:
                bar.set_postfix(loss=f"{loss:.3f}")

        _, figures = train_finding_net(train, validation, args.out, args.steps, args.batch, args.lr, args.real_share,
                                       args.seed, start, args.minutes, meta, progress, device)
    print(f"saved {args.out}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    data.append(f"validation (thresholds): {args.validation} synthetic studies, seeds 2,000,000+, phantom's findings rate; "
                f"{int(train.known.sum())} training joints, {figures['steps']} steps of batch {args.batch}, lr {args.lr}")
    card = write_model_card(args.out, "Joint finding classifier (ankylosis, subluxation)", args.command_line, args.init,
                            data, figures, f"jsnviewer bench detection --findings {args.out} --synthetic 100")
    print(f"model card {card}")
    return 0


def bench_command(args) -> int:
    import torch
    from tqdm import tqdm

    from jsnviewer.atomic import atomic_write_json
    from jsnviewer.detection.bench import folder_images, run_bench, synthetic_images
    from jsnviewer.detection.detector import JointDetector

    if args.threads:
        use_cpu_threads(args.threads)
    detector = JointDetector.load(args.ankylosis, args.subluxation, device="cpu", findings=args.findings,
                                  classify=not args.ssd_findings)
    thresholds = Thresholds(args.conf, args.iou1, args.m1, args.m2, args.iou2)
    images = synthetic_images(args.synthetic) if args.synthetic else folder_images(args.data)
    if args.include:
        images = (im for im in images if any(name in im.name for name in args.include))
    bar = tqdm(total=args.synthetic, desc="radiographs", unit="image")

    def progress(row: dict) -> None:
        bar.update(1)
        tqdm.write(f"{row['image']}: {row['detected']}/{row['joints']} joints detected, "
                   f"{row['identity_right']} right identity, {counted(row['false_positives'], 'false positive')}"
                   + (f" (not counted: {counted(row['not_counted_waiting_for_review'], 'detection')} of proposals "
                      "waiting for review)" if row["not_counted_waiting_for_review"] else "")
                   + f", {row['seconds']:.2f} s" + (f", named as a {SIDES[row['named_as']]} hand's"
                                              if row["side"] and row["named_as"] and row["named_as"] != row["side"] else "")
                   + (f", missed {', '.join(row['missed'])}" if row["missed"] else ""))

    result = run_bench(detector, images, thresholds, args.scale, progress)
    bar.close()
    result["torch_threads"] = torch.get_num_threads()
    summary = {k: result[k] for k in ("images", "joints", "detection_rate", "identity_accuracy", "mean_iou",
                                      "false_positives_per_image", "not_counted_waiting_for_review", "named_as_other_hand",
                                      "s_per_image")}
    print(json.dumps(summary, indent=2))
    for f in ("ankylosis", "subluxation"):
        r = result[f]
        if r:
            print(f"{f}: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in r.items()))
    if args.json:
        atomic_write_json(args.json, result)
        print(f"wrote {args.json}")
    return 0
