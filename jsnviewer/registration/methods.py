"""The registration methods a user can choose (`--method`, the Settings dialog), without loading torch;
`register.Registrator` runs them. The first is the default."""

METHODS = {
    "refined": "quick first match (network) + fine sub-pixel match (default)",
    "deep": "quick first match (network) only (comparison; values flagged)",
    "poc": "phase-only correlation (comparison; values flagged)",
}
DEFAULT_METHOD = next(iter(METHODS))

# Mean |JSN error| on the 200 benchmark phantom pairs (docs/registration.md, Results): the network alone reports
# 18 % of the true change, phase-only correlation misses whole bones; both are kept to compare against, not to measure.
PHANTOM_MEAN_ERROR_MM = {"refined": 0.0097, "deep": 0.1957, "poc": 0.5642}
# in the reasons, as in Settings (`METHODS`): the network is the "quick first match" (result.py)
_NAMED = {"deep": "the quick first match alone", "poc": "phase-only correlation"}


def comparison_method(method: str) -> str | None:
    """The reason given for every value measured by a method kept for comparison (None for the default): whatever
    else it says of a joint, its JSN is far less accurate than the default's."""
    if method == DEFAULT_METHOD:
        return None
    return (f"measured by {_NAMED[method]}, a method kept for comparison, whose JSN is off by "
            f"{PHANTOM_MEAN_ERROR_MM[method]:.2f} mm on average on synthetic pairs (the default method: "
            f"{PHANTOM_MEAN_ERROR_MM[DEFAULT_METHOD]:.3f} mm): analyse with the default method (File ▸ Settings ▸ "
            "Registration, or --method refined) to measure")
