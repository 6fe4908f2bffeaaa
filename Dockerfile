# coachbot: one image for every role (`coachbot run --role all|web|worker|scheduler`).
# Slim base, dependencies built in a throw-away stage, runs as an unprivileged user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot bot
COPY content content
COPY handlers handlers
COPY migrations migrations
COPY scheduler scheduler
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    COACHBOT_WEBHOOK_LISTEN=0.0.0.0:8080 COACHBOT_LOG_FORMAT=json
COPY --from=build /install /usr/local
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin coachbot
USER coachbot
WORKDIR /home/coachbot
EXPOSE 8080
# SIGTERM (docker stop) drains: no new updates, in-flight ones finish, the schedule is released
STOPSIGNAL SIGTERM
ENTRYPOINT ["coachbot"]
CMD ["run", "--role", "all"]
