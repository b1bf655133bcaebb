# One image for the API and the worker; docker-compose picks the command.
FROM node:22-bookworm-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

# The tool runtime: the Python packages generated tools may import, pinned.
COPY sandbox/requirements.txt sandbox/requirements.txt
RUN python3 -m venv /opt/tool-runtime \
 && /opt/tool-runtime/bin/pip install --no-cache-dir -r sandbox/requirements.txt
ENV TOOL_RUNTIME_DIR=/opt/tool-runtime BWRAP_PATH=/usr/bin/bwrap TOOLS_DIR=/data/tools
RUN mkdir -p /data/tools && chown node:node /data/tools

COPY . .
# Not root: the sandbox then limits processes with RLIMIT_NPROC (root's processes are exempt from it,
# so a root worker needs a writable cgroup instead, which containers rarely get).
USER node
EXPOSE 8000
CMD ["npx", "tsx", "api/main.ts"]
