"""`jsnviewer info FILE`: what the loader makes of a radiograph (size, grey levels, mm, identity)."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "info",
        help="show a radiograph's size, bit depth, pixel size, study identity and display levels",
        description="Load one radiograph (DICOM, PNG, JPEG, BMP, TIFF) and describe it. The patient name is never shown.",
    )
    parser.add_argument("file", metavar="FILE", help="radiograph file")
    parser.add_argument("--json", action="store_true", help="print the same fields as JSON")
    parser.set_defaults(func=run)


def describe(radiograph) -> dict[str, object]:
    """The fields `info` shows, as plain values (JSON-ready)."""
    ident = radiograph.identity
    return {
        "file": radiograph.path.name if radiograph.path else None,
        "width_px": radiograph.width,
        "height_px": radiograph.height,
        "bits_stored": radiograph.bits_stored,
        "value_min": float(radiograph.pixels.min()),
        "value_max": float(radiograph.pixels.max()),
        "pixel_size_mm": radiograph.pixel_size_mm,
        "pixel_size_source": radiograph.pixel_size_source,
        "patient_id": ident.patient_id,
        "study_date": ident.study_date.isoformat() if ident.study_date else None,
        "laterality": ident.laterality,
        "modality": ident.modality,
        "window_center": radiograph.window_center,
        "window_width": radiograph.window_width,
    }


def run(args: argparse.Namespace) -> int:
    from jsnviewer.radiograph import load_radiograph
    from jsnviewer.radiograph.model import UNKNOWN_PIXEL_SIZE

    fields = describe(load_radiograph(args.file))
    if args.json:
        print(json.dumps(fields, indent=2))
        return 0
    size, source = fields["pixel_size_mm"], fields["pixel_size_source"]
    unknown = "unknown"
    rows = [
        ("file", fields["file"]),
        ("size", f"{fields['width_px']} x {fields['height_px']} px (width x height)"),
        ("bits stored", fields["bits_stored"]),
        ("value range", f"{fields['value_min']:g} .. {fields['value_max']:g}"),
        ("pixel size", f"{size:g} mm ({source})" if size is not None else
         "unknown (sizes shown in px)" + (f"; {source}" if source != UNKNOWN_PIXEL_SIZE else "")),
        ("patient ID", fields["patient_id"] or unknown),
        ("study date", fields["study_date"] or unknown),
        ("laterality", {"B": "B (both hands)"}.get(fields["laterality"], fields["laterality"]) or unknown),
        ("modality", fields["modality"] or unknown),
        ("display levels", f"centre {fields['window_center']:g}, width {fields['window_width']:g}"),
    ]
    for label, value in rows:
        print(f"{label + ':':<16}{value}")
    return 0
