"""API plumbing shared by every app: the error shape, bounded parsers, strict serializers."""
