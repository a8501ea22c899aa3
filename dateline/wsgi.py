import os

from django.core.wsgi import get_wsgi_application

from dateline import datadir

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dateline.settings")
# For a web server started on its own (gunicorn dateline.wsgi): what the dateline command
# does first, since the settings only read the environment.
datadir.prepare()
application = get_wsgi_application()
