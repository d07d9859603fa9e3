# CI's stand-in for the official postgres:<major>-bookworm image (Docker Hub is out of reach on the
# CI machine): Debian's own PostgreSQL packages of that major version, with an entrypoint that keeps
# the official image's contract the compose and stack files rely on (postgres-entrypoint.sh).
FROM debian:bookworm-slim
ARG PG_MAJOR
# Every address listens (the sample initdb copies), as in the official image. Debian's package
# would make a cluster of its own in /var/lib/postgresql/<major>/main: the
# entrypoint makes the one in PGDATA instead, as the official image does.
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-common \
  && sed -ri 's/#(create_main_cluster) .*$/\1 = false/' /etc/postgresql-common/createcluster.conf \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "postgresql-${PG_MAJOR}" \
  && rm -rf /var/lib/apt/lists/* \
  && sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" "/usr/share/postgresql/${PG_MAJOR}/postgresql.conf.sample" \
  && grep -F "listen_addresses = '*'" "/usr/share/postgresql/${PG_MAJOR}/postgresql.conf.sample" \
  && mkdir -p /var/run/postgresql /var/lib/postgresql/data \
  && chown postgres:postgres /var/run/postgresql /var/lib/postgresql/data \
  && chmod 2777 /var/run/postgresql && chmod 0700 /var/lib/postgresql/data
ENV PG_MAJOR=${PG_MAJOR} PATH=/usr/lib/postgresql/${PG_MAJOR}/bin:$PATH \
  PGDATA=/var/lib/postgresql/data LANG=C.UTF-8
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
ENTRYPOINT ["docker-entrypoint.sh"]
# Fast shutdown, as the official image asks for.
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
