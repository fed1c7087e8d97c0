"""One module per conversation. Each exposes `register(registry)`; app.py wires them in."""
