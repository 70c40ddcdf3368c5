"""The Harbor v2.0-compatible REST API of registry content (mounted under /api/v2.0/)."""
