"""The portal: server-rendered pages for everyone (projects, repositories, artifacts), mounted at /."""
