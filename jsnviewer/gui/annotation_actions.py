"""The main window's box editing: drawing and adding boxes, selecting them (a click, the Joints list, N / Shift+N,
going to a joint), deleting, nudging, findings, accepting proposals, naming the joints as the other hand, and what
an edit updates (autosave, the Study panel's hand, the title). `MainWindow` inherits these methods."""

from __future__ import annotations

from PySide6.QtCore import QRectF

from jsnviewer.dataset import JointAnnotation
from jsnviewer.gui.annotation import AnnotationDocument, new_box_place, typical_box_size
from jsnviewer.gui.box_layer import MIN_BOX_SIZE, box_from_rect
from jsnviewer.gui.study_loading import ROLES
from jsnviewer.joints import SIDES, other_side
from jsnviewer.words import counted


class AnnotationActions:
    """The editing side of `MainWindow` (its state, `documents`, `layers`, `joints_panel` and the rest, is the
    window's)."""

    def selected(self) -> tuple[AnnotationDocument, int] | None:
        document, layer = self.documents[self.active_role], self.layers[self.active_role]
        if document is None or layer is None or layer.selected is None:
            return None
        return document, layer.selected

    def _box_drawn(self, role: str, rect: QRectF) -> None:
        self.set_active_role(role)
        document, pane = self.documents[role], self.panes[role]
        if document is None:
            return
        rect = rect.intersected(pane.image_rect())
        if rect.width() < MIN_BOX_SIZE or rect.height() < MIN_BOX_SIZE:
            return
        self.add_box(role, box_from_rect(rect))

    def add_box(self, role: str, box: tuple[float, float, float, float], identity: str | None = None) -> int:
        document = self.documents[role]
        document.add(JointAnnotation(box=box, identity=identity, source="user"), select=True)  # selected by its layer
        return document.uids()[-1]

    def add_box_here(self) -> int | None:
        """Edit ▸ Add box (Ins): a box on the active image at the centre of its view (within the radiograph), sized
        like the image's other boxes, selected so that I, K, U and the arrows act on it at once; one undo step. Where
        it would stack on a box already there (Ins again), it is set aside by half a box (`new_box_place`)."""
        role = self.active_role
        document, pane = self.documents[role], self.panes[role]
        if document is None or self.layers[role] is None:
            self.statusBar().showMessage(f"No {role.lower()} open: open a radiograph first", 5000)
            return None
        w, h = typical_box_size((j.box for j in document.joints()), document.width, document.height,
                                document.pixel_size_mm)
        view = pane.view_box.viewRect()
        cx, cy = new_box_place((view.center().x(), view.center().y()), (w, h),
                               (view.left(), view.top(), view.right(), view.bottom()), document.width, document.height,
                               (j.box for j in document.joints()))
        return self.add_box(role, (float(cx), float(cy), float(w), float(h)))

    def _box_selected(self, role: str, uid: int | None) -> None:
        if uid is not None and role != self.active_role:
            self.set_active_role(role)
        if role == self.active_role:
            self.joints_panel.select(uid)
        identity = self.documents[role].joint(uid).identity if uid is not None and self.documents[role] else None
        if identity is not None:
            self.show_measured(identity)  # a measured joint's box (N, a click) shows its measurement
        if uid is not None:
            self._at[role] = uid  # this box, not another of its name

    def went_to_joint(self, identity: str) -> None:
        """The reader went to the joint `identity` without choosing its box (a Results row, a JSN tag): on each image
        N and Shift+N go on from its box, and a box of another joint chosen before is let go, so that Del, the arrows,
        I, K and U act on no box out of sight (nor on the one only looked at)."""
        for role in ROLES:
            document, layer = self.documents[role], self.layers[role]
            if document is None or layer is None:
                continue
            if layer.selected is not None and document.joint(layer.selected).identity != identity:
                layer.select(None)
            if layer.selected is None:
                self._at[role] = next((u for u in document.uids() if document.joint(u).identity == identity),
                                      self._at[role])

    def _table_selected(self, uid: int | None) -> None:
        layer = self.layers[self.active_role]
        if layer is None:
            return
        layer.select(uid)
        if uid is not None:
            self.centre_on(self.active_role, uid)

    def delete_selected(self) -> None:
        """Delete the selected box; the next box in the Joints list's order is selected (the previous one where it was
        the last), so that N, K, U and Del go on from where the user was."""
        chosen = self.selected()
        if chosen:
            document, uid = chosen
            order = self.joints_panel.row_uids()
            if uid not in order:
                order = document.uids()
            index = order.index(uid) if uid in order else -1
            rest = [u for u in order if u != uid]
            after = (rest[index] if index < len(rest) else rest[-1]) if rest and index >= 0 else None
            document.remove(uid)
            if after is not None and after in document.uids() and self.layers[self.active_role] is not None:
                self.layers[self.active_role].select(after)

    def nudge(self, dx: float, dy: float) -> None:
        chosen = self.selected()
        if chosen:
            document, uid = chosen
            cx, cy, w, h = document.joint(uid).box
            document.set_box(uid, (cx + dx, cy + dy, w, h), "Nudge box", merge_key="nudge")

    def toggle_finding(self, finding: str) -> None:
        chosen = self.selected()
        if chosen:
            document, uid = chosen
            document.set_finding(uid, finding, not document.joint(uid).findings.get(finding, False))

    def accept_selected(self) -> None:
        chosen = self.selected()
        if chosen:
            document, uid = chosen
            if document.accept_proposals([uid]) and document.joint(uid).identity is None:
                self.statusBar().showMessage("Accepted a box without a joint name: it goes into the training data as an "
                                             "unnamed joint. Name it (I), or undo (Ctrl+Z).", 10000)

    def accept_all(self) -> None:
        """Accept the named proposals: a box the program could not name (often in the wrist) would go
        into the training data as a finger joint; the user names (I) or deletes it, or accepts it alone."""
        document = self.documents[self.active_role]
        if document is not None:
            count = document.accept_proposals([uid for uid in document.uids() if document.joint(uid).identity])
            unnamed = sum(j.source == "model" for j in document.joints())
            self.statusBar().showMessage(f"Accepted {counted(count, 'proposal')}" + (
                f"; {unnamed} without a joint name left as proposals: name them (I) or delete them" if unnamed else ""), 8000)

    def name_as_other_hand(self, role: str | None = None) -> None:
        """Name the joints of `role` (the active image) as the other hand's than they are named now, from where
        they lie: for a radiograph whose hand the program could only guess, or whose file names the wrong hand.
        One undo step; the analysis then takes the image as that hand (`analysed_radiograph`)."""
        role = role or self.active_role
        document = self.documents[role]
        if document is None or not len(document):
            self.statusBar().showMessage("No boxes to name: find the joints first (Ctrl+R)", 6000)
            return
        if document.shows_both_hands:
            self.statusBar().showMessage("This radiograph is taken to show both hands, its joints named with their "
                                         "hand: untick Both hands first", 8000)
            return
        side = document.named_hand
        if side is None:
            self.statusBar().showMessage("Too few joints are named to tell which hand they are named as: name them "
                                         "one by one (I)", 8000)
            return
        other = other_side(side)
        self.set_active_role(role)  # so that Ctrl+Z undoes it
        # two boxes where one joint of that hand lies: one keeps the name, the other is left for the reader to name
        renamed, unnamed = document.renaming(lambda: document.name_as_hand(other))
        lost = (f", {counted(unnamed, 'box')} left without a name (another box lies where that joint is: check it)"
                if unnamed else "")
        self.warnings.dismiss(f"result-side-{role}")
        self.statusBar().showMessage(f"The {role.lower()}'s joints named as a {SIDES[other]} hand's: {counted(renamed, 'box')} "
                                     f"renamed{lost} (Ctrl+Z undoes). The analysis now takes it as a {SIDES[other]} hand.",
                                     10000)

    def _walk_order(self) -> list[int]:
        """The boxes in the order N and P walk them: the table's rows as they were when the walk began. A box renamed
        on the way (I), which the table sorts to its new name's row, keeps its place, so that N goes on to the box
        after it instead of from its new row (skipping boxes); boxes added or deleted, another image or a click on a
        column's header begin a new walk."""
        rows = self.joints_panel.row_uids()
        if self._walk is None or set(self._walk) != set(rows):
            self._walk = rows
        return self._walk

    def select_next(self, step: int) -> None:
        layer = self.layers[self.active_role]
        uids = self._walk_order()
        if layer is None or not uids:
            return
        at = self._at[self.active_role]  # the joint the reader last went to, whichever way (`went_to_joint`)
        index = uids.index(at) + step if at in uids else (0 if step > 0 else -1)
        uid = uids[index % len(uids)]
        layer.select(uid)
        self.centre_on(self.active_role, uid)

    def _focus_identity(self) -> None:
        if self.selected():
            self.joints_dock.show()
            self.joints_dock.raise_()  # its list opens beside the panel, not at the screen's corner
            # without taking the focus: once the list closes, the arrows nudge the box again (a focused
            # drop-down would turn them into the next joint name)
            self.joints_panel.identity.showPopup()

    def _show_hand(self, document: AnnotationDocument) -> None:
        """The Study panel says the hand the reader named the radiograph as (or the file's again, after an undo)."""
        for role in ROLES:
            if self.documents[role] is document:
                self.study_panel.set_radiograph(role, self.panes[role].radiograph, document.hand_shown,
                                                document.hand_chosen)

    def _document_changed(self, document: AnnotationDocument) -> None:
        self.saver.schedule(document)
        self._show_hand(document)  # both hands, once its joints are named with their hand
        self._show_repeated_identities()
        self._update_title()
        self._update_save_state()
        self._check_result_up_to_date()
