# MLflow tracking server and optuna-dashboard for the sweep stack (docker/compose.yaml).
FROM python:3.11-slim-bookworm
ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 MLFLOW_DISABLE_TELEMETRY=true
WORKDIR /opt/services
COPY requirements/constraints.txt constraints.txt
RUN pip install -c constraints.txt mlflow optuna psycopg2-binary boto3 optuna-dashboard
RUN useradd --create-home --uid 1000 services
USER services
