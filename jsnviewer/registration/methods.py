"""The registration methods a user can choose (`--method`, the Settings dialog), without loading torch;
`register.Registrator` runs them. The first is the default."""

METHODS = {
    "refined": "network + sub-pixel refinement (default)",
    "deep": "network only",
    "poc": "phase-only correlation (no network)",
}
DEFAULT_METHOD = next(iter(METHODS))
