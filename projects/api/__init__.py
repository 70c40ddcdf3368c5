"""The Harbor v2.0-compatible REST API of identity and access (users, projects, members, robots, ...)."""
