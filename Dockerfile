# syntax=docker/dockerfile:1
# One static binary, one image; the role is the first argument:
#   docker run ghcr.io/orderflow/orderflow:<tag> api | worker --queue orders | frontend | migrate | inventory-rebuild --check

# The builder runs on the build machine's own platform and cross-compiles
# (CGO_ENABLED=0), so multi-arch builds need no emulation.
# Base images are pinned by digest (with their version for the reader), so
# a release cannot change under the same name; renew them deliberately.
FROM --platform=$BUILDPLATFORM golang:1.26.8-bookworm@sha256:a688600ca24f8a4d3ca77f95b0dd40704a9fc787c826660eb7ba0b641b8b175d AS build
ARG TARGETOS
ARG TARGETARCH
# The image's version and commit (docker build --build-arg VERSION=v1.4.0
# --build-arg COMMIT=$(git rev-parse --short=12 HEAD)); the version is the build ID
# of its workers in their Worker Deployment, so one per release. Without it
# the binary calls itself "devel" (.git stays out of the build context).
ARG VERSION=
ARG COMMIT=
WORKDIR /src
# Modules first: this layer is reused until go.mod/go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w -X github.com/orderflow/orderflow/internal/platform/buildinfo.version=${VERSION} -X github.com/orderflow/orderflow/internal/platform/buildinfo.commit=${COMMIT}" -o /out/orderflow ./cmd/orderflow

# distroless/static: CA certificates (SendGrid, Twilio and payment APIs are
# HTTPS) and tzdata, no shell or package manager to exploit. The :nonroot
# variant runs as uid/gid 65532, matching runAsUser in k8s/.
# distroless has no version tags: the digest is the version.
FROM gcr.io/distroless/static-debian12:nonroot@sha256:b7bb25d9f7c31d2bdd1982feb4dafcaf137703c7075dbe2febb41c24212b946f
COPY --from=build /out/orderflow /orderflow
USER 65532:65532
# api, worker ops (health/metrics), frontend, sandbox: documentation only.
EXPOSE 8080 9090 3000 4010
ENTRYPOINT ["/orderflow"]
