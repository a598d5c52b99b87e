"""A trivial domain, used to show that adding a domain needs nothing outside its package and
the domain list: one model, one route, one permission, one timeline kind, one SMS keyword."""
