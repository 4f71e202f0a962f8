import gc
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
SHARED_REAL = REPO.parent / "shared" / "data" / "real"


@pytest.fixture(scope="session")
def qapp(qapp):
    """pytest-qt's application, collecting Python's garbage on the GUI thread as the program's does, so that a
    worker never destroys an earlier test's widgets while the GUI thread draws."""
    from jsnviewer.gui.garbage import collect_garbage_on_gui_thread

    collect_garbage_on_gui_thread(qapp)
    return qapp


@pytest.fixture(autouse=True)
def _collect_garbage_between_tests():
    """Automatic collection is off once a GUI test ran (see `qapp`); the tests that run no event loop
    collect here, on the main thread, as Python would have."""
    yield
    if not gc.isenabled():
        from jsnviewer.gui.garbage import collect_due

        collect_due()


@pytest.fixture(scope="session")
def real_data() -> Path:
    """../shared/data/real, or skip when this checkout has no shared/ beside it."""
    if not SHARED_REAL.is_dir():
        pytest.skip("../shared/data/real is not present")
    return SHARED_REAL


# A saved dataset as annotators leave it (see `half_reviewed_dataset`): the reviewed image's boxes of the user's.
USER_BOXES = [((20.0, 30.0, 10.0, 12.0), "MCP2"), ((34.0, 30.0, 10.0, 12.0), None)]


@pytest.fixture
def half_reviewed_dataset(tmp_path):
    """A dataset of three radiographs: one reviewed (two boxes of the user's, one drawn and unnamed, beside a
    named proposal and an unnamed one on the wrist, both waiting for review), one with the analysis's
    proposals only and one with no box at all."""
    import numpy as np
    from PIL import Image

    from jsnviewer.dataset import JointAnnotation, open_dataset

    dataset = open_dataset(tmp_path / "dataset", create=True)
    proposals = [JointAnnotation((20.0, 10.0, 10.0, 10.0), "PIP2", source="model"),
                 JointAnnotation((30.0, 55.0, 14.0, 10.0), None, source="model")]
    joints = {"reviewed": [JointAnnotation(box, name, {"ankylosis": name is None}, "user") for box, name in USER_BOXES]
              + proposals,
              "proposals only": [JointAnnotation((22.0, 31.0, 10.0, 12.0), "MCP2", source="model"), *proposals],
              "no box": []}
    for seed, (name, image_joints) in enumerate(joints.items()):
        path = tmp_path / "incoming" / f"{name}.png"
        path.parent.mkdir(exist_ok=True)
        Image.fromarray((np.arange(64 * 48).reshape(64, 48) * (seed + 1) % 4096).astype(np.uint16)).save(path)
        annotation = dataset.add_image(path, width=48, height=64, laterality="L")
        annotation.joints = image_joints
        dataset.save_annotation(annotation)
    return dataset
