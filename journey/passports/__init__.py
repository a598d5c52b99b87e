"""Skills passports: occupations, skills, qualifications, languages and more, each verified."""
