"""Collectors: produce an Estate (snapshot, demo; live Azure and Fleet hub collection come later)."""
