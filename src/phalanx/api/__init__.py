"""REST API under /api/v1: thin routers over the same services the CLI uses."""
