# payeeflow: one image for the workers, the sink and the API (the command picks the role).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY payeeflow payeeflow
COPY streams streams
COPY agents agents
COPY schemas schemas
COPY connectors connectors
COPY api api
COPY examples examples
RUN pip install . && useradd --system --uid 10001 payeeflow
USER payeeflow
ENV PAYEEFLOW_API_HOST=0.0.0.0 PAYEEFLOW_STACK_DIR=/tmp/payeeflow
EXPOSE 8000 6066 6067
ENTRYPOINT ["payeeflow"]
CMD ["--help"]
