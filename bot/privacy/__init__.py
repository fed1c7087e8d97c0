"""What is held about people, for how long, and their rights over it."""
