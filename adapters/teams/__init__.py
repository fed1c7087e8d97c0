"""Microsoft Teams through botbuilder's CloudAdapter. Every botbuilder import stays in this package."""
