"""Platform adapters: translate payloads to an Inbound and render Replies natively. No program rules."""
