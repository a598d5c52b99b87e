"""The data subject's rights: access and portability (export), erasure, retention, and the
register of processing, all built on the personal-data declarations of every domain."""
