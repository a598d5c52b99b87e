"""Open Badges 3.0 credentials: issued from passports and skill cards, signed, verifiable, revocable."""
