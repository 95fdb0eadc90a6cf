"""The bottom of the house: configuration (settings) and plumbing (dates, file safety) that
everything may import and that import nothing of ours."""
