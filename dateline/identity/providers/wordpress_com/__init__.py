"""Sign in with WordPress.com: a small allauth OAuth 2.0 provider (allauth ships none)."""
