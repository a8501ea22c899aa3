"""Start the test OpenID Connect provider: migrate its SQLite file, register the user and the
Dateline application from the environment, then serve with ``runserver`` (no reloader)."""

import os
import sys

import django
from django.core.management import call_command


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.identity.oidc_provider.settings")
    django.setup()
    from django.contrib.auth.models import User
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0, interactive=False)
    user, _ = User.objects.get_or_create(
        username=os.environ["OIDC_TEST_USERNAME"],
        defaults={"first_name": "Amal", "last_name": "Haddad", "email": "amal@newsroom.example"},
    )
    user.set_password(os.environ["OIDC_TEST_PASSWORD"])
    user.save()
    Application.objects.filter(client_id=os.environ["OIDC_TEST_CLIENT_ID"]).delete()
    Application.objects.create(
        name="Dateline",
        client_id=os.environ["OIDC_TEST_CLIENT_ID"],
        client_secret=os.environ["OIDC_TEST_CLIENT_SECRET"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=os.environ["OIDC_TEST_REDIRECT_URIS"],
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=False,
    )
    call_command("runserver", "--noreload", sys.argv[1])


if __name__ == "__main__":
    main()
