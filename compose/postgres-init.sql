-- One database per service that owns Postgres data (each runs its own migrations).
CREATE DATABASE auth;
CREATE DATABASE profile;
