import gc
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
SHARED_REAL = REPO.parent / "shared" / "data" / "real"


def pytest_configure(config):
    """Qt's known harmless messages kept out of the tests' output as out of the program's console: installed
    before any test, so that what a test prints goes through it."""
    from jsnviewer.gui.app import quiet_harmless_qt_messages

    quiet_harmless_qt_messages()


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


@pytest.fixture(scope="session")
def save_demo_copy(tmp_path_factory):
    """Saves the demo study's baseline into a dataset with its true boxes as the user's, as versions before the demo
    became a sandbox did on its first edit; returns the function, which returns the saved annotation."""
    from jsnviewer.dataset import JointAnnotation
    from jsnviewer.phantom import demo_study, write_study

    folder = tmp_path_factory.mktemp("demo") / "phantom-7-findings0.35"  # as the window writes it (gui.demo)
    study = demo_study()
    write_study(folder, study)
    truth = study.truth

    def save(dataset, crops: bool = False):
        """With `crops`, also six of its joints' crops on both visits, filed as an analysed demo's confirmed joints were
        (`pipeline.training_crops.save_joint_crops`: the demo's patient ID and hand, the radiographs' image ids)."""
        copy = dataset.add_image(folder / "baseline.dcm", *truth.image_size, truth.laterality, truth.pixel_size_mm)
        copy.joints = [JointAnnotation(j.box, j.identity, dict(j.findings), "user") for j in truth.baseline.joints]
        dataset.save_annotation(copy)
        if crops:
            from jsnviewer.dataset import image_id_of
            from jsnviewer.phantom import make_joint_pair
            from jsnviewer.pipeline.training_crops import joint_key

            followup = image_id_of(folder / "followup.dcm")
            for seed, joint in enumerate(truth.baseline.joints[:6]):
                key, pair = joint_key(study.baseline.identity.patient_id, truth.laterality, joint.identity), make_joint_pair(seed)
                dataset.save_joint_crop(key, copy.image_id, pair.fixed, pair.fixed_upper > 0, pair.fixed_lower > 0)
                dataset.save_joint_crop(key, followup, pair.moving, pair.moving_upper > 0, pair.moving_lower > 0)
        return copy

    return save


@pytest.fixture
def one_thread():
    """Torch on one thread, as the trainers and the Retrain dialog's comparison run on a 2-core computer
    (jsnviewer.device.training_threads: half the cores)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
