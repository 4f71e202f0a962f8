"""Help ▸ About: version, the models in use with their SHA-256, where settings, data and log live."""

from __future__ import annotations

from PySide6.QtGui import QAction

from jsnviewer import __version__
from jsnviewer.dataset import file_sha256
from jsnviewer.gui.about import about_html
from jsnviewer.gui.settings import WEIGHTS, AppSettings, log_file, qsettings
from jsnviewer.weights import resolve_weights
from gui_support import make_window, settings_store  # noqa: F401 (fixtures)


def test_help_about_names_version_models_and_where_settings_and_log_live(qtbot, make_window, tmp_path):
    window = make_window()
    assert "About jsnviewer" in [a.text().replace("&", "") for a in window.findChildren(QAction)]
    retrained = tmp_path / "segmenter.pt"
    retrained.write_bytes(b"a retrained segmenter")
    html = about_html(AppSettings(weights={name: "" for name in WEIGHTS} | {"segmenter": str(retrained),
                                                                             "registration": str(tmp_path / "gone.pt")}))
    assert f"jsnviewer {__version__}" in html
    assert "not a certified medical device" in html
    assert f"{retrained}<br>SHA-256 {file_sha256(retrained)[:16]}" in html
    assert f"{tmp_path / 'gone.pt'}<br><b>missing</b>" in html
    shipped = resolve_weights("detector_ankylosis")
    if shipped.is_file():
        assert file_sha256(shipped)[:16] in html
    assert qsettings().fileName() in html and str(log_file()) in html
