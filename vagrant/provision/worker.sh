#!/usr/bin/env bash
# Joins a lab worker to the control plane with the lab's bootstrap token. Runs as root after node.sh.
# Idempotent: a node that has joined is left as it is.
# Environment (from the Vagrantfile): NODE_NAME, CONTROL_PLANE_IP, JOIN_TOKEN.
set -euo pipefail
: "${NODE_NAME:?}" "${CONTROL_PLANE_IP:?}" "${JOIN_TOKEN:?}"
log() { echo "[worker.sh $NODE_NAME] $*"; }

if [ -f /etc/kubernetes/kubelet.conf ]; then
  log "already joined"
  exit 0
fi

# With a provider that brings VMs up in parallel (libvirt), the control plane may still be starting.
log "waiting for the API server at $CONTROL_PLANE_IP:6443"
for _ in $(seq 1 300); do
  curl -ksf "https://$CONTROL_PLANE_IP:6443/readyz" >/dev/null && break
  sleep 2
done
curl -ksf "https://$CONTROL_PLANE_IP:6443/readyz" >/dev/null \
  || { log "no API server at $CONTROL_PLANE_IP:6443 after 10 minutes: provision sluice-cp first ('vagrant up sluice-cp')"; exit 1; }

# The lab does not pin the cluster CA (its hash is only known once the control plane exists): the worker
# trusts whatever answers at the control plane's address on the private network. Lab only.
log "kubeadm join"
kubeadm join "$CONTROL_PLANE_IP:6443" \
  --node-name "$NODE_NAME" \
  --token "$JOIN_TOKEN" \
  --discovery-token-unsafe-skip-ca-verification
log "joined"
