# policybot in a container: `docker compose up -d --build` (compose.yaml, docs/deploy.md).
# The wheel is built in a first stage so that the image holds the installed package only; it
# carries the bundled knowledge base as bot/data/ (POLICYBOT_KB can point at a mounted copy).
FROM python:3.11-slim AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY knowledge ./knowledge
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=wheel /dist /dist
RUN pip install /dist/policybot-*.whl && rm -rf /dist \
    && useradd --system --uid 10001 --user-group --create-home --home-dir /home/policybot policybot \
    && mkdir /data && chown policybot:policybot /data
# The question log lives on the volume; everything else in the image is read-only to the bot.
ENV POLICYBOT_DB=/data/policybot.sqlite3 \
    POLICYBOT_LOG_LEVEL=INFO
VOLUME ["/data"]
WORKDIR /home/policybot
USER policybot
# webhook mode only (POLICYBOT_WEBHOOK_URL set): serve listens on $PORT
EXPOSE 8443
# stands in for a /healthz route (docs/deploy.md): knowledge base loads, log answers SELECT 1
HEALTHCHECK --interval=60s --timeout=15s --start-period=60s --retries=3 \
    CMD ["policybot", "health"]
# SIGTERM (docker stop) ends serve cleanly: replies in flight are sent, the log is closed
STOPSIGNAL SIGTERM
CMD ["policybot", "serve"]
