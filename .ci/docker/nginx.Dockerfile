# CI's stand-in for the official nginx image (Docker Hub is out of reach on the CI machine):
# Debian's nginx, with what the official image's entrypoint does at start (templates in
# /etc/nginx/templates rendered into /etc/nginx/conf.d, only defined variables substituted), its
# nginx.conf, logs to the container's stdout and stderr, and curl for health checks.
FROM debian:bookworm-slim
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx gettext-base curl \
  && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/* /etc/nginx/conf.d/* \
  && ln -sf /dev/stdout /var/log/nginx/access.log \
  && ln -sf /dev/stderr /var/log/nginx/error.log
COPY nginx.conf /etc/nginx/nginx.conf
COPY nginx-entrypoint.sh /docker-entrypoint.sh
ENTRYPOINT ["/docker-entrypoint.sh"]
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
