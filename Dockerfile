# flowrelease operator image (this project publishes none): `docker build -t <your-registry>/flowrelease:0.1.0 .`
# Stage 1 builds the flowrelease wheel and installs it with its dependencies into a venv; stage 2 copies only
# that venv onto the same pinned base, adds git + ssh (GitPython shells out to them) and runs as uid 10001.
# deploy/deployment.yaml overrides CMD with the same operator arguments (see docs/kubernetes.md).
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY operator/ operator/
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
 && python -m venv /opt/flowrelease \
 && /opt/flowrelease/bin/pip install --no-cache-dir /wheels/flowrelease-*.whl

FROM ${PYTHON_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends git=1:2.39.5-0+deb12u3 openssh-client=1:9.2p1-2+deb12u10 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 flowrelease \
 && useradd --uid 10001 --gid 10001 --home-dir /var/lib/flowrelease --create-home \
      --shell /usr/sbin/nologin flowrelease
COPY --from=build /opt/flowrelease /opt/flowrelease
ENV PATH=/opt/flowrelease/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    FLOWRELEASE_WORKDIR=/var/lib/flowrelease
WORKDIR /var/lib/flowrelease
USER 10001:10001
EXPOSE 8080 9090
ENTRYPOINT ["flowrelease"]
CMD ["operator", "--all-namespaces", "--standalone", "--liveness=http://0.0.0.0:8080/healthz", "--metrics-port=9090"]
