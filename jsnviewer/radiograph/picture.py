"""PNG, JPEG, BMP and TIFF radiographs through Pillow, 8 and 16 bit; PNG is also written, with the
pixel size, display levels and study identity in text chunks that `read_picture` reads back."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, PngImagePlugin

from jsnviewer.errors import RadiographError
from jsnviewer.radiograph.color import grey_from_colour
from jsnviewer.radiograph.model import MAX_PIXELS, UNKNOWN_PIXEL_SIZE, Radiograph, StudyIdentity, to_stored_pixels, too_large

log = logging.getLogger(__name__)

PNG_PIXEL_SIZE_SOURCE = "PNG metadata"
_KEY = "jsnviewer."  # prefix of our PNG text chunks
_MODES_16 = ("I;16", "I;16B", "I;16L", "I;16N")


def is_picture(path: Path) -> bool:
    """True when Pillow recognises the file's content (whatever its extension)."""
    try:
        with _quiet_pillow(), Image.open(path):
            return True
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return True  # an image, too large: read_picture says so
    except Exception:  # damaged headers raise all sorts; read_picture gives the reason
        return False


@contextmanager
def _quiet_pillow() -> Iterator[None]:
    """Pillow warns about damaged metadata; a bomb-sized image becomes an error, the rest stays quiet."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def read_picture(path: Path) -> Radiograph:
    try:
        with _quiet_pillow():
            with Image.open(path) as image:
                large = too_large(*image.size)
                if large:
                    raise RadiographError(path, large)
                frames = getattr(image, "n_frames", 1)
                if frames > 1:
                    raise RadiographError(path, f"{image.format} with {frames} frames; jsnviewer reads one radiograph per file")
                if image.mode in ("RGB", "RGBA") and any(";16" in _rawmode(tile) for tile in image.tile):
                    raise RadiographError(path, "16-bit colour image; save the radiograph as 16-bit greyscale")
                image.load()
                text = {k[len(_KEY):]: v for k, v in getattr(image, "text", {}).items() if k.startswith(_KEY)}
                kind = image.format or "image"
                # Show it the way every other viewer (and labelme) does: EXIF orientation applied.
                pixels, bits = _grey_pixels(path, ImageOps.exif_transpose(image))
    except RadiographError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:  # Image.open itself refused it
        size = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = f"{int(size.group(1)):,} pixels; " if size else ""
        raise RadiographError(path, f"image too large to be a radiograph ({pixels}jsnviewer opens at most "
                                    f"{MAX_PIXELS:,})") from exc
    except OSError as exc:
        if "truncated" in str(exc):
            raise RadiographError(path, "truncated image file") from exc
        raise RadiographError(path, f"corrupt image file ({str(exc)[:160]})") from exc
    except Exception as exc:  # Pillow's decoders raise many types on damaged data: which one is the log's
        log.info("%s cannot be decoded", path, exc_info=exc)
        raise RadiographError(path, f"corrupt image file ({str(exc)[:160] or 'it cannot be decoded'})") from exc

    slope, intercept = _number(text.get("rescale_slope")), _number(text.get("rescale_intercept"))
    if slope is not None and intercept is not None:
        pixels = (pixels.astype(np.float64) * slope + intercept).astype(np.float32)
    size = _number(text.get("pixel_size_mm"))
    if size is not None and not size > 0:
        size = None
    stated = _number(text.get("bits_stored"))
    if stated is not None and stated == int(stated) and 1 <= stated <= 32:  # a damaged chunk keeps the file's own depth
        bits = int(stated)
    log.debug("%s %dx%d, %d bits", kind, pixels.shape[1], pixels.shape[0], bits)
    return Radiograph(
        pixels=pixels,
        path=path,
        bits_stored=bits,
        pixel_size_mm=size,
        pixel_size_source=PNG_PIXEL_SIZE_SOURCE if size is not None else UNKNOWN_PIXEL_SIZE,
        window_center=_number(text.get("window_center")),
        window_width=_number(text.get("window_width")),
        identity=StudyIdentity(
            patient_id=text.get("patient_id") or None,
            study_date=_date(text.get("study_date")),
            laterality=text.get("laterality") if text.get("laterality") in ("L", "R", "B") else None,
            modality=text.get("modality") or None,
            body_part=text.get("body_part") or None,
            study_uid=text.get("study_uid") or None,
        ),
    )


def write_png(path: Path, radiograph: Radiograph) -> None:
    """16-bit grey PNG of `radiograph` at `path` (a temporary file: the caller makes it atomic).

    The patient name is not written: a PNG travels more freely than a DICOM file."""
    stored = to_stored_pixels(radiograph)
    ident = radiograph.identity
    fields: dict[str, object | None] = {
        "bits_stored": stored.bits_stored,
        "window_center": repr(radiograph.window_center),
        "window_width": repr(radiograph.window_width),
        "pixel_size_mm": repr(radiograph.pixel_size_mm) if radiograph.pixel_size_mm is not None else None,
        "patient_id": ident.patient_id,
        "study_date": ident.study_date.isoformat() if ident.study_date else None,
        "laterality": ident.laterality,
        "modality": ident.modality,
        "body_part": ident.body_part,
        "study_uid": ident.study_uid,
    }
    if not stored.is_identity:
        fields["rescale_slope"] = repr(stored.slope)
        fields["rescale_intercept"] = repr(stored.intercept)
    info = PngImagePlugin.PngInfo()
    for key, value in fields.items():
        if value is not None:
            info.add_itxt(_KEY + key, str(value))
    Image.fromarray(stored.values).save(path, format="PNG", pnginfo=info)


def _grey_pixels(path: Path, image: Image.Image) -> tuple[np.ndarray, int]:
    mode = image.mode
    if mode in _MODES_16:
        return np.asarray(image).astype(np.float32), 16
    if mode in ("I", "F"):
        return np.asarray(image).astype(np.float32), 32
    if mode in ("1", "L"):
        return np.asarray(image.convert("L")).astype(np.float32), 8
    if mode == "LA":
        return np.asarray(image.getchannel("L")).astype(np.float32), 8
    rgb = np.asarray(image.convert("RGB"))
    return grey_from_colour(path, rgb, full_scale=255.0), 8


def _rawmode(tile) -> str:
    args = getattr(tile, "args", None) or (tile[3] if len(tile) > 3 else None)
    if isinstance(args, tuple) and args:
        args = args[0]
    return args if isinstance(args, str) else ""


def _number(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and np.isfinite(value) else None


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
