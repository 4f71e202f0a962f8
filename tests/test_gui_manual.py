"""Help ▸ User manual: the manual installed with the program, readable beside the work."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QFontMetrics, QKeySequence, QTextDocument
from PySide6.QtWidgets import QMessageBox

from jsnviewer.gui.fitting import SCREEN_MARGIN
from jsnviewer.gui.manual import FIRST_PAGE, TECHNICAL_HEADING, USER_HEADING, ManualWindow, heading_anchor, page_title
from jsnviewer.gui.resources import docs_dir
from gui_support import make_window, settings_store  # noqa: F401


def test_help_opens_the_window_manual_and_its_links_lead_to_other_pages_and_headings(qtbot, make_window):
    window = make_window()
    window.show()
    action = next(a for a in window.actions() if a.text() == "&User manual")
    action.trigger()
    manual = window.manual_window
    assert manual.isVisible() and not manual.isModal()  # read beside the work
    assert manual.current_page() == FIRST_PAGE == "manual/getting-started.md"
    assert manual.windowTitle().startswith("Getting started")
    titles = [manual.pages.item(row).text() for row in range(manual.pages.count())
              if manual.pages.item(row).data(Qt.UserRole)]
    assert "Joint detection" in titles and not any("`" in t or "(" in t for t in titles)

    manual.open_page("gui.md")
    assert manual.current_page() == "gui.md"
    assert manual.windowTitle().startswith("The review and annotation window")
    assert "Mouse and keys" in manual.browser.toPlainText()

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


def pictures_of(document) -> list:
    """(the picture's format as laid out, the picture loaded) of each picture of a shown page."""
    pictures = []
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            form = it.fragment().charFormat()
            if form.isImageFormat():
                picture = form.toImageFormat()
                pictures.append((picture, document.resource(QTextDocument.ImageResource, QUrl(picture.name()))))
            it += 1
        block = block.next()
    return pictures


def test_the_manual_pictures_fit_its_width_instead_of_scrolling_sideways(qtbot):
    manual = ManualWindow()
    qtbot.addWidget(manual)
    manual.resize(900, 700)
    manual.show()
    qtbot.waitExposed(manual)
    manual.open_page("gui.md")
    widths = [(picture.width(), shown.width()) for picture, shown in pictures_of(manual.browser.document())]
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


# ---------------------------------------------------------------------------------------------- the user manual

MANUAL = docs_dir() / "manual"
COMMANDS = {"gui", "info", "phantom", "analyze", "batch", "self-test", "train", "bench"}  # `jsnviewer --help`
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _user_pages() -> list[Path]:
    return sorted(MANUAL.glob("*.md"))


def _anchors(page: Path) -> set[str]:
    """The anchors of a page's headings, as the manual window finds them."""
    return {heading_anchor(line.lstrip("#").strip()) for line in page.read_text(encoding="utf-8").splitlines()
            if line.startswith("#")}


def test_the_manual_opens_on_the_user_manual_and_lists_its_pages_before_the_technical_ones(qtbot):
    manual = ManualWindow()
    qtbot.addWidget(manual)
    manual.show()
    qtbot.waitExposed(manual)
    assert manual.current_page() == "manual/getting-started.md"
    assert manual.windowTitle().startswith("Getting started")
    assert "Open a patient's baseline and follow-up" in manual.browser.toPlainText()

    names = manual.page_names()
    user = [n for n in names if n.startswith("manual/")]
    assert len(user) == len(_user_pages()) >= 7
    assert names[:len(user)] == user  # the user manual first, the technical pages after it
    assert names[:3] == ["manual/getting-started.md", "manual/reading-results.md", "manual/correcting-and-saving.md"]
    assert names[len(user)] == "gui.md" and "registration.md" in names[len(user):]

    # the two groups under headings of their own, which open no page and cannot be chosen
    texts = [manual.pages.item(row).text() for row in range(manual.pages.count())]
    assert texts[0] == USER_HEADING
    technical = texts.index(TECHNICAL_HEADING)
    assert technical == len(user) + 1
    heading = manual.pages.item(technical)
    assert heading.data(Qt.UserRole) is None and not heading.flags() & Qt.ItemIsSelectable and heading.font().bold()
    qtbot.mouseClick(manual.pages.viewport(), Qt.LeftButton, pos=manual.pages.visualItemRect(heading).center())
    assert manual.current_page() == "manual/getting-started.md"
    page = manual.pages.item(technical + 1)
    qtbot.mouseClick(manual.pages.viewport(), Qt.LeftButton, pos=manual.pages.visualItemRect(page).center())
    assert manual.current_page() == "gui.md" and manual.pages.currentItem() is page


@pytest.mark.parametrize("screen", [None, QSize(1024, 768)], ids=["default size", "1024x768 screen"])
def test_every_page_title_shows_whole_in_the_list(qtbot, screen):
    """"Retraining from the application's da": the list was 220 px wide whatever its titles, and scrolled sideways."""
    manual = ManualWindow()
    qtbot.addWidget(manual)
    size = QSize(1100, 900) if screen is None else QSize(1100, 900).boundedTo(screen - SCREEN_MARGIN)
    manual.resize(size)  # as Help ▸ User manual sizes it (`fit_to_screen`) on such a screen
    manual.show()
    qtbot.waitExposed(manual)
    qtbot.wait(20)
    assert manual.width() <= size.width()
    pages = manual.pages
    assert not pages.horizontalScrollBar().isVisible()
    room = pages.viewport().width()
    for row in range(pages.count()):
        item = pages.item(row)
        font = item.font() if item.font().bold() else pages.font()
        needed = QFontMetrics(font).horizontalAdvance(item.text())
        shown = pages.visualItemRect(item)
        assert needed <= shown.width() and shown.right() < room, item.text()
    assert manual.browser.width() >= 500  # the page itself keeps most of the room


def test_no_user_page_mentions_the_program_code():
    """The user manual is for radiologists, annotators and IT staff: no source files, modules or Python names."""
    package = docs_dir().parent / "jsnviewer"
    modules = {p.name for p in package.iterdir() if p.is_dir() and not p.name.startswith("_")}
    modules |= {p.stem for p in package.rglob("*.py")}
    names = set()  # every function and class name of the program
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
    assert _user_pages()
    for page in _user_pages():
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"\.py\b", text), page.name
        assert not re.search(rf"jsnviewer[/.\\]({'|'.join(sorted(modules))})\b", text), page.name
        assert "docs/" not in text and "tests/" not in text and "(it was" not in text, page.name
        for code in re.findall(r"`([^`\n]+)`", text):
            assert not re.fullmatch(r"[\w.]+\(.*\)", code), (page.name, code)  # a call
            # `load_radiograph`, `MainWindow`; the command line's own words are the user's
            assert code not in names or code in COMMANDS, (page.name, code)


