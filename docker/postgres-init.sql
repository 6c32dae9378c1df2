-- Run once by the postgres image on an empty volume: the Optuna study database is created by
-- POSTGRES_DB; MLflow gets its own database (both use an alembic_version table, so they must
-- not share one).
CREATE DATABASE mlflow;
