"""Help ▸ About: version, the models in use with their SHA-256, where settings, data and log live."""

from __future__ import annotations

from PySide6.QtGui import QAction

from jsnviewer import __version__
from jsnviewer.dataset import file_sha256
import jsnviewer.gui.about
from jsnviewer.gui.about import NOTICES, about_html
from jsnviewer.gui.settings import AppSettings, log_file, qsettings
from jsnviewer.weights import MODEL_TITLES
from jsnviewer.weights import resolve_weights
from gui_support import make_window, settings_store  # noqa: F401 (fixtures)


def test_help_about_names_version_models_and_where_settings_and_log_live(qtbot, make_window, tmp_path):
    window = make_window()
    assert "About jsnviewer" in [a.text().replace("&", "") for a in window.findChildren(QAction)]
    retrained = tmp_path / "segmenter.pt"
    retrained.write_bytes(b"a retrained segmenter")
    html = about_html(AppSettings(weights={name: "" for name in MODEL_TITLES} | {"segmenter": str(retrained),
                                                                             "registration": str(tmp_path / "gone.pt")}))
    assert f"jsnviewer {__version__}" in html
    assert "not a certified medical device" in html
    assert f"{retrained}<br>SHA-256 {file_sha256(retrained)[:16]}" in html
    assert f"{tmp_path / 'gone.pt'}<br><b>missing</b>" in html
    shipped = resolve_weights("detector_ankylosis")
    if shipped.is_file():
        assert file_sha256(shipped)[:16] in html
    assert qsettings().fileName() in html and str(log_file()) in html


def test_help_about_points_to_the_third_party_licences_beside_the_packaged_program(tmp_path, monkeypatch):
    """Clinic IT is asked for the licences of what it installs (Qt's LGPL among them)."""
    monkeypatch.setattr(jsnviewer.gui.about, "program_folder", lambda: tmp_path)
    assert "those of the installed Python packages" in about_html(AppSettings())  # from source: no notices file
    (tmp_path / NOTICES).write_text("jsnviewer bundles the following third-party software.")
    assert f"third-party licences</td><td>{tmp_path / NOTICES}</td>" in about_html(AppSettings())
