"""Saving and loading the registration network through the model registry (model name "registration")."""

from __future__ import annotations

from pathlib import Path

from jsnviewer.errors import WeightsError
from jsnviewer.registration.network import RegistrationNet, build
from jsnviewer.weights import Weights, load_weights, resolve_weights, save_weights, unfit

MODEL_NAME = "registration"


def save_model(path: str | Path, model: RegistrationNet, meta: dict) -> Path:
    return save_weights(path, Weights(MODEL_NAME, dict(model.config), model.state_dict(), meta))


def trained_on(override: str | Path | None = None) -> str | None:
    """The joint_crops folder the weights were trained on, as their training recorded it (None when it did not,
    or the weights cannot be read: whoever needs them says so)."""
    try:
        data = load_weights(resolve_weights(MODEL_NAME, override), expected_model=MODEL_NAME).meta.get("data")
    except WeightsError:
        return None
    return data if isinstance(data, str) else None


def load_model(override: str | Path | None = None) -> RegistrationNet:
    """The shipped network (models/registration.pt) or the user's weights file, ready for inference."""
    w = load_weights(resolve_weights(MODEL_NAME, override), expected_model=MODEL_NAME)
    try:
        model = build(w.config, crop_size=int(w.config.get("crop_size", 256)))
        model.load_state_dict(w.state_dict)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise unfit(w, "registration network", exc) from exc
    return model.eval()
