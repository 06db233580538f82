"""The `appcomply` command line."""
