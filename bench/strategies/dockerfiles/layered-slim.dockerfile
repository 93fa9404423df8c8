# seeds/004 layered-slim: the venv is built in a builder stage and copied into a fresh slim image.
FROM kiln-bench/python:3.11-slim-poetry AS builder
# Offline stand-ins for the seeds' `pip install poetry` + PyPI: Debian's poetry in the base, the bench's index on the
# host (docker build --network host), and Debian's poetry-core for path dependencies (no build isolation).
ARG INDEX_URL
ENV POETRY_NO_INTERACTION=1 POETRY_CACHE_DIR=/tmp/poetry-cache PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_BUILD_ISOLATION=0 PIP_ROOT_USER_ACTION=ignore VIRTUAL_ENV=/venv PATH=/venv/bin:$PATH
RUN python3 -m venv --system-site-packages /venv
WORKDIR /src
COPY common common
COPY sklearn-server/pyproject.toml sklearn-server/poetry.lock sklearn-server/
RUN cd sklearn-server && poetry install --only main --no-root && rm -rf /tmp/poetry-cache
COPY sklearn-server sklearn-server
# poetry install would leave the project editable, pointing into this stage (seeds/000): install its wheel.
RUN cd sklearn-server && poetry build -f wheel && pip install --no-deps dist/*.whl

FROM kiln-bench/python:3.11-slim
COPY --from=builder /venv /venv
COPY models/sklearn /mnt/models
ENV VIRTUAL_ENV=/venv PATH=/venv/bin:$PATH MODEL_NAME=iris MODEL_DIR=/mnt/models PORT=8080
EXPOSE 8080
USER 65532
ENTRYPOINT ["sklearn-server"]
