"""Reading the audit trail (supervisors: their office; admins: everything)."""
