"""Annotating in the main window: who is signed in, the editor's gestures, the Annotation dock.

:class:`AnnotationController` owns the annotator's :class:`Corrections`, the
:class:`BoundaryEditor` on the paper and the :class:`AnnotationPanel` dock. Every correction
ends in :meth:`AnnotationController.apply_command`; :attr:`edited` tells the window that the
measurements are stale. It reports through signals, as :class:`RecordSession` does.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from workstation.core.annotation import LeadStatus
from workstation.core.commands import (ChangeWaveType, Command, DeleteWave, MarkLeadUnreadable,
                                       SetGlobalBoundary)
from workstation.core.delineation import WaveKind
from workstation.core.selection import Selection
from workstation.store import Role
from workstation.store.location import parse_location
from workstation.ui import passphrase_dialog
from workstation.ui.annotation_panel import AnnotationPanel
from workstation.ui.annotator_dialogs import HistoryDialog, ProfileDialog
from workstation.ui.corrections import SETTINGS_USER, Corrections, settings_store_path
from workstation.ui.dialogs import APP_TITLE, ask_choice
from workstation.ui.editing import BoundaryEditor
from workstation.ui.paper import PaperView
from workstation.ui.preferences import Preferences

#: Environment variable naming the annotation store file (overrides the preferences).
STORE_ENV = "ECGWS_STORE"
#: The right-click menu over a wave; its last six entries are shown over a lead alone.
WAVE_MENU = ("edit.delete", "edit.type_p", "edit.type_qrs", "edit.type_t", "edit.global", None,
             "annotate.accept_lead", "annotate.unreadable", None, "edit.add_p", "edit.add_qrs",
             "edit.add_t")


def initial_store_and_user(settings: QtCore.QSettings, store_path: Path | None,
                           user: str | None) -> tuple[Path, str | None]:
    """The store file and annotator a window starts with.

    The arguments when given; else ``$ECGWS_STORE`` or the preferences' store, and the
    annotator signed in last.
    """
    if store_path is None:
        env = os.environ.get(STORE_ENV)
        store_path = parse_location(env) if env else settings_store_path(settings)
    if user is None:
        user = str(settings.value(SETTINGS_USER, "") or "") or None
    return store_path, user


class AnnotationController(QtCore.QObject):
    """The annotator's corrections of the open record, and the profile they are signed with.

    Parameters
    ----------
    paper
        The paper the boundaries are edited on.
    actions
        The window's actions by key: the right-click menu and the Undo/Redo texts use them.
    settings
        Where the last annotator signed in is remembered.
    store_path, user
        The annotation store file and the annotator to sign in as (None: nobody).
    parent
        The window: dialogs and menus open over it.

    Signals
    -------
    edited()
        A correction was committed, undone or redone: the measurements are stale.
    modified(bool)
        Whether edits are held only in memory, or a note is being typed.
    sample_requested(Path)
        The welcome screen asked to open the sample ECG.
    message(str, int), problem(str, str)
        Status text and its duration (ms); a message and a title the user must read.
    """

    edited = QtCore.Signal()
    modified = QtCore.Signal(bool)
    sample_requested = QtCore.Signal(Path)
    message = QtCore.Signal(str, int)
    problem = QtCore.Signal(str, str)

    def __init__(self, paper: PaperView, actions: Mapping[str, QtGui.QAction],
                 settings: QtCore.QSettings, store_path: Path, user: str | None,
                 parent: QtWidgets.QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self.actions, self.settings = actions, settings
        self.first_run_dialog: QtWidgets.QDialog | None = None
        self.context_menu: QtWidgets.QMenu | None = None
        passphrase_dialog.install()  # before the first secret is needed (signing in, below)
        self.corrections = Corrections(store_path, user, parent)
        self.corrections.problem.connect(self._on_problem)
        self.editor = BoundaryEditor(paper, self.apply_command)
        self.editor.message.connect(lambda text: self.message.emit(text, 8000))
        self.editor.selection_changed.connect(self._on_selection)
        self.editor.context_requested.connect(self._wave_menu)
        self.editor.refused.connect(self.corrections.explain_read_only)
        self.paper = paper
        self.commands = self._command_table()
        self.panel = AnnotationPanel(parent)
        self.panel.command.connect(self.apply_command)
        self.panel.request.connect(lambda name: self.commands[name]())
        self.panel.note_pending.connect(lambda _pending: self.show_saved_state())
        # the annotator restored from the last run is signed in already: the dock says so now
        self.show_corrections()

    def _command_table(self) -> dict[str, Callable[[], object]]:
        """The named commands of the Edit and Annotate menus and of the dock's buttons."""
        kinds = {"p": WaveKind.P, "qrs": WaveKind.QRS, "t": WaveKind.T}
        return {
            "undo": self.undo, "redo": self.redo, "delete_wave": self.delete_wave,
            **{f"add_{key}": partial(self.editor.arm, kind) for key, kind in kinds.items()},
            **{f"type_{key}": partial(self.change_type, kind) for key, kind in kinds.items()},
            "global_boundary": self.global_boundary,
            "accept_lead": lambda: self.accept_proposal(self.editor.current_lead),
            "accept_record": lambda: self.accept_proposal(None),
            "toggle_unreadable": self.toggle_unreadable,
            "submit": self.submit, "reopen": self.corrections.reopen,
            "history": self.show_history, "switch_user": self.switch_user_dialog,
        }

    # -- corrections ----------------------------------------------------------------------
    def apply_command(self, command: Command, merge: bool = False) -> bool:
        """Commit one correction (every gesture ends here); False when refused or not saved."""
        done = self.corrections.execute(command, merge)
        if done:
            self.edited.emit()  # measurements follow the corrected boundaries
        return done

    def undo(self) -> None:
        """Undo the last correction."""
        if self.corrections.undo():
            self.edited.emit()

    def redo(self) -> None:
        """Redo the last correction undone."""
        if self.corrections.redo():
            self.edited.emit()

    def delete_wave(self) -> None:
        """Delete the selected wave."""
        sel, state = self.editor.selection, self.corrections.state
        if sel is None or state is None:
            self.message.emit("Select a wave first (click one of its boundaries)", 5000)
            return
        if self.apply_command(DeleteWave.of(state, sel.wave_id)):
            self.editor.select(None)

    def change_type(self, kind: WaveKind) -> None:
        """Make the selected wave a wave of ``kind``."""
        sel, state = self.editor.selection, self.corrections.state
        if sel is None or state is None:
            self.message.emit("Select a wave first (click one of its boundaries)", 5000)
            return
        self.apply_command(ChangeWaveType.of(state, sel.wave_id, kind))

    def global_boundary(self) -> None:
        """Put the selected boundary of this beat at the same instant on every lead."""
        sel, state = self.editor.selection, self.corrections.state
        if sel is None or state is None:
            self.message.emit("Select a boundary first", 5000)
            return
        command = SetGlobalBoundary.of_beat(state, sel.wave_id, sel.which, sel.position(state))
        if command.is_noop:
            self.message.emit("Already at this instant on every lead of the beat", 5000)
            return
        self.apply_command(command)

    def accept_proposal(self, lead: str | None) -> None:
        """Take the model's waves as they are on ``lead`` (None: every lead)."""
        if self.corrections.accept_proposal(lead):
            self.edited.emit()
            where = f"lead {lead}" if lead else "every lead"
            self.message.emit(f"Accepted the model's waves on {where}", 5000)

    def toggle_unreadable(self) -> None:
        """Mark the current lead unreadable, or readable again."""
        lead, state = self.editor.current_lead, self.corrections.state
        if lead is None or state is None:
            self.message.emit("Click on a lead (or select a boundary) first", 5000)
            return
        unreadable = state.status_of(lead) is not LeadStatus.UNREADABLE
        self.apply_command(MarkLeadUnreadable.of(state, lead, unreadable))

    def submit(self) -> None:
        """Sign and lock the set (the note being typed is kept first)."""
        self.panel.commit_note()
        if self.corrections.submit():
            self.message.emit("Submitted and signed; the set is locked until reopened", 8000)

    def show_history(self) -> None:
        """The history of corrections of the open record's set."""
        record = self.corrections.record
        title = record.source.path.name if record is not None else ""
        HistoryDialog(self.corrections.history(), title, self._parent).open()

    # -- the annotator ----------------------------------------------------------------------
    def switch_user_dialog(self) -> None:
        """Ask who annotates (or create a profile), and sign in."""
        dialog = ProfileDialog(self.corrections.annotators(),
                               self.corrections.user.id if self.corrections.user else None, self._parent)
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return
        chosen = dialog.chosen()
        if chosen is not None:
            self.sign_in(*chosen)

    def sign_in(self, annotator_id: str, name: str = "", role: Role | None = None,
                new: bool = False) -> bool:
        """Sign in as ``annotator_id`` (creating the profile when ``new``); remembered for next time."""
        self.panel.commit_note()
        ok = (self.corrections.create_user(annotator_id, name or annotator_id, role or Role.ANNOTATOR)
              if new else self.corrections.switch_user(annotator_id))
        if ok:
            self.settings.setValue(SETTINGS_USER, annotator_id)
            self.message.emit(f"Signed in as {annotator_id}", 5000)
        return ok

    def offer_first_run(self) -> QtWidgets.QDialog | None:
        """The welcome screen that creates the annotator profile, when no one has signed in yet."""
        from workstation.ui.first_run import FirstRunDialog, needs_first_run

        if not needs_first_run(self.settings) or self.corrections.user is not None:
            return None
        dialog = FirstRunDialog(self.settings, self._parent)
        dialog.profile_created.connect(self._on_profile_created)
        dialog.open_sample.connect(self.sample_requested)
        self.first_run_dialog = dialog
        dialog.open()
        return dialog

    def _on_profile_created(self, annotator_id: str) -> None:
        self.use_store(settings_store_path(self.settings))
        self.sign_in(annotator_id)

    def use_store(self, path: Path) -> None:
        """Switch to the store the preferences name (``$ECGWS_STORE``, when set, wins)."""
        if os.environ.get(STORE_ENV) is None and path != self.corrections.store_path:
            self.corrections.open_store(path)

    def follow_preferences(self, prefs: Preferences) -> None:
        """Use the store the preferences name, and sign in as their user if someone else is."""
        self.use_store(prefs.store_path or settings_store_path(self.settings))
        if prefs.user and (self.corrections.user is None or prefs.user != self.corrections.user.id):
            self.sign_in(prefs.user)

    # -- showing ----------------------------------------------------------------------------
    def show_corrections(self) -> None:
        """Redraw the editor, the unreadable leads, the dock and Undo/Redo after a change."""
        c = self.corrections
        state = c.state
        self.editor.set_state(c.shown_state, editable=c.editable)
        self.paper.set_unreadable_leads(tuple(ld for ld in state.lead_names
                                              if state.status_of(ld) is LeadStatus.UNREADABLE)
                                        if state is not None else ())
        user = c.user
        user_text = f"<b>{user.name}</b> ({user.id}, {user.role.value})" if user else ""
        self.panel.set_state(state, editable=c.editable, user_text=user_text,
                             status_text=c.status_text(), warn=c.store is None or not c.saved)
        document = c.document
        undo, redo = self.actions["edit.undo"], self.actions["edit.redo"]
        undo.setText(f"&Undo {document.undo_text}" if document and document.can_undo else "&Undo")
        redo.setText(f"&Redo {document.redo_text}" if document and document.can_redo else "&Redo")
        self.show_saved_state()

    def show_saved_state(self) -> None:
        """Tell the window about edits held only in memory, or a note being typed."""
        self.modified.emit(not self.corrections.saved or self.panel.has_pending_note)

    def _on_problem(self, message: str) -> None:
        self.message.emit(message, 15_000)
        self.problem.emit(message, "Correction not applied")

    def _on_selection(self, selection: Selection | None) -> None:
        state = self.corrections.state
        if selection is None or state is None or selection.wave_id not in state.waves:
            self.panel.show_selection("")
            return
        wave = state.wave(selection.wave_id)
        ms = selection.position(state) * 1000.0 / state.fs
        text = f"Selected: {wave.kind.value} {selection.which.value} on {wave.lead} at {ms:.0f} ms"
        self.panel.show_selection(text)
        self.message.emit(text, 5000)

    def _wave_menu(self, selection: Selection | None, global_pos: QtCore.QPoint) -> None:
        """The right-click menu: the edits of the wave under the pointer, and of its lead."""
        menu = QtWidgets.QMenu(self._parent)
        for key in WAVE_MENU if selection is not None else WAVE_MENU[6:]:
            if key is None:
                menu.addSeparator()
            else:
                menu.addAction(self.actions[key])
        self.context_menu = menu
        menu.popup(global_pos)

    # -- closing ----------------------------------------------------------------------------
    def prepare_close(self) -> bool:
        """Close the welcome screen and keep the note; False when unsaved edits keep the window open."""
        if self.first_run_dialog is not None:
            self.first_run_dialog.close()
        self.panel.commit_note()
        return self.corrections.saved or self._keep_unsaved_edits()

    def _keep_unsaved_edits(self) -> bool:
        """Closing with edits held in memory: save them to a folder, discard, or stay."""
        role = QtWidgets.QMessageBox.ButtonRole
        choice = ask_choice(self._parent, APP_TITLE, "Your corrections were NOT saved to the annotation "
                            f"store ({self.corrections.store_error}).\n\nSave them as files before closing?",
                            [("Save to folder…", role.AcceptRole), ("Discard", role.DestructiveRole)],
                            icon=QtWidgets.QMessageBox.Icon.Warning)
        if choice == 1:
            return True
        if choice == 0:
            folder = QtWidgets.QFileDialog.getExistingDirectory(self._parent, "Save corrections to a folder")
            if folder:
                return bool(self.corrections.save_unsaved(Path(folder)))
        return False

    def close(self) -> None:
        """Close the store (the window is closing)."""
        self.corrections.close()
