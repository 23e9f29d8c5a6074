"""Scoring logic of each task family, shared by the task folders and offline scoring."""
