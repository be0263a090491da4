# The Doorstep application image: one image for web (gunicorn), worker and beat (celery);
# docker-compose.yml picks the process with `command`.
#
#   docker build -t doorstep .
#   docker compose up -d            (see docs/operations.md)

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    DOORSTEP_ENV=production \
    DOORSTEP_VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/var/media

WORKDIR /app

# Dependencies first, pinned by the lock, so code changes reuse this layer. Every package
# ships wheels (psycopg[binary], cryptography, Pillow): no compiler in the image.
COPY pyproject.toml requirements.lock README.md ./
RUN pip install -c requirements.lock .

COPY . .

# Static files are collected into the image (whitenoise serves them, hashed and compressed).
# Production mode insists on its secrets even here, so placeholders stand in: nothing
# connects to a database or a broker while collecting.
RUN SECRET_KEY=collectstatic-only \
    DATABASE_URL=postgres://build@localhost/build \
    REDIS_URL=redis://localhost:6379/0 \
    DOORSTEP_ENCRYPTION_KEYS=unused-at-build-time \
    python manage.py collectstatic --noinput -v 0

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin doorstep \
    && mkdir -p /app/var/media \
    && chown -R doorstep:doorstep /app/var
USER doorstep

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=6s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=5)"]
CMD ["gunicorn", "--config", "scripts/gunicorn.conf.py", "config.wsgi:application"]
