# One image for the TaskOverflow API, its worker, the SQS emulator and JupyterLab
# (docker-compose.yml picks the process with `command:`). It holds the runtime only:
# requirements.txt, labkit, the notebooks and the Terraform files labkit reads (the queues);
# the test and lint tools (requirements-dev.txt), secrets and Terraform state stay out.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LABKIT_HOME=/app/.labkit

WORKDIR /app

# Dependencies first: this layer is rebuilt only when the pins change. To stay small it drops
# the packages' own test suites and Babel's locale data for languages JupyterLab is not shown
# in, and compiles nothing ahead: each container caches the bytecode of what it imports.
COPY requirements.txt pyproject.toml ./
RUN pip install --no-compile -r requirements.txt \
 && site=$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') \
 && find "$site" -depth -type d \( -name tests -o -name test \) -exec rm -rf {} + \
 && find "$site/babel/locale-data" -name '*.dat' ! -name 'en*' ! -name root.dat -delete

COPY labkit ./labkit
COPY notebooks ./notebooks
# Only the .tf files: never terraform.tfvars (a db_password), state or provider caches.
COPY terraform/*.tf ./terraform/
RUN pip install --no-compile --no-deps --no-build-isolation -e .

EXPOSE 6400 9324 8888
CMD ["labkit", "api", "--host", "0.0.0.0", "--port", "6400"]
