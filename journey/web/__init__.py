"""Server-rendered pages for staff: session login with CSRF-protected forms."""
