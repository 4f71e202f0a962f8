"""The Qt review and annotation application (a thin layer over the library; `run_gui` starts it)."""
