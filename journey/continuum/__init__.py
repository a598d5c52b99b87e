"""The migration continuum: stages a participant moves through."""
