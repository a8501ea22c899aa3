import os

from django.core.wsgi import get_wsgi_application

from dateline import datadir
from dateline.server.reloading import closing_when_replaced

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dateline.settings")
# For a web server started on its own (granian dateline.wsgi:application): what the dateline command
# does first, since the settings only read the environment.
datadir.prepare()
application = closing_when_replaced(get_wsgi_application())
