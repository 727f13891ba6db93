# monitor — container image of the daemon with the default config.
#   docker build -t monitor .
#   docker run -d --name monitor -v monitor-data:/var/lib/monitor monitor
# More in docs/operations.md ("Run in a container").
FROM python:3.12-slim

# The code, seeds and default config are read-only for the service user; only the volume is written.
WORKDIR /opt/monitor
COPY pyproject.toml README.md ./
COPY monitor ./monitor
RUN pip install --no-cache-dir . && rm -rf build monitor.egg-info
COPY seeds ./seeds
COPY config/monitor.toml /etc/monitor/monitor.toml

RUN useradd --system --uid 10001 --home-dir /var/lib/monitor --shell /usr/sbin/nologin monitor \
    && install -d -o monitor -g monitor -m 0750 /var/lib/monitor

# The config's relative paths (the file channel's data/alerts.jsonl) land on the volume because it is
# the working directory; the seeds stay with the code.
ENV MONITOR_CONFIG=/etc/monitor/monitor.toml \
    MONITOR_DATABASE=/var/lib/monitor/monitor.db \
    MONITOR_PIPELINE_SEEDS_DIR=/opt/monitor/seeds \
    PYTHONUNBUFFERED=1
VOLUME /var/lib/monitor
WORKDIR /var/lib/monitor
USER monitor

# The ops endpoint listens on the container's loopback by default; the probe runs inside the container.
HEALTHCHECK --interval=60s --timeout=5s --start-period=30s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9468/healthz', timeout=4)"]

# SIGTERM (docker stop) finishes the work in flight and exits 0; give it time: docker stop -t 90.
STOPSIGNAL SIGTERM
CMD ["monitor", "--log-json", "run"]
