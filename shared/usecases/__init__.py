"""What each function does, one module named after each function."""
