# GeoArena sweep worker, CPU only.
#   docker build -f docker/worker-cpu.Dockerfile -t geoarena/worker:cpu .
# torch is installed first from TORCH_INDEX_URL when given (a CPU-only wheel index keeps the
# image ~1.5 GB instead of ~8 GB); without it pip's configured index is used.
FROM python:3.11-slim-bookworm

ARG TORCH_INDEX_URL=""
ENV PIP_NO_CACHE_DIR=1 \
    PYTHONUNBUFFERED=1 \
    MLFLOW_DISABLE_TELEMETRY=true \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    YOLO_OFFLINE=1 \
    GEOARENA_CACHE=/cache

# libusb: open3d imports it; libgl/libglib: opencv (ultralytics); git: provenance (git sha)
RUN apt-get update \
    && apt-get install -y --no-install-recommends libusb-1.0-0 libgl1 libglib2.0-0 git \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/geoarena
COPY requirements/constraints.txt requirements/constraints.txt
RUN if [ -n "$TORCH_INDEX_URL" ]; then \
        pip install --index-url "$TORCH_INDEX_URL" -c requirements/constraints.txt torch torchvision; \
    else \
        pip install -c requirements/constraints.txt torch torchvision; \
    fi
COPY packages packages
RUN pip install -c requirements/constraints.txt \
        ./packages/core ./packages/eo ./packages/det ./packages/pc ./packages/nlp \
        psycopg2-binary boto3
COPY tools tools
COPY experiments experiments

RUN useradd --create-home --uid 1000 geoarena && mkdir -p /cache && chown geoarena /cache
USER geoarena
VOLUME ["/cache"]
ENTRYPOINT ["python", "tools/sweep.py"]
CMD ["--help"]
