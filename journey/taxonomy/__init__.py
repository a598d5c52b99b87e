"""ISCO-08 groups and ESCO occupations: the codes passports, programmes and matching use."""
