"""The core: neutral messages, commands, the dialog engine, identity, programs. No platform SDK here."""
