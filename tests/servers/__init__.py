"""Real servers the tests start on loopback ports (see ../shared/DESIGN.md): one module per server."""
