"""Helpers for the Docker Compose course."""
