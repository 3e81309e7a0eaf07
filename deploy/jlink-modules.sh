#!/usr/bin/env bash
# Prints, comma-separated, the JDK modules the agent needs at run time, for jlink in deploy/Dockerfile:
# the modules jdeps finds in the agent jar and its lib/ folder, plus those only reached by reflection,
# which jdeps cannot see. Extra modules can be appended with JLINK_EXTRA_MODULES (comma-separated).
# Usage: deploy/jlink-modules.sh AGENT_TARGET_DIR   (the folder with sluice-agent.jar and lib/)
set -euo pipefail

# Loaded by reflection, invisible to jdeps:
#   jdk.compiler  Chronicle Map compiles its generated classes at run time (without it: ClassNotFoundException
#                 for com.sun.tools.javac.api.JavacTool when the first map is created).
REFLECTIVE_MODULES=jdk.compiler

dir=${1:?usage: jlink-modules.sh AGENT_TARGET_DIR (the folder with sluice-agent.jar and lib/)}
[ -f "$dir/sluice-agent.jar" ] || { echo "jlink-modules.sh: $dir/sluice-agent.jar not found: build the agent first (mvn -DskipTests install)" >&2; exit 1; }
[ -d "$dir/lib" ] || { echo "jlink-modules.sh: $dir/lib not found: the agent's runtime dependencies are copied there by mvn package" >&2; exit 1; }

jdeps=jdeps
[ -n "${JAVA_HOME:-}" ] && jdeps="$JAVA_HOME/bin/jdeps"
shopt -s nullglob
jars=("$dir/sluice-agent.jar" "$dir"/lib/*.jar)
found=$("$jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 "${jars[@]}")
[ -n "$found" ] || { echo "jlink-modules.sh: jdeps printed no modules for ${jars[*]}" >&2; exit 1; }

# One sorted, de-duplicated list.
printf '%s\n' "$found,$REFLECTIVE_MODULES${JLINK_EXTRA_MODULES:+,$JLINK_EXTRA_MODULES}" | tr ',' '\n' | sed '/^$/d' | sort -u | paste -sd, -
