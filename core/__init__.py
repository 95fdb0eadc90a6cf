"""The bottom of the house: settings that everything may import and that import nothing of ours."""
