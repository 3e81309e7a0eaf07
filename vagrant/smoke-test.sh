#!/usr/bin/env bash
# Smoke test of the lab, run inside the control-plane VM once the workers have joined:
#   vagrant ssh sluice-cp -c 'sudo /sluice/vagrant/smoke-test.sh'
# It proves, with real connections, that Sluice (and no kube-proxy) serves:
#   1. a ClusterIP Service from a pod, by address and by DNS name, and
#   2. a NodePort on every node's address from outside the pods, reaching every backend;
# and that NetworkPolicy is enforced:
#   3. a default-deny ingress policy blocks the Service, 4. an allow policy restores it for the pods it
#   selects only, 5. deleting the policies restores it for everyone.
# Everything runs in the namespace sluice-smoke, deleted at the end (KEEP=1 keeps it for a look).
# Exit code 0 when every check passed; the first failure prints what was expected and the cluster's state.
set -euo pipefail

NS=sluice-smoke
AGNHOST_IMAGE=${AGNHOST_IMAGE:-registry.k8s.io/e2e-test-images/agnhost:2.53}
WAIT_SECONDS=${WAIT_SECONDS:-60}   # how long a change (Service, policy) may take to reach the data path
KEEP=${KEEP:-0}
if [ -z "${KUBECONFIG:-}" ]; then
  if [ -r /etc/kubernetes/admin.conf ]; then export KUBECONFIG=/etc/kubernetes/admin.conf; else export KUBECONFIG=$HOME/.kube/config; fi
fi

checks=0
pass() { checks=$((checks + 1)); echo "PASS  $*"; }
diagnostics() {
  echo "---- state of the cluster" >&2
  kubectl get nodes -o wide >&2 || true
  kubectl -n kube-system get pods -l app.kubernetes.io/name=sluice -o wide >&2 || true
  kubectl -n "$NS" get pods,services,endpointslices,networkpolicies -o wide >&2 || true
  kubectl -n kube-system logs -l app.kubernetes.io/name=sluice --tail=20 --prefix >&2 || true
}
fail() { echo "FAIL  $*" >&2; diagnostics; exit 1; }
cleanup() {
  if [ "$KEEP" = 1 ]; then echo "KEEP=1: namespace $NS left in place"; return; fi
  kubectl delete namespace "$NS" --ignore-not-found --wait=false >/dev/null 2>&1 || true
}
trap cleanup EXIT

# connect POD HOST:PORT: 0 when a TCP connection from inside POD succeeds within 3 s.
connect() { kubectl -n "$NS" exec "$1" -- /agnhost connect "$2" --timeout=3s --protocol=tcp >/dev/null 2>&1; }

# eventually reached|blocked POD HOST:PORT: waits until the connection has the expected outcome.
eventually() {
  local want=$1 pod=$2 target=$3 deadline=$((SECONDS + WAIT_SECONDS)) got
  while :; do
    if connect "$pod" "$target"; then got=reached; else got=blocked; fi
    [ "$got" = "$want" ] && return 0
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 2
  done
}

# still blocked POD HOST:PORT: checks three times that the connection keeps failing.
still_blocked() {
  local _
  for _ in 1 2 3; do
    if connect "$1" "$2"; then return 1; fi
  done
}

echo "==> the cluster: every node Ready, the Sluice agent ready on every node, no kube-proxy"
kubectl wait --for=condition=Ready nodes --all --timeout=180s >/dev/null || fail "not every node became Ready"
kubectl -n kube-system rollout status daemonset/sluice --timeout=300s >/dev/null \
  || fail "the Sluice DaemonSet is not ready on every node"
nodes=$(kubectl get nodes --no-headers | wc -l)
agents=$(kubectl -n kube-system get daemonset sluice -o jsonpath='{.status.numberReady}')
[ "$agents" = "$nodes" ] || fail "$agents Sluice agents ready for $nodes nodes"
if kubectl -n kube-system get daemonset kube-proxy >/dev/null 2>&1; then
  fail "kube-proxy is deployed: this test must prove Sluice alone serves the Services"
fi
pass "$nodes nodes Ready, $agents Sluice agents ready, no kube-proxy"

echo "==> workload: Deployment echo (2 replicas) behind a ClusterIP and a NodePort Service; pods client and other"
kubectl delete namespace "$NS" --ignore-not-found --wait=true >/dev/null
kubectl create namespace "$NS" >/dev/null
kubectl -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: echo
spec:
  replicas: 2
  selector:
    matchLabels: {app: echo}
  template:
    metadata:
      labels: {app: echo}
    spec:
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels: {app: echo}
      containers:
        - name: echo
          image: $AGNHOST_IMAGE
          args: ["netexec", "--http-port=8080"]
          ports:
            - {name: http, containerPort: 8080}
          readinessProbe:
            httpGet: {path: /hostname, port: 8080}
            periodSeconds: 2
