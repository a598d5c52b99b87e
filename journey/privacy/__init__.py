"""The data subject's rights: access, erasure, retention, and the register of processing."""
