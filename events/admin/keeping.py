"""What administrators keep: event categories with their time limits, and the work calendar
(placeholder: being built)."""
