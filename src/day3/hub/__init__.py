"""Sharing a run: its model card and the staged upload to the Hugging Face Hub."""
