"""Gates: turn a ScanResult into an exit code (fail-on threshold, incompleteness)."""
