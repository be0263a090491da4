#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    from config import embedded

    stack = None
    try:
        # With no DATABASE_URL (outside production): the embedded PostgreSQL and Redis under
        # var/, started for this command or already running (e.g. under `make demo`).
        from config.settings.core import VAR_DIR

        stack = embedded.start_for_process(VAR_DIR, log=lambda text: sys.stderr.write(f"{text}\n"))
        execute_from_command_line(sys.argv)
    except (ImproperlyConfigured, embedded.EmbeddedError) as exc:
        # A configuration mistake is the operator's to fix: say what, without a traceback.
        sys.stderr.write(f"Doorstep cannot start: {exc}\n")
        sys.exit(2)
    finally:
        if stack is not None:
            stack.stop()


if __name__ == "__main__":
    main()
