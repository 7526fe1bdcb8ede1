"""The journey editor: ``EditorWindow(repo, journey_id)`` edits one journey."""

from journey_desktop.ui.editor.window import EditorWindow

__all__ = ["EditorWindow"]
