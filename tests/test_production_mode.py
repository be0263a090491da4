"""Production mode refuses to start without its secrets, and names each one missing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet
from django.conf import settings

REQUIRED = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DOORSTEP_ENCRYPTION_KEYS")


def _run(args: list[str], env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    # A bare environment: nothing of the developer's (or CI's) shell leaks in.
    bare = {"PATH": os.environ["PATH"], "DOORSTEP_VAR_DIR": str(tmp_path), **env}
    return subprocess.run([sys.executable, *args], cwd=settings.BASE_DIR, env=bare,
                          capture_output=True, text=True, timeout=120)


def _complete_env() -> dict[str, str]:
    return {
        "DOORSTEP_ENV": "production",
        "SECRET_KEY": "x" * 60,
        # Never connected to by `check`: the values only have to be well-formed.
        "DATABASE_URL": "postgres://doorstep:secret@db.invalid:5432/doorstep",
        "REDIS_URL": "redis://redis.invalid:6379/0",
        "DOORSTEP_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }


def test_it_refuses_to_start_naming_every_missing_variable(tmp_path):
    result = _run(["manage.py", "check"], {"DOORSTEP_ENV": "production"}, tmp_path)

    assert result.returncode != 0
    assert "DOORSTEP_ENV=production refuses to start" in result.stderr
    for name in REQUIRED:
        assert name in result.stderr, name


def test_it_names_only_what_is_missing(tmp_path):
    env = _complete_env()
    del env["REDIS_URL"], env["DOORSTEP_ENCRYPTION_KEYS"]

    result = _run(["manage.py", "check"], env, tmp_path)

    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert "REDIS_URL" in message and "DOORSTEP_ENCRYPTION_KEYS" in message
    assert "SECRET_KEY" not in message and "DATABASE_URL" not in message


def test_an_empty_value_counts_as_missing(tmp_path):
    result = _run(["manage.py", "check"], {**_complete_env(), "SECRET_KEY": "  "}, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_with_everything_set_it_starts(tmp_path):
    result = _run(["manage.py", "check"], _complete_env(), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_with_everything_set_the_wsgi_app_loads_in_production_shape(tmp_path):
    code = ("from config.wsgi import application; from django.conf import settings; "
            "print(settings.DEBUG, settings.SESSION_COOKIE_SECURE, "
            "settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL)")
    result = _run(["-c", code], _complete_env(), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "django.db.backends.postgresql",
                                     "redis://redis.invalid:6379/0"]


def test_every_environment_variable_read_by_the_settings_is_in_the_readme():
    """The README's configuration table lists every variable the settings read."""
    root = Path(settings.BASE_DIR)
    readers = r"env_(?:str|bool|int|list)|is_set|os\.environ(?:\.get|\.setdefault|\.pop)?"
    pattern = re.compile(rf"""(?:{readers})\(?\[?["']([A-Z][A-Z0-9_]+)["']""")
    sources = [*root.glob("config/settings/*.py"), root / "config/test_settings.py",
               root / "conftest.py"]
    names = {name for path in sources for name in pattern.findall(path.read_text())}
    names -= {"DJANGO_SETTINGS_MODULE"}
    readme = (root / "README.md").read_text()

    assert len(names) > 30  # the pattern still finds them
    assert not sorted(n for n in names if f"`{n}`" not in readme)