def test_every_link_of_the_user_manual_leads_to_a_page_a_heading_or_a_picture(qtbot):
    manual = ManualWindow()
    qtbot.addWidget(manual)
    links = 0
    for page in _user_pages():
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            assert not target.startswith(("http:", "https:")), (page.name, target)  # the program works offline
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            assert file.is_file(), (page.name, target)
            assert file.is_relative_to(docs_dir().resolve()), (page.name, target)  # installed with the manual
            if anchor:
                assert anchor in _anchors(file), (page.name, target)
            if file.suffix == ".md":  # followed in the window: that page, scrolled to the heading
                manual.open_page(f"manual/{page.name}")
                manual.follow(QUrl(target))
                assert manual.note.text() == "", (page.name, target)
                assert manual.current_page() == file.relative_to(docs_dir().resolve()).as_posix()
                if anchor:
                    assert heading_anchor(manual.browser.textCursor().block().text()) == anchor
            links += 1
    assert links >= 10


def test_the_user_manual_pictures_are_the_docs_screenshots_and_show(qtbot):
    manual = ManualWindow()
    qtbot.addWidget(manual)
    for page in ("manual/getting-started.md", "manual/reading-results.md"):
        manual.open_page(page)
        pictures = [shown for _, shown in pictures_of(manual.browser.document())]
        assert pictures and all(p is not None and p.width() > 0 for p in pictures), page


def _keyboard_rows() -> list[tuple[list[str], str, str]]:
    """(keys, action, menu) of each row of the keyboard page's tables of keys."""
    rows, columns = [], None
    for line in (MANUAL / "keyboard-shortcuts.md").read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            columns = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if columns is None:
            columns = cells
        elif columns[0] == "Keys" and not set(cells[0]) <= {"-", " "}:
            rows.append((re.findall(r"\*\*([^*]+)\*\*", cells[0]), cells[1], cells[2]))
    return rows


def _menu_paths(menu, path: str, found: dict) -> None:
    for action in menu.actions():
        if action.menu() is not None:
            _menu_paths(action.menu(), f"{path} ▸ {action.menu().title().replace('&', '')}", found)
        elif not action.isSeparator():
            found.setdefault(action, path)


