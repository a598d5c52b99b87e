"""Administration pages: offices, organisations and programmes (their APIs live in their own
domains; the pages sit here because they use journey.web, which those domains must not import)."""
