"""Stand-ins for the platforms' cloud services only, served on 127.0.0.1. Never for our own code."""
