"""Practice missions with proof, coach review, deadlines, spaced review and certificates."""
