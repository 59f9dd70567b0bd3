"""Report renderers (json, sarif, html, junit, markdown) and the console summary."""
