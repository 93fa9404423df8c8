# seeds/004 layered-slim-pip-wheels: the builder makes wheels (pip wheel; poetry 1.3 from Debian has no
# export plugin, so the project and its path dependency are resolved by pip against the same index), the final
# image installs them from a COPY layer that stays in the image.
FROM kiln-bench/python:3.11-slim-poetry AS builder
# Offline stand-ins for the seeds' `pip install poetry` + PyPI: Debian's poetry in the base, the bench's index on the
# host (docker build --network host), and Debian's poetry-core for path dependencies (no build isolation).
ARG INDEX_URL
ENV POETRY_NO_INTERACTION=1 POETRY_CACHE_DIR=/tmp/poetry-cache PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_BUILD_ISOLATION=0 PIP_ROOT_USER_ACTION=ignore VIRTUAL_ENV=/venv PATH=/venv/bin:$PATH
WORKDIR /src
COPY common common
COPY sklearn-server sklearn-server
RUN python3 -m pip wheel --wheel-dir /wheels --index-url $INDEX_URL ./sklearn-server

FROM kiln-bench/python:3.11-slim
COPY --from=builder /wheels /wheels
RUN python3 -m venv --system-site-packages /venv && /venv/bin/pip install --no-cache-dir --no-index --no-deps /wheels/*.whl && rm -rf /wheels
COPY models/sklearn /mnt/models
ENV VIRTUAL_ENV=/venv PATH=/venv/bin:$PATH MODEL_NAME=iris MODEL_DIR=/mnt/models PORT=8080
EXPOSE 8080
USER 65532
ENTRYPOINT ["sklearn-server"]
