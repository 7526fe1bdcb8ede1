"""The colours that carry a meaning, defined once: an error, a warning, the go-ahead green."""

ERROR_COLOR = "#b3261e"  # errors, invalid journeys, Remove
WARNING_COLOR = "#9a6700"  # warnings
CAUTION_COLOR = "#a4540a"  # Deactivate: irreversible, short of deleting
GO_COLOR = "#1f8a4c"  # Validate, Activate, entries
ON_GO_COLOR = "#ffffff"  # text and icons on the green buttons
MUTED_COLOR = "#5f6368"  # secondary text
