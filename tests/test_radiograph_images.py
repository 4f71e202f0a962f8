"""PNG/JPEG/BMP/TIFF loading through Pillow: 16 bits kept, colour-stored grey becomes one channel."""

from __future__ import annotations

from pathlib import Path

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from jsnviewer.errors import RadiographError
from jsnviewer.radiograph import load_radiograph

RNG = np.random.default_rng(11)


def grey16() -> np.ndarray:
    values = RNG.integers(0, 65536, size=(48, 36), dtype=np.uint16)
    values[0, 0], values[-1, -1] = 0, 65535
    return values


@pytest.mark.parametrize("suffix", ["png", "tif"])
def test_16bit_grey_is_kept_16bit(tmp_path, suffix):
    values = grey16()
    path = tmp_path / f"hand.{suffix}"
    Image.fromarray(values).save(path)
    r = load_radiograph(path)
    assert r.pixels.dtype == np.float32 and r.shape == values.shape
    np.testing.assert_array_equal(r.pixels, values)
    assert r.bits_stored == 16
    assert r.pixel_size_mm is None and r.pixel_size_source == "unknown"  # a plain PNG says nothing about mm


@pytest.mark.parametrize("suffix", ["png", "bmp", "tif"])
def test_8bit_grey(tmp_path, suffix):
    values = RNG.integers(0, 256, size=(30, 40), dtype=np.uint8)
    path = tmp_path / f"hand.{suffix}"
    Image.fromarray(values).save(path)
    r = load_radiograph(path)
    np.testing.assert_array_equal(r.pixels, values)
    assert r.bits_stored == 8


def smooth_grey(shape=(64, 80)) -> np.ndarray:
    y, x = np.mgrid[: shape[0], : shape[1]]
    return (40 + 150 * np.exp(-((x - 40) ** 2 + (y - 30) ** 2) / 600.0)).astype(np.uint8)


def test_grey_jpeg_stored_as_rgb_becomes_one_channel(tmp_path):
    grey = smooth_grey()
    path = tmp_path / "crop.jpg"
    Image.fromarray(np.stack([grey] * 3, axis=-1)).save(path, quality=92)
    assert Image.open(path).mode == "RGB"
    r = load_radiograph(path)
    assert r.shape == grey.shape
    assert np.abs(r.pixels - grey).mean() < 2.0  # only JPEG loss, no colour mixing


def test_grey_rgba_png_becomes_one_channel(tmp_path):
    grey = smooth_grey()
    rgba = np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    np.testing.assert_array_equal(load_radiograph(tmp_path / "rgba.png").pixels, grey)


def test_colour_photo_is_refused(tmp_path):
    photo = np.zeros((40, 40, 3), np.uint8)
    photo[:, :20] = (200, 30, 30)
    photo[:, 20:] = (20, 60, 220)
    Image.fromarray(photo).save(tmp_path / "photo.png")
    with pytest.raises(RadiographError, match=r"^photo\.png: colour image.*export it from the PACS in grey"):
        load_radiograph(tmp_path / "photo.png")


def test_a_grey_radiograph_with_a_burned_in_coloured_label_opens_in_grey(tmp_path):
    """A PACS export with a small red label (0.4 % of the picture) was refused as a colour image: the patient's
    radiograph could not be opened at all."""
    grey = smooth_grey((300, 240))
    rgb = np.dstack([grey, grey, grey])
    rgb[10:22, 10:46] = (220, 20, 20)  # a label of 36 × 12 px: 0.6 % of the picture
    Image.fromarray(rgb).save(tmp_path / "labelled.png")
    r = load_radiograph(tmp_path / "labelled.png")
    assert r.shape == (300, 240)
    np.testing.assert_allclose(r.pixels[100:, :], grey[100:, :].astype(np.float32), atol=0.01)


def test_exif_orientation_is_applied_like_other_viewers(tmp_path):
    grey = smooth_grey((20, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    Image.fromarray(grey).save(tmp_path / "phone.jpg", exif=exif, quality=95)
    r = load_radiograph(tmp_path / "phone.jpg")
    assert r.shape == (30, 20)
    assert np.abs(r.pixels - np.rot90(grey, k=-1)).mean() < 2.0


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_16bit_colour_png_is_refused_rather_than_cut_to_8_bits(tmp_path):
    # Pillow can only decode 16-bit RGB PNG to 8 bits; the loader says so instead of squashing silently.
    rgb = (np.arange(6 * 5 * 3).reshape(6, 5, 3) * 1000).astype(">u2")
    rows = b"".join(b"\0" + row.tobytes() for row in rgb)
    (tmp_path / "rgb16.png").write_bytes(
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 5, 6, 16, 2, 0, 0, 0))
        + png_chunk(b"IDAT", zlib.compress(rows)) + png_chunk(b"IEND", b""))
    with pytest.raises(RadiographError, match=r"^rgb16\.png: 16-bit colour"):
        load_radiograph(tmp_path / "rgb16.png")


def write_png(path: Path) -> bytes:
    Image.fromarray(grey16()).save(path)
    return path.read_bytes()


@pytest.mark.parametrize(
    ("name", "make", "words"),
    [
        ("truncated.png", lambda p: p.write_bytes(write_png(p)[:-1500]), "truncated"),
        ("garbage.png", lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4), "corrupt PNG"),
        ("notes.jpg", lambda p: p.write_text("meeting notes, not a radiograph\n" * 20), "not a DICOM file or an image"),
        ("empty.png", lambda p: p.write_bytes(b""), "empty"),
    ],
)
def test_bad_image_files(tmp_path, name, make, words):
    path = tmp_path / name
    make(path)
    with pytest.raises(RadiographError) as caught:
        load_radiograph(path)
    assert str(caught.value).startswith(f"{name}: ") and words.lower() in str(caught.value).lower(), str(caught.value)


def test_multi_page_tiff_is_refused(tmp_path):
    pages = [Image.fromarray(grey16()) for _ in range(3)]
    pages[0].save(tmp_path / "stack.tif", save_all=True, append_images=pages[1:])
    with pytest.raises(RadiographError, match=r"^stack\.tif: .*3 frames"):
        load_radiograph(tmp_path / "stack.tif")


@pytest.mark.real_data
def test_real_hand_jpeg_becomes_one_grey_channel(real_data):
    path = real_data / "hands_ra2" / "UAB001-LH.jpg"
    rgb = np.asarray(Image.open(path))
    assert rgb.ndim == 3  # the file stores grey as RGB
    r = load_radiograph(path)
    assert r.shape == rgb.shape[:2]
    np.testing.assert_array_equal(r.pixels, rgb[..., 0])
    assert r.pixel_size_mm is None  # JPEG dpi is not a pixel size


@pytest.mark.real_data
def test_real_joint_crop_becomes_one_grey_channel(real_data):
    path = sorted((real_data / "joint_crops").glob("*/*.jpg"))[0]
    r = load_radiograph(path)
    assert r.shape == (256, 256)
    assert 0 <= r.pixels.min() < r.pixels.max() <= 255


@pytest.mark.parametrize("stated", ["-3", "99999", "12.5"])
def test_a_damaged_bits_stored_chunk_keeps_the_files_own_depth(tmp_path, stated):
    """`jsnviewer info` showed "bits stored: -3" (or 99999) from a damaged jsnviewer.bits_stored text chunk."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("jsnviewer.bits_stored", stated)
    Image.fromarray(grey16()).save(tmp_path / "hand.png", pnginfo=info)
    assert load_radiograph(tmp_path / "hand.png").bits_stored == 16
