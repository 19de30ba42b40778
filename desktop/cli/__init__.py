"""ipw command line."""
