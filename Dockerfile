# One image for both processes: the web app (default command) and the workers
# (`python -m middleware worker`). See README, "Deployment". Not built in CI: the CI machine
# has no container engine; tests/test_deploy_files.py checks what it can without one.

# Build stage: a compiler for any runtime package without a wheel for this platform.
FROM python:3.11-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
COPY requirements.txt /tmp/requirements.txt
# Runtime packages only: everything from "# Tests and tooling" on stays out of the image.
RUN sed '/^# Tests and tooling/,$d' /tmp/requirements.txt > /tmp/runtime.txt \
 && python -m venv /venv \
 && /venv/bin/pip install --no-cache-dir --disable-pip-version-check -r /tmp/runtime.txt
# The rules' C speedups (rules/_accel.c), built here where the compiler is; see setup.py.
WORKDIR /src
COPY setup.py ./
COPY rules/_accel.c ./rules/
RUN /venv/bin/python setup.py -q build_ext --inplace && test -n "$(ls rules/_accel*.so)"

FROM python:3.11-slim
RUN useradd --system --uid 10001 --create-home --home-dir /home/cim cim
COPY --from=build /venv /venv
WORKDIR /app
COPY middleware ./middleware
COPY jobs ./jobs
COPY rules ./rules
COPY --from=build /src/rules/_accel*.so ./rules/
COPY wsgi.py gunicorn.conf.py config.yaml pyproject.toml ./
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER cim
EXPOSE 8000
# gunicorn reads ./gunicorn.conf.py (JSON logs with LOG_FORMAT=json). Put TLS in front (README).
CMD ["gunicorn", "wsgi:app", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-"]
