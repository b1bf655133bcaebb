# One image for the API and the worker; docker-compose picks the command.
# Stages: the OS packages both need, the production node_modules, the Python tool runtime, the
# workflow bundle (built once here instead of at every worker start), and the final image.
FROM node:22-bookworm-slim AS base
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app

FROM base AS node-modules
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# The tool runtime: the Python packages generated tools may import, pinned.
FROM base AS tool-runtime
COPY sandbox/requirements.txt /tmp/requirements.txt
RUN python3 -m venv /opt/tool-runtime \
 && /opt/tool-runtime/bin/pip install --no-cache-dir -r /tmp/requirements.txt

FROM node-modules AS workflow-bundle
COPY . .
RUN npx tsx infra/bundle-workflows.ts /app/workflow-bundle.js

FROM base
COPY --from=node-modules /app/node_modules ./node_modules
COPY --from=tool-runtime /opt/tool-runtime /opt/tool-runtime
COPY . .
COPY --from=workflow-bundle /app/workflow-bundle.js /app/workflow-bundle.js
ENV NODE_ENV=production \
    TOOL_RUNTIME_DIR=/opt/tool-runtime \
    BWRAP_PATH=/usr/bin/bwrap \
    TOOLS_DIR=/data/tools \
    WORKFLOW_BUNDLE_PATH=/app/workflow-bundle.js
RUN mkdir -p /data/tools && chown node:node /data/tools
# Not root: the sandbox then limits processes with RLIMIT_NPROC (root's processes are exempt from it,
# so a root worker needs a writable cgroup instead, which containers rarely get).
USER node
EXPOSE 8000
CMD ["npx", "tsx", "api/main.ts"]
