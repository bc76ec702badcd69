"""core: cross-cutting basics every layer may use: paths, typed errors, atomic writes, CSV safety, the tables' schemas."""
