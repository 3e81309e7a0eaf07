#!/usr/bin/env bash
# Deploys Sluice from deploy/kubernetes onto the lab cluster. Runs as root on the control plane after
# control-plane.sh; workers get their agent from the DaemonSet when they join. Idempotent (kubectl apply).
# Environment (from the Vagrantfile): NODE_NAME, CONTROL_PLANE_IP.
set -euo pipefail
: "${NODE_NAME:?}" "${CONTROL_PLANE_IP:?}"
log() { echo "[deploy-sluice.sh $NODE_NAME] $*"; }
export KUBECONFIG=/etc/kubernetes/admin.conf
MANIFESTS=/sluice/deploy/kubernetes
[ -f "$MANIFESTS/daemonset.yaml" ] || { log "$MANIFESTS/daemonset.yaml is missing: run 'vagrant rsync' on the host"; exit 1; }

# Without kube-proxy, the agent reaches the API server at its real address (see daemonset.yaml).
log "ConfigMap sluice-kube-apiserver: $CONTROL_PLANE_IP:6443"
kubectl -n kube-system create configmap sluice-kube-apiserver \
  --from-literal=host="$CONTROL_PLANE_IP" --from-literal=port=6443 \
  --dry-run=client -o yaml | kubectl apply -f -

log "applying $MANIFESTS"
kubectl apply -f "$MANIFESTS"

image=$(awk '$1 == "image:" { print $2; exit }' "$MANIFESTS/daemonset.yaml")
if ! ctr --namespace k8s.io images ls -q | grep -qxF "$image"; then
  log "WARNING: image $image is not on this node, and it is not published yet."
  log "  Build it on the host, save it as vagrant/images/sluice.tar, then run 'vagrant rsync' and"
  log "  'vagrant provision' (see vagrant/README.md). Until then the agents stay in ImagePullBackOff."
  exit 0
fi

log "waiting for the agent on this node"
if ! kubectl -n kube-system rollout status daemonset/sluice --timeout=300s; then
  kubectl -n kube-system get pods -l app.kubernetes.io/name=sluice -o wide || true
  kubectl -n kube-system logs -l app.kubernetes.io/name=sluice --tail=50 || true
  log "the Sluice DaemonSet did not become ready in 300 s: see the pods and logs above"
  exit 1
fi
log "Sluice is running"
