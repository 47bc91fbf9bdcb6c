# Shared by the launcher scripts in this folder; source it, then call launch MAIN_CLASS "$@".
#
# With --master URL and spark-submit on the PATH, the job goes through spark-submit with the
# library and its runtime jars. Otherwise it runs on an embedded Spark in this JVM (local[*] unless
# --master says otherwise), with Spark from jobs/target/lib.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JOBS_JAR="$ROOT/jobs/target/onnx-spark-jobs.jar"
LIB="$ROOT/jobs/target/lib"

build_if_missing() {
  if [[ ! -f "$JOBS_JAR" || ! -d "$LIB" ]]; then
    echo "Building the jobs (first run only): mvn -q -DskipTests install" >&2
    (cd "$ROOT" && mvn -q -DskipTests install) >&2
  fi
}

# Java 17 flags Spark needs (Spark's own launcher adds the same).
JAVA_FLAGS=(
  -XX:+IgnoreUnrecognizedVMOptions
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED
  --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  -Djdk.reflect.useDirectMethodHandle=false
  -Dio.netty.tryReflectionSetAccessible=true
  -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties"
)

launch() {
  local main="$1"
  shift
  build_if_missing
  local master=""
  local args=("$@")
  for ((i = 0; i < ${#args[@]}; i++)); do
    if [[ "${args[$i]}" == "--master" && $((i + 1)) -lt ${#args[@]} ]]; then
      master="${args[$((i + 1))]}"
    fi
  done
  if [[ -n "$master" ]] && command -v spark-submit >/dev/null 2>&1; then
    local jars
    jars="$(ls "$LIB"/onnx-spark_*.jar "$LIB"/onnxruntime*.jar "$LIB"/protobuf-java-*.jar | grep -v tests | paste -sd, -)"
    exec spark-submit --master "$master" --class "$main" --jars "$jars" "$JOBS_JAR" "$@"
  fi
  export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
  exec java ${JAVA_OPTS:-} -Xmx${ONNX_JOB_MEMORY:-4g} "${JAVA_FLAGS[@]}" -cp "$JOBS_JAR:$LIB/*" "$main" "$@"
}
