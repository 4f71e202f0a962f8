"""Help ▸ User manual: the manual installed with the program, readable beside the work."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QMessageBox

from jsnviewer.gui.manual import ManualWindow, heading_anchor, page_title
from jsnviewer.gui.resources import docs_dir
from gui_support import make_window, settings_store  # noqa: F401


def test_help_opens_the_window_manual_and_its_links_lead_to_other_pages_and_headings(qtbot, make_window):
    window = make_window()
    window.show()
    action = next(a for a in window.actions() if a.text() == "&User manual")
    action.trigger()
    manual = window.manual_window
    assert manual.isVisible() and not manual.isModal()  # read beside the work
    assert manual.current_page() == "gui.md"
    assert manual.windowTitle().startswith("The review and annotation window")
    assert "Mouse and keys" in manual.browser.toPlainText()
    titles = [manual.pages.item(row).text() for row in range(manual.pages.count())]
    assert titles[:2] == ["The review and annotation window", "Retraining from the application's dataset"]
    assert "Joint detection" in titles and not any("`" in t or "(" in t for t in titles)

    # the link gui.md gives to the retraining dialog's section: that page, scrolled to the heading
    manual.follow(QUrl("retraining.md#from-the-window-analysis--retrain-models-on-the-dataset"))
    assert manual.current_page() == "retraining.md"
    assert manual.pages.currentItem().text() == "Retraining from the application's dataset"
    heading = manual.browser.textCursor().block()
    assert heading.text().startswith("From the window: Analysis ▸ Retrain models")
    assert manual.browser.verticalScrollBar().value() > 0
    assert 0 <= manual.browser.cursorRect().top() < manual.browser.viewport().height() / 3  # near the top
    qtbot.mouseClick(manual.back, Qt.LeftButton)
    assert manual.current_page() == "gui.md"

    # a link to the source tree (not installed) says so instead of showing an empty page
    manual.follow(QUrl("../README.md"))
    assert manual.current_page() == "gui.md" and "not part of the manual" in manual.note.text()

    manual.close()
    action.trigger()  # one manual window, shown again
    assert window.manual_window is manual and manual.isVisible()


def test_the_manual_pictures_fit_its_width_instead_of_scrolling_sideways(qtbot):
    manual = ManualWindow()
    qtbot.addWidget(manual)
    manual.resize(900, 700)
    manual.show()
    qtbot.waitExposed(manual)
    assert manual.current_page() == "gui.md"
    document = manual.browser.document()
    widths = []
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            form = it.fragment().charFormat()
            if form.isImageFormat():
                picture = form.toImageFormat()
                widths.append((picture.width(), document.resource(QTextDocument.ImageResource,
                                                                  QUrl(picture.name())).width()))
            it += 1
        block = block.next()
    assert len(widths) >= 2  # the window's screenshots
    assert all(shown <= manual.browser.viewport().width() and shown < natural for shown, natural in widths)


def test_a_program_without_its_manual_says_so_and_goes_on(qtbot, make_window, monkeypatch, tmp_path):
    shown = []
    monkeypatch.setattr("jsnviewer.gui.manual.docs_dir", lambda: tmp_path / "docs")
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: shown.append(text))
    window = make_window()
    window.show_manual()
    assert window.manual_window is None
    assert len(shown) == 1 and "not installed" in shown[0] and str(tmp_path / "docs") in shown[0]


def test_page_titles_and_heading_anchors_follow_the_pages_as_written(tmp_path):
    page = tmp_path / "pipeline.md"
    page.write_text("# The follow-up analysis (`jsnviewer.pipeline`, `jsnviewer analyze`)\n\ntext\n", encoding="utf-8")
    assert page_title(page) == "The follow-up analysis"
    assert page_title(tmp_path / "gone.md") == "gone"
    assert heading_anchor("From the window: Analysis ▸ Retrain models on the dataset…") == \
        "from-the-window-analysis--retrain-models-on-the-dataset"
    assert (docs_dir() / "gui.md").is_file()