---
apiVersion: v1
kind: Service
metadata:
  name: echo
spec:
  type: ClusterIP
  selector: {app: echo}
  ports:
    - {name: http, port: 80, targetPort: 8080}
---
apiVersion: v1
kind: Service
metadata:
  name: echo-nodeport
spec:
  type: NodePort
  externalTrafficPolicy: Cluster
  selector: {app: echo}
  ports:
    - {name: http, port: 80, targetPort: 8080}
---
apiVersion: v1
kind: Pod
metadata:
  name: client
  labels: {role: client}
spec:
  containers:
    - {name: client, image: $AGNHOST_IMAGE, args: ["pause"]}
---
apiVersion: v1
kind: Pod
metadata:
  name: other
  labels: {role: other}
spec:
  containers:
    - {name: other, image: $AGNHOST_IMAGE, args: ["pause"]}
YAML
kubectl -n "$NS" rollout status deployment/echo --timeout=180s >/dev/null || fail "deployment echo did not become ready"
kubectl -n "$NS" wait --for=condition=Ready pod/client pod/other --timeout=180s >/dev/null || fail "pods client and other did not become ready"
cluster_ip=$(kubectl -n "$NS" get service echo -o jsonpath='{.spec.clusterIP}')
node_port=$(kubectl -n "$NS" get service echo-nodeport -o jsonpath='{.spec.ports[0].nodePort}')
backends=$(kubectl -n "$NS" get pods -l app=echo -o jsonpath='{.items[*].metadata.name}')
pass "echo ready (backends: $backends), ClusterIP $cluster_ip:80, NodePort $node_port"

echo "==> 1. ClusterIP Service from a pod"
eventually reached client "$cluster_ip:80" || fail "client cannot connect to the ClusterIP $cluster_ip:80 within ${WAIT_SECONDS}s"
pass "client -> $cluster_ip:80 (ClusterIP)"
eventually reached client "echo.$NS.svc.cluster.local:80" \
  || fail "client cannot connect to echo.$NS.svc.cluster.local:80 (cluster DNS is itself a Service Sluice serves)"
pass "client -> echo.$NS.svc.cluster.local:80 (cluster DNS, then ClusterIP)"

echo "==> 2. NodePort on every node, from this node's host network, reaching every backend"
for ip in $(kubectl get nodes -o jsonpath='{range .items[*]}{.status.addresses[?(@.type=="InternalIP")].address}{" "}{end}'); do
  seen=""
  for _ in $(seq 1 20); do
    name=$(curl -sf --max-time 3 "http://$ip:$node_port/hostname" || true)
    [ -n "$name" ] && seen+="$name"$'\n'
  done
  distinct=$(printf '%s' "$seen" | sed '/^$/d' | sort -u | tr '\n' ' ')
  [ -n "$distinct" ] || fail "no answer from the NodePort http://$ip:$node_port/hostname in 20 tries"
  for b in $backends; do
    case " $distinct" in *" $b "*) ;; *) fail "NodePort http://$ip:$node_port never reached backend $b in 20 connections (reached: $distinct)";; esac
  done
  pass "http://$ip:$node_port/hostname answered by every backend: $distinct"
done
echo "      from the machine that runs the VMs: curl http://<node address>:$node_port/hostname"

echo "==> 3. default-deny ingress blocks the Service"
kubectl -n "$NS" apply -f - >/dev/null <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny-ingress
spec:
  podSelector: {}
  policyTypes: ["Ingress"]
YAML
eventually blocked client "$cluster_ip:80" || fail "client still reaches $cluster_ip:80 ${WAIT_SECONDS}s after the default-deny policy"
still_blocked other "$cluster_ip:80" || fail "other reaches $cluster_ip:80 under the default-deny policy"
pass "default-deny: client and other blocked"

echo "==> 4. an allow policy restores access for the pods it selects, and only for them"
kubectl -n "$NS" apply -f - >/dev/null <<'YAML'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-client-to-echo
spec:
  podSelector:
    matchLabels: {app: echo}
  policyTypes: ["Ingress"]
  ingress:
    - from:
        - podSelector:
            matchLabels: {role: client}
      ports:
        - {protocol: TCP, port: 8080}
YAML
eventually reached client "$cluster_ip:80" || fail "client still blocked ${WAIT_SECONDS}s after the allow policy"
still_blocked other "$cluster_ip:80" || fail "other reaches $cluster_ip:80 although only role=client is allowed"
pass "allow policy: client reached, other still blocked"

echo "==> 5. deleting the policies restores access for everyone"
kubectl -n "$NS" delete networkpolicy default-deny-ingress allow-client-to-echo >/dev/null
eventually reached other "$cluster_ip:80" || fail "other still blocked ${WAIT_SECONDS}s after the policies were deleted"
pass "policies deleted: other reached"

echo "smoke test passed: $checks checks"
