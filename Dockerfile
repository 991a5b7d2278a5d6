# The image behind the web, worker and beat services of docker-compose.yml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# WeasyPrint renders PDFs with Pango; gettext compiles translations.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
       fonts-dejavu-core fonts-noto-cjk gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# The locked versions first (a layer that changes only with the lock), then the portal itself.
COPY requirements/run.txt requirements/run.txt
RUN pip install --require-hashes -r requirements/run.txt
COPY . .
RUN pip install --no-deps . \
    && DJANGO_SETTINGS_MODULE=results_portal.settings.production SECRET_KEY=build-only BOARD_SIGNING_KEY=build-only ALLOWED_HOSTS=build \
       python manage.py collectstatic --no-input \
    && useradd --create-home --uid 1000 portal && mkdir -p /app/media && chown portal /app/media
USER portal

ENV DJANGO_SETTINGS_MODULE=results_portal.settings.production
EXPOSE 8000
CMD ["gunicorn", "results_portal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
