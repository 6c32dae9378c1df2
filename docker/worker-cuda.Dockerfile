# GeoArena sweep worker for NVIDIA GPUs.
#   docker build -f docker/worker-cuda.Dockerfile -t geoarena/worker:cuda .
#   docker run --gpus all geoarena/worker:cuda experiments/eo_tiny_finetune.py --study s ...
# The default torch wheels bundle the CUDA runtime and cuDNN (nvidia-* wheels), so the base only
# needs Python 3.11; the host driver is mounted by the NVIDIA container toolkit.
FROM python:3.11-slim-bookworm

ENV PIP_NO_CACHE_DIR=1 \
    PYTHONUNBUFFERED=1 \
    MLFLOW_DISABLE_TELEMETRY=true \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    YOLO_OFFLINE=1 \
    GEOARENA_CACHE=/cache \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility

RUN apt-get update \
    && apt-get install -y --no-install-recommends libusb-1.0-0 libgl1 libglib2.0-0 git \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/geoarena
COPY requirements/constraints.txt requirements/constraints.txt
RUN pip install -c requirements/constraints.txt torch torchvision
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
