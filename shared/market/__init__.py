"""Where prices come from: providers, the NYSE session and trading days."""
