# syntax=docker/dockerfile:1
# The semantic router: a small Node 20 runtime image (linux/amd64) with the compiled router, its production
# dependencies, the built-in ONNX models and the example policies. Runs as the non-root `node` user.
#   docker build -t semantic-router:local .
#   docker run --rm -p 50051:50051 -p 127.0.0.1:9190:9190 semantic-router:local
# Only the linux-x64 ONNX Runtime binary is kept, hence the fixed platform.
ARG NODE_IMAGE=node:20.20-bookworm-slim

FROM --platform=linux/amd64 ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json ./
# Install scripts stay off (package.json allowScripts): onnxruntime-node ships its binaries in the package.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
# tsc, then the n-gram image and the bundle the ENTRYPOINT runs (dist/bundle/main.js; its workers stay in dist/src).
RUN npm run build \
  && npm prune --omit=dev --ignore-scripts \
  && for napi in node_modules/onnxruntime-node/bin/napi-v*; do \
       find "$napi" -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} + ; \
       find "$napi/linux" -mindepth 1 -maxdepth 1 ! -name x64 -exec rm -rf {} + ; \
     done \
  && test -f node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node \
  && rm -rf node_modules/.cache

FROM --platform=linux/amd64 ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    SEMANTIC_ROUTER_ADMIN_PORT=9190
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
# Read at runtime beside dist/: the ext_proc protos, the built-in models (baked in), the example policies.
COPY proto ./proto
COPY models ./models
COPY policies ./policies
USER node
# ext_proc + grpc.health.v1 (gRPC), admin HTTP (/healthz, /readyz, /metrics, /policy).
EXPOSE 50051 9190
# The admin server's liveness endpoint, asked on 127.0.0.1 so it answers whatever --admin-host is (the router's
# default is 127.0.0.1); set SEMANTIC_ROUTER_ADMIN_PORT when serving with another --admin-port.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.SEMANTIC_ROUTER_ADMIN_PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/bundle/main.js", "serve"]
# The admin server binds the container's interfaces so a published port reaches it; publish it on the host's
# loopback (-p 127.0.0.1:9190:9190), or drop --admin-host to keep it inside the container.
CMD ["--policy", "policies/default.yaml", "--host", "0.0.0.0", "--port", "50051", "--admin-host", "0.0.0.0", "--admin-port", "9190"]
