"""Intake: channel files from the drop folders into ``intake_item`` / ``intake_reject``."""
