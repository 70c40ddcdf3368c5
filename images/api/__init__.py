"""The content management REST API: repositories, artifacts, tags, labels, search, statistics."""
