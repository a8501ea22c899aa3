"""allauth providers as Dateline uses them: a WordPress.com provider allauth does not ship, and
small subclasses (selected through ``provider_class`` in ``SOCIALACCOUNT_PROVIDERS``) that add
what allauth leaves out: an OpenID Connect nonce for Google and generic OIDC, and PKCE for
Facebook's token exchange."""
