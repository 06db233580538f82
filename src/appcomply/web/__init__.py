"""HTTP: create_app(), RFC 9457 problems, authentication and roles, console layout, health and metrics."""
