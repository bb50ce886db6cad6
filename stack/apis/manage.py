#!/usr/bin/env python
"""Django's command-line tool: `python manage.py migrate`, `python manage.py tg`, ...

Run it from /app/apis with PYTHONPATH=/app (the compose file sets both).
"""
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apis.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
