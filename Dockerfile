# One image for the TaskOverflow API, its worker, the SQS emulator and JupyterLab
# (docker-compose.yml picks the process with `command:`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LABKIT_HOME=/app/.labkit

WORKDIR /app

# Dependencies first: this layer is rebuilt only when the pins change.
COPY requirements.txt pyproject.toml ./
RUN pip install -r requirements.txt

COPY labkit ./labkit
COPY terraform ./terraform
COPY notebooks ./notebooks
RUN pip install --no-deps --no-build-isolation -e .

EXPOSE 6400 9324 8888
CMD ["labkit", "api", "--host", "0.0.0.0", "--port", "6400"]
