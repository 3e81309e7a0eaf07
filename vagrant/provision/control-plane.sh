#!/usr/bin/env bash
# Initialises the lab's control plane with kubeadm, without the kube-proxy add-on: Sluice replaces it.
# Runs as root after node.sh. Idempotent: an initialised control plane is left as it is.
# Environment (from the Vagrantfile): NODE_NAME, NODE_IP, CONTROL_PLANE_IP, JOIN_TOKEN.
set -euo pipefail
: "${NODE_NAME:?}" "${NODE_IP:?}" "${CONTROL_PLANE_IP:?}" "${JOIN_TOKEN:?}"
log() { echo "[control-plane.sh $NODE_NAME] $*"; }

if [ -f /etc/kubernetes/admin.conf ]; then
  log "already initialised"
else
  log "kubeadm init on $CONTROL_PLANE_IP, kube-proxy skipped"
  # No --pod-network-cidr: pod CIDRs are static per node (node.sh), so the controller manager allocates
  # none and Node.spec.podCIDR stays empty. The token does not expire, so workers can join later (lab only).
  kubeadm init \
    --node-name "$NODE_NAME" \
    --apiserver-advertise-address "$CONTROL_PLANE_IP" \
    --token "$JOIN_TOKEN" \
    --token-ttl 0 \
    --skip-phases=addon/kube-proxy
fi

log "kubeconfig for root and the vagrant user"
install -d -m 0700 /root/.kube
install -m 0600 /etc/kubernetes/admin.conf /root/.kube/config
if id vagrant >/dev/null 2>&1; then
  install -d -m 0700 -o vagrant -g vagrant /home/vagrant/.kube
  install -m 0600 -o vagrant -g vagrant /etc/kubernetes/admin.conf /home/vagrant/.kube/config
fi

export KUBECONFIG=/etc/kubernetes/admin.conf
log "waiting for the API server"
for _ in $(seq 1 60); do
  kubectl get --raw /readyz >/dev/null 2>&1 && break
  sleep 2
done
kubectl get --raw /readyz >/dev/null || { log "the API server at $CONTROL_PLANE_IP:6443 did not become ready: see 'journalctl -u kubelet' and 'crictl ps -a'"; exit 1; }
log "ready"
