-- Run once by the temporal-postgres container on an empty data directory
-- (/docker-entrypoint-initdb.d). POSTGRES_DB creates the `temporal` database;
-- this adds the visibility one. temporal-schema then installs and upgrades
-- the schemas of both.
CREATE DATABASE temporal_visibility;
