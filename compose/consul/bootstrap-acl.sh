#!/bin/sh
# One-shot (the consul-init service): with Consul's ACLs on and default_policy
# "deny", gives each deployable a policy and a token whose secret comes from .env.
# A token may register (write) only its own service and read the catalog, so a
# compromised service cannot register as another one. Idempotent: re-running it
# after a restart changes nothing.
set -eu

ensure() {
  name=$1
  secret=$2
  rules="service \"$name\" { policy = \"write\" }
service_prefix \"\" { policy = \"read\" }
node_prefix \"\" { policy = \"read\" }"
  consul acl policy read -name "service-$name" >/dev/null 2>&1 ||
    consul acl policy create -name "service-$name" -rules "$rules" >/dev/null
  CONSUL_HTTP_TOKEN="$secret" consul acl token read -self >/dev/null 2>&1 ||
    consul acl token create -description "$name service" -policy-name "service-$name" \
      -secret "$secret" >/dev/null
  echo "consul-init: $name has its token and policy"
}

ensure auth "$AUTH_CONSUL_TOKEN"
ensure profile "$PROFILE_CONSUL_TOKEN"
ensure posts "$POSTS_CONSUL_TOKEN"
ensure feed "$FEED_CONSUL_TOKEN"
ensure search "$SEARCH_CONSUL_TOKEN"
ensure notifications "$NOTIFICATIONS_CONSUL_TOKEN"
ensure gateway "$GATEWAY_CONSUL_TOKEN"
# Prometheus only reads the catalog (consul_sd_configs); its own service name is never registered.
ensure prometheus "$PROMETHEUS_CONSUL_TOKEN"
