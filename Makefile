# Every install and build step of the project lives here, so a fresh clone needs only `make run` / `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE := node --import tsx

MODEL_SOURCES := $(shell find models/src models/data -type f 2>/dev/null)

.PHONY: help
help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-16s %s\n", $$1, $$2}'

node_modules/.install-stamp: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

.PHONY: install
install: node_modules/.install-stamp ## Install npm dependencies (npm ci)

models/build/.stamp: node_modules/.install-stamp $(MODEL_SOURCES)
	$(NODE) models/src/build.ts --out models/build
	@touch $@

.PHONY: models
models: models/build/.stamp ## Build the small ONNX models used by local mode and tests

.PHONY: lint
lint: install ## Lint, format check and type check
	npx biome check .
	npx tsc -p tsconfig.json --noEmit

.PHONY: test
test: install models lint s3-build monitoring-tools kube-score-build browser-tools ## Run every test (unit, integration, end to end, cluster) with coverage; starts the test cluster
	bash hack/test.sh

.PHONY: s3-build
s3-build: ## Build and cache gofakes3, the S3-compatible server the model-store tests run (needs Go)
	bash hack/s3/build.sh >/dev/null

.PHONY: monitoring-tools
monitoring-tools: ## Install Prometheus and promtool (Debian package) for the dashboard and alert tests
	bash hack/monitoring/install-tools.sh

.PHONY: browser-tools
browser-tools: ## Install Chromium (Debian package) for the dashboard's browser tests
	bash hack/browser/install-tools.sh

.PHONY: kube-score-build
kube-score-build: ## Build and cache kube-score (needs Go) for the chart and runtime-pod checks
	bash hack/kube-score/build.sh >/dev/null

.PHONY: image
image: ## Build the CPU image (buildah, podman or docker; IMAGE and TAG override the name)
	bash hack/image/build.sh cpu

.PHONY: image-gpu
image-gpu: ## Build the GPU image (CUDA + cuDNN base, onnxruntime-node's CUDA provider)
	bash hack/image/build.sh gpu

.PHONY: image-tools
image-tools: ## Install buildah and podman (Debian packages); make test then also builds and runs the image
	bash hack/image/install-tools.sh

.PHONY: run
run: install models ## Run the router with local runtimes from examples/ on http://127.0.0.1:8080
	$(NODE) api/src/main.ts

.PHONY: operator
operator: install ## Run the operator against the cluster in KUBECONFIG (default: the test cluster's .cluster/kubeconfig)
	KUBECONFIG=$${KUBECONFIG:-$(CURDIR)/.cluster/kubeconfig} $(NODE) operator/src/main.ts

.PHONY: crds
crds: install ## Regenerate crds/*.yaml from the zod schemas in crds/src
	$(NODE) crds/src/generate.ts

.PHONY: build
build: install ## Compile TypeScript to dist/ (for container images)
	npx tsc -p tsconfig.build.json

# Local Kubernetes control plane for integration tests (docs/cluster.md): binaries built from Go modules once and
# cached outside the repo; cluster state, logs and kubeconfig in .cluster/ (source .cluster/env for KUBECONFIG/KUBECTL).
.PHONY: cluster-build
cluster-build: ## Build and cache kube-apiserver, KCM, scheduler, kubectl, etcd and kwok (cold: tens of minutes)
	bash hack/cluster/build.sh

.PHONY: cluster-up
cluster-up: ## Start the local test cluster (etcd, apiserver, KCM, scheduler, kwok GPU nodes); writes .cluster/env
	bash hack/cluster/up.sh

.PHONY: cluster-down
cluster-down: ## Stop the local test cluster and remove .cluster/
	bash hack/cluster/down.sh

.PHONY: cluster-smoke
cluster-smoke: ## Check the running test cluster: GPU scheduling, Ready pods, garbage collection, version
	bash hack/cluster/smoke.sh