def test_the_keyboard_page_gives_each_action_its_real_shortcut_and_menu(make_window):
    window = make_window()
    actions = {a.text().replace("&", "").rstrip("…"): a for a in window.actions()}
    menus: dict = {}
    for top in window.menuBar().actions():
        _menu_paths(top.menu(), top.menu().title().replace("&", ""), menus)
    rows = _keyboard_rows()
    assert len(rows) >= 40
    for keys, name, menu in rows:
        assert name in actions, name
        action = actions[name]
        real = [k.toString(QKeySequence.PortableText) for k in action.shortcuts()]
        assert keys and all(key in real for key in keys), (name, keys, real)
        assert menus.get(action, "") == menu, (name, menu, menus.get(action))
    written = {name for _, name, _ in rows}
    missing = [name for name, a in actions.items() if not a.shortcut().isEmpty() and name not in written
               and a is not window.actions_by_name["quit"]]  # Quit's key is the desktop's own
    assert not missing


KEY = re.compile(r"((Ctrl|Shift)\+)*(Ctrl|Shift|[A-Z0-9]|F\d+|Esc|Ins|Del|Backspace|Enter|PgUp|PgDown|Left|Right|Up|Down|Tab)"
                 r"|((Ctrl|Shift)\+)+[,+=-]")


def test_the_manual_writes_every_key_in_its_text_font_so_the_letter_o_is_no_zero(qtbot):
    """In a code font of some Linux desktops Ctrl+O reads as Ctrl+0: the keys are written in the page's own
    font (bold), and the zero key says it is one."""
    manual = ManualWindow()
    qtbot.addWidget(manual)
    for page in [f"manual/{p.name}" for p in _user_pages()] + ["gui.md"]:
        manual.open_page(page)
        block = manual.browser.document().begin()
        while block.isValid():
            for piece in block.begin():  # noqa: B020
                fragment = piece.fragment()
                if fragment.isValid() and fragment.charFormat().fontFixedPitch():
                    assert not KEY.fullmatch(fragment.text().strip()), (page, fragment.text())
            block = block.next()
    manual.open_page("manual/keyboard-shortcuts.md")
    text = manual.browser.toPlainText()
    assert "Ctrl+O" in text and "Ctrl+0 (zero)" in text


MENU_PATH = re.compile(r"\b(File|Edit|View|Analysis|Help) ▸ ")


def _menu_items(window) -> dict[str, bool]:
    """Every menu and menu item of the window by the names it shows ("View ▸ Panels ▸ Toolbar"): whether it is a menu."""
    items: dict[str, bool] = {}

    def walk(menu, path: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                items[f"{path} ▸ {action.menu().title().replace('&', '')}"] = True
                walk(action.menu(), f"{path} ▸ {action.menu().title().replace('&', '')}")
            elif not action.isSeparator():
                items[f"{path} ▸ {action.text().replace('&', '')}"] = False

    for top in window.menuBar().actions():
        walk(top.menu(), top.menu().title().replace("&", ""))
    return items


def test_every_menu_path_the_user_manual_names_is_in_the_window_menus(make_window):
    """"Help ▸ About shows this user's paths": the item is About jsnviewer. A path is the menu's words as shown, its
    "…" optional; a menu is followed by one of its items or by the sentence, an item by the sentence (File ▸ Settings ▸
    Registration: a row of the dialog)."""
    items = _menu_items(make_window())
    assert items["View ▸ Panels ▸ Toolbar"] is False and items["View ▸ Panels"] is True
    assert "Help ▸ About jsnviewer" in items
    named = 0
    for page in _user_pages():
        text = re.sub(r"\s+", " ", page.read_text(encoding="utf-8"))  # a path broken over two lines
        for found in MENU_PATH.finditer(text):
            rest = text[found.start():]
            ends = {True: r"(?!\w)(?! ▸ )", False: r"(…|(?!\w))"}  # a menu: not followed by an item not in it
            assert any(re.match(re.escape(item.rstrip("…")) + ends[menu], rest) for item, menu in items.items()), \
                (page.name, rest[:60])
            named += 1
    assert named >= 30


def test_every_key_the_shortcuts_list_gives_is_written_on_the_keyboard_page(make_window):
    """Help ▸ Keyboard shortcuts and the page list the same keys: a second key the program gives an action (its own,
    or the desktop's, as Windows' Alt+Shift+Backspace for Redo) is on the page too, in bold as the page writes keys."""
    page = (MANUAL / "keyboard-shortcuts.md").read_text(encoding="utf-8")
    written = set(re.findall(r"\*\*([^*]+)\*\*", page))
    mouse = {"Wheel", "Middle-drag", "Right-drag"}  # the list's last rows, the mouse's (the page's Mouse table)
    keys = {key.removesuffix(" (zero)") for listed, _ in make_window().shortcut_rows() if listed not in mouse
            for key in listed.split(" or ")}
    assert len(keys) >= 50 and "Ctrl+Y" in keys and "Backspace" in keys
    assert not sorted(keys - written)
