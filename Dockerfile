# payeeflow: one image for the workers, the sink and the API (the command picks the role).
# The classifier's core is Rust (native/): a build stage with a Rust toolchain makes the wheel, and
# the runtime image carries the wheel only (one package, `payeeflow`, with the samples `run` pushes).
FROM python:3.11-slim AS build
COPY --from=rust:1-slim /usr/local/cargo /usr/local/cargo
COPY --from=rust:1-slim /usr/local/rustup /usr/local/rustup
ENV CARGO_HOME=/usr/local/cargo RUSTUP_HOME=/usr/local/rustup PATH=/usr/local/cargo/bin:$PATH \
    PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY native native
COPY payeeflow payeeflow
COPY streams streams
COPY agents agents
COPY schemas schemas
COPY connectors connectors
COPY api api
COPY examples examples
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY --from=build /wheels /wheels
COPY examples examples
COPY constraints.txt .
# with the bigquery extra (google-auth): the supplier sync's BigQuery source works behind its flag
RUN pip install -c constraints.txt "$(ls /wheels/*.whl)[bigquery]" && rm -rf /wheels && useradd --system --uid 10001 payeeflow
USER payeeflow
# a container is reached from outside it: the API, and the workers' and the sink's metrics and probes
ENV PAYEEFLOW_API_HOST=0.0.0.0 PAYEEFLOW_METRICS_HOST=0.0.0.0 PAYEEFLOW_STACK_DIR=/tmp/payeeflow
EXPOSE 8000 6066 6067
ENTRYPOINT ["payeeflow"]
CMD ["--help"]
