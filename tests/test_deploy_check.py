"""Production defaults (issue 15, point 5): `manage.py check --deploy` has nothing to say in
production mode, and HTTPS is enforced without breaking the load balancer's health probe."""

from __future__ import annotations

import secrets

from tests.test_production_mode import _complete_env, _run


def test_check_deploy_is_clean_in_production_mode(tmp_path):
    env = {**_complete_env(), "SECRET_KEY": secrets.token_urlsafe(50)}
    result = _run(["manage.py", "check", "--deploy"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stderr


def test_production_redirects_to_https_except_the_health_probe(tmp_path):
    code = ("from django.conf import settings; from django.test import RequestFactory\n"
            "from django.middleware.security import SecurityMiddleware\n"
            "mw = SecurityMiddleware(lambda r: None)\n"
            "for path in ('/', '/t/abc/', '/healthz'):\n"
            "    answer = mw.process_request(RequestFactory().get(path, SERVER_NAME='x.example'))\n"
            "    print(path, answer.status_code if answer else 'served')\n"
            "print(settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS)\n")
    env = {**_complete_env(), "ALLOWED_HOSTS": "x.example"}
    result = _run(["-c", "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
                   "'config.settings'); django.setup()\n" + code], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:4] == ["/ 301", "/t/abc/ 301", "/healthz served",
                                             "31536000 True"]
