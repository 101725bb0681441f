"""Protected persons: the registry of often-impersonated public figures and the logic that
ties a famous face or name to a scam claim and a non-official destination."""
