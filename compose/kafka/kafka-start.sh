#!/usr/bin/env bash
# The Kafka container's entry point: starts the broker (the image's own run
# script), then, over the container-local PLAINTEXT listener (localhost:9094,
# unreachable from other containers), gives each service a SCRAM-SHA-256 user and
# ACLs: it may write only its own topic and read only what it consumes. Idempotent,
# so it runs on every start; a changed password in .env takes effect on restart.
# Writes /tmp/civildiy-kafka-ready once done (the healthcheck waits for it).
set -euo pipefail
rm -f /tmp/civildiy-kafka-ready
/etc/kafka/docker/run &
broker=$!
trap 'kill -TERM "$broker"; wait "$broker"' TERM INT
bin=/opt/kafka/bin
local=(--bootstrap-server localhost:9094)
until "$bin/kafka-broker-api-versions.sh" "${local[@]}" >/dev/null 2>&1; do
  kill -0 "$broker" 2>/dev/null || exit 1
  sleep 1
done

for user in auth profile posts feed search notifications; do
  variable="${user^^}_KAFKA_PASSWORD"
  password="${!variable:?$variable is not set}"
  "$bin/kafka-configs.sh" "${local[@]}" --alter --entity-type users --entity-name "$user" \
    --add-config "SCRAM-SHA-256=[iterations=8192,password=$password]" >/dev/null
done

# allow USER RESOURCE... -- OPERATION...: one kafka-acls call per grant.
allow() {
  local user=$1
  shift
  "$bin/kafka-acls.sh" "${local[@]}" --add --allow-principal "User:$user" "$@" >/dev/null
}
own_topic=(--operation Write --operation Describe --operation Create)
read_topic=(--operation Read --operation Describe)
# Publishers: each its own topic (the outbox relay).
allow auth --topic civildiy.users --topic civildiy.auth.audit "${own_topic[@]}"
allow profile --topic civildiy.follows "${own_topic[@]}"
allow posts --topic civildiy.posts --topic civildiy.comments --topic civildiy.posts.audit "${own_topic[@]}"
# Consumers: what they read, their consumer group, and their dead-letter topic.
# Auth keeps the audit trail: every service's audit topic, one fixed group.
allow auth --topic civildiy.auth.audit --topic civildiy.posts.audit "${read_topic[@]}"
allow auth --group auth-audit --operation Read --operation Describe
allow auth --topic civildiy.auth.audit.dlq "${own_topic[@]}"
allow profile --topic civildiy.users "${read_topic[@]}"
allow profile --group profile --operation Read --operation Describe
allow profile --topic profile.dlq "${own_topic[@]}"
allow feed --topic civildiy.posts --topic civildiy.comments --topic civildiy.follows "${read_topic[@]}"
# The feed names a new group on each rebuild of its read model (feed-<ms>).
allow feed --resource-pattern-type prefixed --group feed- --operation Read --operation Describe
allow feed --topic civildiy.feed.dlq "${own_topic[@]}"
# Search: the post topic, its groups (search-<ms>, one per rebuild), its dead letters.
allow search --topic civildiy.posts "${read_topic[@]}"
allow search --resource-pattern-type prefixed --group search- --operation Read --operation Describe
allow search --topic civildiy.search.dlq "${own_topic[@]}"
# Notifications: follows, posts (likes) and comments, one fixed group, its dead letters.
allow notifications --topic civildiy.follows --topic civildiy.posts --topic civildiy.comments "${read_topic[@]}"
allow notifications --group notifications --operation Read --operation Describe
allow notifications --topic civildiy.notifications.dlq "${own_topic[@]}"

touch /tmp/civildiy-kafka-ready
echo "civildiy: Kafka users and ACLs in place"
wait "$broker"
